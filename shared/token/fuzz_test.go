package token

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzIssuer and fuzzNow are fixed, so that the committed seeds (testdata/fuzz)
// hold tokens that check.
var (
	fuzzIssuer = Issuer{Key: []byte("fuzz key: fuzz key: fuzz key: 32")}
	fuzzNow    = time.Unix(1_800_000_000, 0)
)

// FuzzCheck: no token, however made, panics the check; one that checks is the one
// spelling the issuer writes for its claims, so no two strings open as one token.
func FuzzCheck(f *testing.F) {
	tok, _ := fuzzIssuer.Issue(Venue, "abcdefghijklmnopqrstuvwxyz", fuzzNow, time.Hour)
	f.Add(tok, Venue)
	f.Add(tok, Ticket)
	// The same MAC bytes in another base64url spelling: the last character's
	// unused low bits flipped.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	f.Add(tok[:len(tok)-1]+string(alphabet[strings.IndexByte(alphabet, tok[len(tok)-1])^1]), Venue)
	f.Add("v1..", Venue)
	f.Fuzz(func(t *testing.T, tok, audience string) {
		sub, err := fuzzIssuer.Check(tok, audience, fuzzNow)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrForged) && !errors.Is(err, ErrExpired) {
				t.Fatalf("Check: unexpected error %v", err)
			}
			return
		}
		if sub == "" {
			t.Fatal("a token with no subject checked")
		}
		p, _, _ := strings.Cut(strings.TrimPrefix(tok, prefix), ".")
		if want := prefix + p + "." + enc.EncodeToString(fuzzIssuer.mac(p)); tok != want {
			t.Fatalf("token %q checked, but the issuer writes it %q", tok, want)
		}
	})
}

// FuzzIssueCheck: every token issued checks for its audience until it expires,
// answering its subject exactly, and for no other audience, nor once changed.
func FuzzIssueCheck(f *testing.F) {
	f.Add(Venue, "abcdefghijklmnopqrstuvwxyz", int64(3600), 10)
	f.Add(Ticket, "t", int64(1), 0)
	f.Add("optout", "dest\x00hash", int64(86400), 1000)
	f.Fuzz(func(t *testing.T, audience, subject string, ttl int64, at int) {
		if subject == "" || !utf8.ValidString(subject) || !utf8.ValidString(audience) || ttl < 1 || ttl > 1<<32 {
			return
		}
		tok, exp := fuzzIssuer.Issue(audience, subject, fuzzNow, time.Duration(ttl)*time.Second)
		if len(tok) > 1024 {
			return
		}
		if sub, err := fuzzIssuer.Check(tok, audience, exp.Add(-time.Second)); err != nil || sub != subject {
			t.Fatalf("Check = %q, %v; want %q", sub, err, subject)
		}
		if _, err := fuzzIssuer.Check(tok, audience, exp); !errors.Is(err, ErrExpired) {
			t.Fatalf("at expiry: %v, want %v", err, ErrExpired)
		}
		if _, err := fuzzIssuer.Check(tok, audience+"x", fuzzNow); err == nil {
			t.Fatal("checked for another audience")
		}
		i := at % len(tok)
		if i < 0 {
			i = -i
		}
		changed := tok[:i] + string(tok[i]^1) + tok[i+1:]
		if _, err := fuzzIssuer.Check(changed, audience, fuzzNow); err == nil {
			t.Fatalf("changing byte %d (%q) still checks", i, changed)
		}
	})
}
