package qr

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/checkin-registry/registry/shared/api"
)

// fuzzKey is a fixed P-256 key, so that the committed seeds (testdata/fuzz) hold
// payloads that verify.
func fuzzKey(tb testing.TB) *LocalKey {
	tb.Helper()
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), []byte("fuzz key: fuzz key: fuzz key: 32"))
	if err != nil {
		tb.Fatal(err)
	}
	key, err := NewKey(&priv.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return &LocalKey{priv: priv, key: key}
}

// FuzzVerify: no string, however made, panics the check; one that verifies is
// exactly the payload its parts and signature spell (one spelling per signed
// payload), at most 300 characters, with a name that shows what it holds.
func FuzzVerify(f *testing.F) {
	key := fuzzKey(f)
	for _, n := range names {
		p, err := Sign(context.Background(), key, venueA, 1, n.businessName)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p)
	}
	f.Add(signLegacy(f, key, venueA, "Kafe: Sri Ampang"))
	f.Add(Prefix)
	f.Add(LegacyPrefix)
	f.Add("")
	keys := []Key{key.key}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Verify(s, keys)
		if err != nil {
			return
		}
		_, sig, err := parseScanned(s)
		if err != nil {
			t.Fatalf("verified but does not parse: %v", err)
		}
		if again := p.signingInput() + ":" + b64.EncodeToString(sig); again != s {
			t.Fatalf("verified %q, which its parts spell %q", s, again)
		}
		if utf8.RuneCountInString(s) > MaxPayloadChars || !api.Displayable(p.BusinessName) || p.KeyID != key.key.ID {
			t.Fatalf("verified %q: %+v", s, p)
		}
	})
}

// FuzzSign: a name is signed only where it shows what it holds, and what is
// signed verifies, asserting exactly that venue and name.
func FuzzSign(f *testing.F) {
	for _, n := range names {
		f.Add(n.businessName)
	}
	for _, s := range []string{"Kedai \u202eilA", "Cafe\u0301", "Ked\u200bai", " Kedai", "Kedai\nAli", "K:a:f:e"} {
		f.Add(s)
	}
	key := fuzzKey(f)
	keys := []Key{key.key}
	f.Fuzz(func(t *testing.T, name string) {
		s, err := Sign(context.Background(), key, venueA, 1, name)
		if err != nil {
			if validName(name) {
				t.Fatalf("Sign(%q): %v", name, err)
			}
			return
		}
		if !api.Displayable(name) || utf8.RuneCountInString(name) > MaxNameChars {
			t.Fatalf("signed %q", name)
		}
		p, err := Verify(s, keys)
		if err != nil || p.VenueID != venueA || p.BusinessName != name || !strings.HasPrefix(s, Prefix) {
			t.Fatalf("Verify(%q) = %+v, %v", s, p, err)
		}
	})
}
