package api

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text checks a required free-text field and normalises it in place: trimmed and
// in Unicode normalisation form C, its length in characters within [min, max],
// with no control characters and nothing invisible (see Invisible). It answers the
// problem for the field's entry in an invalid_request, or "".
func Text(p *string, min, max int) string {
	if p == nil {
		return "is required"
	}
	if !utf8.ValidString(*p) {
		return "must be valid UTF-8"
	}
	s := norm.NFC.String(strings.TrimSpace(*p))
	n := utf8.RuneCountInString(s)
	switch {
	case n < min || n > max:
		return "must be " + strconv.Itoa(min) + " to " + strconv.Itoa(max) + " characters"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "must not contain control characters"
	case strings.IndexFunc(s, Invisible) >= 0:
		return InvisibleProblem
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
	}{{"businessName", name, BusinessNameMin, BusinessNameMax}, {"address", address, AddressMin, AddressMax}} {
		if f.p == nil && !required {
			continue
		}
		if problem := Text(f.p, f.min, f.max); problem != "" {
			fields[f.key] = problem
		}
	}
}

// InvisibleProblem is the invalid_request problem of a field with an Invisible character.
const InvisibleProblem = "must not contain invisible formatting characters (such as bidirectional or zero-width ones)"

// Invisible says whether r is a character that changes how the text around it
// looks without being seen itself: every format character (Unicode category Cf:
// the bidirectional embeddings, overrides and isolates U+202A–U+202E and
// U+2066–U+2069, the zero-width space, joiners and no-break space U+200B–U+200D
// and U+FEFF, the soft hyphen, the word joiner, …) and the line and paragraph
// separators U+2028 and U+2029. Text with one can show a name other than the one
// it holds ("Kedai \u202eilA" reads "Kedai Ali"), or two names that look alike.
func Invisible(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// Displayable says whether s is text that shows exactly what it holds, as Text
// leaves a field: valid UTF-8 in normalisation form C, with no control and no
// Invisible characters, and no space at either end.
func Displayable(s string) bool {
	return utf8.ValidString(s) && norm.NFC.IsNormalString(s) && strings.TrimSpace(s) == s &&
		strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || Invisible(r) }) < 0
}
