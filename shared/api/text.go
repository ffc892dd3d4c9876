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

// VenueDetails checks a venue's business name (2–100 characters) and address
// (5–200), trimming them in place, and names the problems in fields. A nil field
// is a problem only where required.
func VenueDetails(name, address *string, required bool, fields map[string]string) {
	for _, f := range []struct {
		key      string
		p        *string
		min, max int
	}{{"businessName", name, 2, 100}, {"address", address, 5, 200}} {
		if f.p == nil && !required {
			continue
		}
		if problem := Text(f.p, f.min, f.max); problem != "" {
			fields[f.key] = problem
		}
	}
}
