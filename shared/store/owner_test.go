package store

import (
	"strings"
	"testing"
)

// The vector in docs/revocations.md.
func TestPayloadHash(t *testing.T) {
	p := "CKR1:3h92_T7_xiO4:jr7jh64iuqzco73cj7ndsx7r2e:Kedai Runcit Ali:" + strings.Repeat("A", 86)
	if got := PayloadHash(p); got != "cYcm4NaCeJqjtpW1w3BBvQ" {
		t.Fatalf("PayloadHash = %q, want cYcm4NaCeJqjtpW1w3BBvQ", got)
	}
	if PayloadHash(p+" ") == PayloadHash(p) {
		t.Fatal("a changed payload hashes alike")
	}
}
