package apitest

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/checkin-registry/registry/shared/pow"
)

// SpliceALTCHA is an attacker's edit of a solved ALTCHA payload: the leading digits
// of its number moved onto the end of its salt, which leaves salt + number, and so
// the challenge and its signature, as they were. ok is false where the number has
// too few digits (or a zero would lead what is left).
func SpliceALTCHA(payload string, digits int) (spliced string, ok bool) {
	raw, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return "", false
	}
	var s pow.Solution
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	n := strconv.FormatInt(s.Number, 10)
	if len(n) <= digits || n[digits] == '0' {
		return "", false
	}
	s.Salt += n[:digits]
	s.Number, _ = strconv.ParseInt(n[digits:], 10, 64)
	b, err := json.Marshal(s)
	if err != nil {
		return "", false
	}
	return base64.StdEncoding.EncodeToString(b), true
}
