package qr

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"
)

const venueA = "abcdefghijklmnopqrstuvwxyz"

func localKey(t testing.TB) *LocalKey {
	t.Helper()
	k, err := GenerateLocalKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// signLegacy is a format 1 payload as the registry signed them before format 2:
// no serial, the same signature over everything before the last ':'.
func signLegacy(t testing.TB, s Signer, venueID, businessName string) string {
	t.Helper()
	ctx := context.Background()
	key, err := s.SigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	input := Payload{KeyID: key.ID, VenueID: venueID, BusinessName: businessName}.signingInput()
	der, err := s.SignMessage(ctx, []byte(input))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := rawSignature(der)
	if err != nil {
		t.Fatal(err)
	}
	return input + ":" + b64.EncodeToString(raw)
}

// TestVerifyLegacy: a format 1 payload, as printed on posters before format 2,
// verifies as serial 0 under the same key, low-s and name rules; Parse (which
// reads stored payloads, to be signed again in format 2) refuses it.
func TestVerifyLegacy(t *testing.T) {
	ctx := context.Background()
	a, b := localKey(t), localKey(t)
	keysA, _ := a.PublicKeys(ctx)
	for _, n := range names {
		t.Run(n.name, func(t *testing.T) {
			s := signLegacy(t, a, venueA, n.businessName)
			if !strings.HasPrefix(s, LegacyPrefix+keysA[0].ID+":"+venueA+":"+n.businessName+":") {
				t.Fatalf("legacy payload %q", s)
			}
			p, err := Verify(s, keysA)
			if err != nil || p != (Payload{KeyID: keysA[0].ID, VenueID: venueA, BusinessName: n.businessName}) {
				t.Fatalf("Verify = %+v, %v", p, err)
			}
			if _, _, err := Parse(s); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse = %v, want %v", err, ErrMalformed)
			}
		})
	}
	good := signLegacy(t, a, venueA, "Kedai Runcit Ali")
	current, err := Sign(ctx, a, venueA, 1, "Kedai Runcit Ali")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, payload string
		want          error
	}{
		{"other name", strings.Replace(good, "Ali", "Abu", 1), ErrInvalidSignature},
		{"other venue", strings.Replace(good, venueA, strings.Repeat("b", 26), 1), ErrInvalidSignature},
		{"signed by another key", signLegacy(t, b, venueA, "Kedai Runcit Ali"), ErrUnknownKey},
		{"high s", highS(t, good), ErrInvalidSignature},
		{"a serial added", strings.Replace(good, venueA+":", venueA+":1:", 1), ErrInvalidSignature},
		{"format 2 under the format 1 prefix", LegacyPrefix + strings.TrimPrefix(current, Prefix), ErrInvalidSignature},
		{"format 1 under the format 2 prefix", Prefix + strings.TrimPrefix(good, LegacyPrefix), ErrMalformed},
		{"spoofing name", signLegacy(t, a, venueA, "Kedai \u202eilA"), ErrMalformed},
		{"lower-case prefix", "ckr1:" + strings.TrimPrefix(good, LegacyPrefix), ErrMalformed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Verify(tt.payload, keysA); !errors.Is(err, tt.want) {
				t.Fatalf("Verify(%q) = %v, want %v", tt.payload, err, tt.want)
			}
		})
	}
}

// names are business names at the edges of what registration accepts.
var names = []struct{ name, businessName string }{
	{"short", "Ali"},
	{"malay", "Kedai Runcit Ali"},
	{"colons and dots", "Kafe: 1.2 Jalan : Ampang:"},
	{"100 latin", strings.Repeat("Kedai Ali ", 10)[:99] + "x"},
	{"100 chinese", strings.Repeat("吉隆坡咖啡店", 17)[:300]},
	{"100 tamil", strings.Repeat("கடை", 34)[:300]},
	{"100 four-byte", strings.Repeat("🍜", 100)},
}

func TestSignVerify(t *testing.T) {
	key := localKey(t)
	keys, _ := key.PublicKeys(context.Background())
	for _, tt := range names {
		t.Run(tt.name, func(t *testing.T) {
			if n := utf8.RuneCountInString(tt.businessName); n > MaxNameChars {
				t.Fatalf("test name has %d characters", n)
			}
			s, err := Sign(context.Background(), key, venueA, 1, tt.businessName)
			if err != nil {
				t.Fatal(err)
			}
			if n := utf8.RuneCountInString(s); n > MaxPayloadChars || n > 133+10+MaxNameChars {
				t.Fatalf("payload has %d characters, want at most %d", n, 133+10+MaxNameChars)
			}
			if !strings.HasPrefix(s, Prefix+keys[0].ID+":"+venueA+":1:") {
				t.Fatalf("payload %q lacks the prefix, kid and venue id", s)
			}
			p, err := Verify(s, keys)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.VenueID != venueA || p.BusinessName != tt.businessName || p.KeyID != keys[0].ID {
				t.Fatalf("Verify = %+v, want venue %s name %q", p, venueA, tt.businessName)
			}
		})
	}
}

func TestSignRefusesBadInput(t *testing.T) {
	key := localKey(t)
	for _, tt := range []struct{ name, id, businessName string }{
		{"bad id", "ABC", "Kedai"},
		{"empty name", venueA, ""},
		{"long name", venueA, strings.Repeat("a", 101)},
		{"control", venueA, "Ked\nai"},
		{"right-to-left override", venueA, "Kedai \u202eilA"},
		{"bidi isolate", venueA, "Kedai \u2067Ali\u2069"},
		{"zero-width space", venueA, "Ked\u200bai"},
		{"zero-width joiner", venueA, "Ked\u200dai"},
		{"line separator", venueA, "Kedai\u2028Ali"},
		{"not NFC", venueA, "Cafe\u0301"},
		{"leading space", venueA, " Kedai"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if s, err := Sign(context.Background(), key, tt.id, 1, tt.businessName); err == nil {
				t.Fatalf("Sign = %q, want an error", s)
			}
		})
	}
}

// A payload whose name would read other than what it holds is refused even when
// its signature is good: no key, old or misused, can make one verify.
func TestVerifyRefusesSpoofingNames(t *testing.T) {
	ctx := context.Background()
	key := localKey(t)
	keys, _ := key.PublicKeys(ctx)
	for _, name := range []string{"Kedai \u202eilA", "Ked\u200bai", "Kedai\u2028Ali", "Cafe\u0301", "\ufeffKedai"} {
		input := Payload{KeyID: keys[0].ID, VenueID: venueA, BusinessName: name}.signingInput()
		der, err := key.SignMessage(ctx, []byte(input))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := rawSignature(der)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(input+":"+b64.EncodeToString(raw), keys); !errors.Is(err, ErrMalformed) {
			t.Errorf("name %q: Verify = %v, want %v", name, err, ErrMalformed)
		}
	}
}

// highS is the same signature with s replaced by n-s: valid for plain ECDSA,
// refused here so that a payload has one spelling.
func highS(t *testing.T, s string) string {
	t.Helper()
	_, sig, err := parseScanned(s)
	if err != nil {
		t.Fatal(err)
	}
	sv := new(big.Int).SetBytes(sig[32:])
	sv.Sub(elliptic.P256().Params().N, sv)
	out := append([]byte(nil), sig...)
	sv.FillBytes(out[32:])
	return s[:len(s)-sigLen] + b64.EncodeToString(out)
}

func TestVerifyRefuses(t *testing.T) {
	ctx := context.Background()
	a, b := localKey(t), localKey(t)
	keysA, _ := a.PublicKeys(ctx)
	keysB, _ := b.PublicKeys(ctx)
	good, err := Sign(ctx, a, venueA, 1, "Kedai Runcit Ali")
	if err != nil {
		t.Fatal(err)
	}
	byB, err := Sign(ctx, b, venueA, 1, "Kedai Runcit Ali")
	if err != nil {
		t.Fatal(err)
	}
	kidA, kidB := keysA[0].ID, keysB[0].ID
	sig := good[len(good)-sigLen:]
	lastSigChar := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", sig[sigLen-1])
	nonCanonical := good[:len(good)-1] + string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[lastSigChar^1])

	tests := []struct {
		name    string
		payload string
		keys    []Key
		want    error
	}{
		{"other name", strings.Replace(good, "Ali", "Abu", 1), keysA, ErrInvalidSignature},
		{"other venue", strings.Replace(good, venueA, strings.Repeat("b", 26), 1), keysA, ErrInvalidSignature},
		{"signed by another key", byB, keysA, ErrUnknownKey},
		{"another key's signature under our kid", strings.Replace(byB, kidB, kidA, 1), keysA, ErrInvalidSignature},
		{"unknown kid", strings.Replace(good, kidA, "AAAAAAAAAAAA", 1), keysA, ErrUnknownKey},
		{"no keys", good, nil, ErrUnknownKey},
		{"high s", highS(t, good), keysA, ErrInvalidSignature},
		{"non-canonical base64", nonCanonical, keysA, ErrMalformed},
		{"format 1 prefix", LegacyPrefix + strings.TrimPrefix(good, Prefix), keysA, ErrInvalidSignature},
		{"format 3 prefix", "CKR3:" + strings.TrimPrefix(good, Prefix), keysA, ErrMalformed},
		{"other serial", strings.Replace(good, venueA+":1:", venueA+":2:", 1), keysA, ErrInvalidSignature},
		{"serial with leading zero", strings.Replace(good, venueA+":1:", venueA+":01:", 1), keysA, ErrMalformed},
		{"serial zero", strings.Replace(good, venueA+":1:", venueA+":0:", 1), keysA, ErrMalformed},
		{"serial too big", strings.Replace(good, venueA+":1:", venueA+":4294967296:", 1), keysA, ErrMalformed},
		{"no serial", strings.Replace(good, venueA+":1:", venueA+":", 1), keysA, ErrMalformed},
		{"lower-case prefix", "ckr2:" + strings.TrimPrefix(good, Prefix), keysA, ErrMalformed},
		{"truncated", good[:len(good)-1], keysA, ErrMalformed},
		{"extra", good + "A", keysA, ErrMalformed},
		{"leading space", " " + good, keysA, ErrMalformed},
		{"empty", "", keysA, ErrMalformed},
		{"too long", good[:len(good)-sigLen-1] + strings.Repeat("x", 300) + good[len(good)-sigLen-1:], keysA, ErrMalformed},
		{"invalid utf-8", strings.Replace(good, "Ali", "A\xffi", 1), keysA, ErrMalformed},
		{"url", "https://example.com/" + good, keysA, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.payload == good && tt.keys != nil {
				t.Fatal("test payload is unchanged")
			}
			if _, err := Verify(tt.payload, tt.keys); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := Verify(good, append(keysB, keysA...)); err != nil {
		t.Fatalf("Verify with both keys published: %v", err)
	}
}

// TestVerifyRefusesAnyChange changes, deletes or duplicates each character of a
// payload in turn: every result must be refused.
func TestVerifyRefusesAnyChange(t *testing.T) {
	ctx := context.Background()
	key := localKey(t)
	keys, _ := key.PublicKeys(ctx)
	good, err := Sign(ctx, key, venueA, 1, "Kafe: Sri 🍜 Ampang")
	if err != nil {
		t.Fatal(err)
	}
	rs := []rune(good)
	for i := range rs {
		var variants []string
		for _, r := range []rune{'A', 'b', ':', '_'} {
			if rs[i] != r {
				c := append([]rune(nil), rs...)
				c[i] = r
				variants = append(variants, string(c))
			}
		}
		variants = append(variants, string(rs[:i])+string(rs[i+1:]), string(rs[:i+1])+string(rs[i:]))
		for _, v := range variants {
			if v == good {
				continue
			}
			if p, err := Verify(v, keys); err == nil {
				t.Fatalf("change at %d: %q verified as %+v", i, v, p)
			}
		}
	}
}

func TestRawSignature(t *testing.T) {
	n := elliptic.P256().Params().N
	der := func(r, s *big.Int) []byte {
		b, _ := asn1.Marshal(struct{ R, S *big.Int }{r, s})
		return b
	}
	one := big.NewInt(1)
	tests := []struct {
		name  string
		der   []byte
		wantS *big.Int
		ok    bool
	}{
		{"low s kept", der(one, big.NewInt(5)), big.NewInt(5), true},
		{"high s folded", der(one, new(big.Int).Sub(n, big.NewInt(5))), big.NewInt(5), true},
		{"zero r", der(big.NewInt(0), one), nil, false},
		{"too big", der(new(big.Int).Lsh(one, 257), one), nil, false},
		{"trailing bytes", append(der(one, one), 0), nil, false},
		{"garbage", []byte("nope"), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := rawSignature(tt.der)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && new(big.Int).SetBytes(raw[32:]).Cmp(tt.wantS) != 0 {
				t.Fatalf("s = %x, want %v", raw[32:], tt.wantS)
			}
		})
	}
}

// wrongSigner names one key and signs with another: Sign must notice.
type wrongSigner struct{ named, signs *LocalKey }

func (w wrongSigner) SigningKey(ctx context.Context) (Key, error) { return w.named.SigningKey(ctx) }
func (w wrongSigner) SignMessage(ctx context.Context, m []byte) ([]byte, error) {
	return w.signs.SignMessage(ctx, m)
}

func TestSignChecksSigner(t *testing.T) {
	if s, err := Sign(context.Background(), wrongSigner{localKey(t), localKey(t)}, venueA, 1, "Kedai"); err == nil {
		t.Fatalf("Sign = %q, want an error", s)
	}
}

func TestKeyID(t *testing.T) {
	k := localKey(t)
	key, _ := k.SigningKey(context.Background())
	raw, err := key.Public.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// A copy of the public key from its encoding, not the same value.
	copied, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		t.Fatal(err)
	}
	again, err := NewKey(copied)
	if err != nil || again.ID != key.ID || len(key.ID) != kidLen {
		t.Fatalf("kid %q then %q (%v), want the same %d characters", key.ID, again.ID, err, kidLen)
	}
	if other, _ := localKey(t).SigningKey(context.Background()); other.ID == key.ID {
		t.Fatalf("two keys share kid %q", key.ID)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if _, err := NewKey(&p384.PublicKey); err == nil {
		t.Fatal("NewKey took a P-384 key")
	}
}
