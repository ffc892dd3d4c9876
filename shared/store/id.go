package store

import (
	"encoding/base32"
	"fmt"
	"io"
	"strings"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID is a random 128-bit identifier, 26 lowercase letters and digits.
func NewID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("new id: %w", err)
	}
	return idEncoding.EncodeToString(b[:]), nil
}

// ValidID says whether s could be an identifier made by NewID.
func ValidID(s string) bool {
	return len(s) == 26 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyz234567") == ""
}
