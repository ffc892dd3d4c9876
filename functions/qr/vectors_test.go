package qr

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/json"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// The test vectors of docs/qr-format.md: the page a scanner is written from.
// Both this test and web/test/qr-vectors.test.mjs (WebCrypto) check them.
const formatDoc = "../../docs/qr-format.md"

type vectorFile struct {
	Base    string             `json:"base"`
	JWKS    jose.JSONWebKeySet `json:"jwks"`
	Vectors []vector           `json:"vectors"`
}

type vector struct {
	Name         string `json:"name"`
	Input        string `json:"input"`
	Valid        bool   `json:"valid"`
	VenueID      string `json:"venueId,omitempty"`
	Serial       uint32 `json:"serial,omitempty"`
	BusinessName string `json:"businessName,omitempty"`
	Reason       string `json:"reason,omitempty"`
}

// docVectors reads the one ```json test-vectors block of the format page.
func docVectors(t *testing.T) vectorFile {
	t.Helper()
	doc, err := os.ReadFile(formatDoc)
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(doc), "```json test-vectors\n")
	block, _, ok2 := strings.Cut(block, "\n```")
	if !ok || !ok2 {
		t.Fatalf("%s has no test-vectors block", formatDoc)
	}
	var f vectorFile
	if err := json.Unmarshal([]byte(block), &f); err != nil {
		t.Fatalf("test vectors: %v", err)
	}
	return f
}

// TestFormatVectors checks every vector of the page with Verify and FromURL, as
// POST /v1/qr/verify does, and that the page covers each verdict.
func TestFormatVectors(t *testing.T) {
	f := docVectors(t)
	var keys []Key
	for _, k := range f.JWKS.Keys {
		pub, ok := k.Key.(*ecdsa.PublicKey)
		key, err := NewKey(pub)
		if !ok || err != nil || key.ID != k.KeyID || k.Algorithm != "ES256" {
			t.Fatalf("JWKS key %q: kid is not its thumbprint's, or not ES256 P-256 (%v)", k.KeyID, err)
		}
		keys = append(keys, key)
	}
	reasons := map[string]bool{}
	for _, v := range f.Vectors {
		t.Run(v.Name, func(t *testing.T) {
			payload, err := v.Input, error(nil)
			if isURL(payload) {
				payload, err = FromURL(f.Base, payload)
			}
			var p Payload
			if err == nil {
				p, err = Verify(payload, keys)
			}
			if v.Valid {
				if err != nil || p.VenueID != v.VenueID || p.Serial != v.Serial || p.BusinessName != v.BusinessName {
					t.Fatalf("got %+v, %v; want valid %s serial %d %q", p, err, v.VenueID, v.Serial, v.BusinessName)
				}
				return
			}
			if err == nil || err.Error() != v.Reason {
				t.Fatalf("got %+v, %v; want %s", p, err, v.Reason)
			}
		})
		reasons[v.Reason] = true
	}
	for _, r := range []string{"", "malformed", "unknown_key", "invalid_signature", "wrong_origin"} {
		if !reasons[r] {
			t.Errorf("no vector with verdict %q", r)
		}
	}
}

// vectorKey is the test vectors' signing key n (1 or 2): a fixed scalar, so that
// the vectors can be made again with the same kids. Never a real key.
func vectorKey(t *testing.T, n int) *ecdsa.PrivateKey {
	d := sha256.Sum256([]byte("check-in registry qr-format test key " + string(rune('0'+n))))
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

// TestWriteFormatVectors prints a fresh vectors block for the page, with
// QR_WRITE_VECTORS=1 (signatures are random: the page's stay as they are).
func TestWriteFormatVectors(t *testing.T) {
	if os.Getenv("QR_WRITE_VECTORS") == "" {
		t.Skip("QR_WRITE_VECTORS=1 prints new test vectors for docs/qr-format.md")
	}
	ctx := context.Background()
	var f vectorFile
	f.Base = testBase
	var signers []*LocalKey
	for n := 1; n <= 2; n++ {
		priv := vectorKey(t, n)
		key, err := NewKey(&priv.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		signers = append(signers, &LocalKey{priv: priv, key: key})
		f.JWKS.Keys = append(f.JWKS.Keys, key.JWK())
	}
	const venue = "7ibdnaackypqooeps5u34fbrr4"
	sign := func(k, serial int, name string) string {
		s, err := Sign(ctx, signers[k], venue, uint32(serial), name)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	valid := func(name, input string, serial uint32, businessName string) {
		f.Vectors = append(f.Vectors, vector{Name: name, Input: input, Valid: true, VenueID: venue, Serial: serial, BusinessName: businessName})
	}
	invalid := func(name, input, reason string) {
		f.Vectors = append(f.Vectors, vector{Name: name, Input: input, Reason: reason})
	}
	latin := sign(0, 1, "Kedai Runcit Ali")
	valid("bare payload, Latin", latin, 1, "Kedai Runcit Ali")
	valid("URL, Latin", URL(f.Base, latin), 1, "Kedai Runcit Ali")
	han := sign(0, 1, "大大海鲜楼")
	valid("URL, Chinese (Simplified)", URL(f.Base, han), 1, "大大海鲜楼")
	valid("URL as a browser shows it (UTF-8 percent-encoded)", f.Base+CheckPath+"#"+strings.ReplaceAll(strings.ReplaceAll(
		urlPercentAll(strings.TrimPrefix(URL(f.Base, han), f.Base+CheckPath+"#")), "%3A", ":"), "%2B", "+"), 1, "大大海鲜楼")
	valid("URL, Chinese (Traditional)", URL(f.Base, sign(0, 1, "大大海鮮樓")), 1, "大大海鮮樓")
	valid("URL, Tamil", URL(f.Base, sign(0, 1, "முருகன் ஸ்டோர்ஸ்")), 1, "முருகன் ஸ்டோர்ஸ்")
	valid("URL, Jawi", URL(f.Base, sign(0, 1, "كداي رونچيت علي")), 1, "كداي رونچيت علي")
	special := "Kafe: 100% Halal + Sedap #1"
	valid("URL, a name with escapes", URL(f.Base, sign(0, 3, special)), 3, special)
	valid("signed by the previous key, still published", URL(f.Base, sign(1, 2, "Kedai Runcit Ali")), 2, "Kedai Runcit Ali")
	invalid("altered name", URL(f.Base, strings.Replace(latin, "Ali", "Abu", 1)), "invalid_signature")
	invalid("altered serial", strings.Replace(latin, venue+":1:", venue+":2:", 1), "invalid_signature")
	_, sig, _ := Parse(latin)
	sv := new(big.Int).SetBytes(sig[32:])
	sv.Sub(elliptic.P256().Params().N, sv)
	high := append([]byte(nil), sig...)
	sv.FillBytes(high[32:])
	invalid("high s (valid ECDSA, not canonical)", latin[:len(latin)-sigLen]+b64.EncodeToString(high), "invalid_signature")
	invalid("unknown kid", strings.Replace(latin, signers[0].key.ID, "AAAAAAAAAAAA", 1), "unknown_key")
	last := strings.IndexByte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", latin[len(latin)-1])
	invalid("non-canonical base64url", latin[:len(latin)-1]+string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[last^1]), "malformed")
	legacy := signLegacy(t, signers[0], venue, "Kedai Runcit Ali")
	valid("format 1 (legacy), bare payload", legacy, 0, "Kedai Runcit Ali")
	legacyColon := signLegacy(t, signers[1], venue, "Kafe: Sri Ampang")
	valid("format 1 (legacy), a name with a colon, the previous key", legacyColon, 0, "Kafe: Sri Ampang")
	valid("format 1 (legacy) in a URL", URL(f.Base, legacy), 0, "Kedai Runcit Ali")
	invalid("format 1, altered name", strings.Replace(legacy, "Ali", "Abu", 1), "invalid_signature")
	invalid("format 1, high s", highS(t, legacy), "invalid_signature")
	invalid("format 2 fields under the format 1 prefix", LegacyPrefix+strings.TrimPrefix(latin, Prefix), "invalid_signature")
	invalid("format 1 fields under the format 2 prefix", Prefix+strings.TrimPrefix(legacy, LegacyPrefix), "malformed")
	invalid("format version 3", "CKR3:"+strings.TrimPrefix(latin, Prefix), "malformed")
	invalid("serial with a leading zero", strings.Replace(latin, venue+":1:", venue+":01:", 1), "malformed")
	invalid("another site's page", "https://checkin.example.com"+CheckPath+"#"+strings.TrimPrefix(URL(f.Base, latin), f.Base+CheckPath+"#"), "wrong_origin")
	out, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.Write(append(out, '\n'))
}

// urlPercentAll is s with every non-ASCII byte percent-encoded, as a browser's
// location.hash shows a fragment.
func urlPercentAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			b.WriteString("%" + strings.ToUpper(hex2(s[i])))
		} else {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func hex2(c byte) string { return string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&15]) }
