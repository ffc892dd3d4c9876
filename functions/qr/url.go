package qr

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// CheckPath is the check page: a QR code holds base + CheckPath + "#" + the
// payload, so that a phone's camera opens the page, which verifies the payload
// in the browser. The fragment never reaches a server.
const CheckPath = "/c.html"

// MaxBaseURLChars is the longest site origin with which every URL of a
// 100-character name, in any script and with spaces, stays within 300
// characters: 300 - len("/c.html#") - the longest payload whose name needs no
// escapes (133 + 3 serial digits + 100).
const MaxBaseURLChars = MaxPayloadChars - len(CheckPath) - 1 - (133 + 3 + MaxNameChars)

// ErrWrongOrigin is a URL that is not this site's check page.
var ErrWrongOrigin = errors.New("wrong_origin")

// URL is the check page's URL for payload on the site at base. The fragment is
// the payload with a space written as "+", and "%", "+" and each ASCII character
// a URI fragment may not hold as %XX; other characters stay as they are (an IRI,
// RFC 3987), except those an IRI may not hold (bidi controls, private use,
// non-characters), which are %XX of their UTF-8 bytes.
func URL(base, payload string) string {
	var b strings.Builder
	b.WriteString(base + CheckPath + "#")
	for _, r := range payload {
		switch {
		case r == ' ':
			b.WriteByte('+')
		case r < utf8.RuneSelf && fragmentChar(byte(r)), r >= utf8.RuneSelf && iriChar(r):
			b.WriteRune(r)
		default:
			var enc [utf8.UTFMax]byte
			for _, c := range enc[:utf8.EncodeRune(enc[:], r)] {
				fmt.Fprintf(&b, "%%%02X", c)
			}
		}
	}
	return b.String()
}

// fragmentChar is an ASCII character RFC 3986 allows in a fragment as it is,
// other than "%" and "+" (which the encoding uses).
func fragmentChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~!$&'()*,;=:@/?", c) >= 0
}

// iriChar is a non-ASCII character an IRI fragment holds as it is: RFC 3987's
// ucschar, less the bidi formatting characters it forbids.
func iriChar(r rune) bool {
	switch {
	case r == 0x200E || r == 0x200F || 0x202A <= r && r <= 0x202E || 0x2066 <= r && r <= 0x2069:
		return false
	case 0xA0 <= r && r <= 0xD7FF, 0xF900 <= r && r <= 0xFDCF, 0xFDF0 <= r && r <= 0xFFEF:
		return true
	case 0x10000 <= r && r <= 0xEFFFD:
		return r&0xFFFF <= 0xFFFD && r < 0xE0000 || 0xE1000 <= r
	}
	return false
}

// FromURL is the payload in a check page URL of the site at base, in the form a
// QR code holds it or as a browser shows it (every non-ASCII character as %XX).
func FromURL(base, s string) (string, error) {
	frag, ok := strings.CutPrefix(s, base+CheckPath+"#")
	if !ok {
		return "", ErrWrongOrigin
	}
	p, err := url.QueryUnescape(frag)
	if err != nil || !utf8.ValidString(p) {
		return "", ErrMalformed
	}
	return p, nil
}

// isURL says whether a scanned text is a URL rather than a bare payload.
func isURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}
