package helpdesk

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/checkin-registry/registry/shared/api"
)

// Topics are the subjects a ticket may be about: a fixed list, so that the topic
// can appear in the staff notification's subject line.
var Topics = []string{"registration", "verification-code", "qr-code", "venue-details", "report-abuse", "other"}

// Field limits, in characters (the site checks the same: api.FieldLimits).
const (
	NameMin, NameMax       = api.ContactNameMin, api.ContactNameMax
	MessageMin, MessageMax = api.MessageMin, api.MessageMax
)

// messageText checks the message field and normalises it in place: line breaks to
// "\n", trimmed, in normalisation form C, MessageMin to MessageMax characters,
// valid UTF-8, no control characters other than line breaks and tabs, and nothing
// api.Invisible (every format character, the zero-width joiners included). It
// answers the problem for invalid_request, or "".
func messageText(p *string) string {
	if p == nil {
		return "is required"
	}
	if !utf8.ValidString(*p) {
		return "must be valid UTF-8"
	}
	s := norm.NFC.String(strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(*p, "\r\n", "\n"), "\r", "\n")))
	n := utf8.RuneCountInString(s)
	switch {
	case n < MessageMin || n > MessageMax:
		return "must be " + strconv.Itoa(MessageMin) + " to " + strconv.Itoa(MessageMax) + " characters"
	case strings.IndexFunc(s, func(r rune) bool { return r != '\n' && r != '\t' && unicode.IsControl(r) }) >= 0:
		return "must not contain control characters"
	case strings.IndexFunc(s, api.Invisible) >= 0:
		return api.InvisibleProblem
	}
	*p = s
	return ""
}

// normalise folds the spellings of one message, for spotting repeats: compatibility
// forms, case and runs of white space.
func normalise(msg string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFKC.String(msg))), " ")
}

var (
	httpWord = regexp.MustCompile(`(?i)\b(h)tt(ps?)\b`)
	// scheme is a URI scheme (mailto:, javascript:, ftp://) right before what it names.
	scheme = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]{1,31}):([^\s:])`)
)

// inert renders text a requester typed for a plain-text notification so that no
// mail client or chat tool can take any of it for a link, an address, markup or a
// header, while staff can still read it:
//   - "http" and "https" become "hxxp" and "hxxps", and the colon after any URI
//     scheme becomes "[:]" (so "javascript:", "mailto:", "ftp://" are broken too);
//   - a dot between two letters or digits becomes "[.]" (domains, "www.", IP
//     addresses), full-width and ideographic dots included, and "@" becomes "[at]";
//   - "<" and ">" become "‹" and "›", so no tag or autolink can open;
//   - control, invisible formatting and separator characters are shown as
//     "[U+XXXX]", and a line break as one where oneLine is set; tabs become spaces.
//
// Where the text keeps its lines, the caller prefixes each one.
func inert(s string, oneLine bool) string {
	s = httpWord.ReplaceAllString(s, "${1}xx${2}")
	s = scheme.ReplaceAllString(s, "${1}[:]${2}")
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		switch {
		case r == '\n' && !oneLine:
			b.WriteByte('\n')
		case r == '\t':
			b.WriteString("  ")
		case unicode.IsControl(r) || api.Invisible(r):
			fmt.Fprintf(&b, "[U+%04X]", r)
		case r == '<':
			b.WriteRune('‹')
		case r == '>':
			b.WriteRune('›')
		case r == '@' || r == '＠' || r == '﹫':
			b.WriteString("[at]")
		case slices.Contains([]rune{'.', '。', '．', '｡'}, r) && i > 0 && i+1 < len(rs) && alnum(rs[i-1]) && alnum(rs[i+1]):
			b.WriteString("[.]")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func alnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// quoted is inert text with every line prefixed, so that nothing the requester
// wrote can pass for the notification's own lines.
func quoted(s, prefix string) string {
	lines := strings.Split(inert(s, false), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(prefix+l, " ")
	}
	return strings.Join(lines, "\n")
}
