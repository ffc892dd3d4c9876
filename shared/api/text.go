package api

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text checks a required free-text field and trims it in place: its length in
// characters within [min, max] and no control characters. It answers the problem
// for the field's entry in an invalid_request, or "".
func Text(p *string, min, max int) string {
	if p == nil {
		return "is required"
	}
	s := strings.TrimSpace(*p)
	n := utf8.RuneCountInString(s)
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	case n < min || n > max:
		return "must be " + strconv.Itoa(min) + " to " + strconv.Itoa(max) + " characters"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "must not contain control characters"
	}
	*p = s
	return ""
}
