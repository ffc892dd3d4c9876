package qr

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/store"
)

// The payload format, version 2 (docs/qr-format.md is its specification). A
// payload is one line of text:
//
//	CKR2:<kid>:<venueId>:<serial>:<businessName>:<signature>
//
// Its parts:
//   - "CKR2:" is the fixed prefix: check-in registry, format version 2.
//   - kid is the signing key's id: 12 base64url characters, the first 9 bytes of
//     the key's RFC 7638 JWK thumbprint (SHA-256). GET /v1/keys lists it as "kid".
//   - venueId is the venue's 26-character id.
//   - serial is the venue's issue number, in decimal without leading zeros (1 to
//     4294967295): each new payload for a venue (another name, a reissue) takes
//     the next one, a re-signing with a new key keeps it. A revocation names a
//     venue and a serial.
//   - businessName is the venue's name as registered: 1–100 characters of UTF-8
//     in normalisation form C, no space at either end, no control characters and
//     no format characters (Unicode Cf: bidirectional controls, zero-width
//     characters, …) nor U+2028/U+2029; it may itself contain ':'.
//   - signature is ES256 over everything before the last ':' (the "signing input"):
//     ECDSA P-256 of SHA-256(signing input), as r||s (32 bytes each, big-endian)
//     in unpadded base64url, 86 characters. s is always in the lower half of the
//     curve order and the base64url is canonical, so that each signed payload has
//     exactly one spelling: any change to any character makes it invalid.
//
// A payload is at most 133 + 10 + 100 = 243 characters; the QR code holds it in
// the fragment of a URL on the site's origin (url.go).
//
// Why not a JWS: a compact JWS of the same content is a base64url header (about
// 48 characters with its kid), a base64url JSON body (the name grows by a third,
// and up to four-fold for non-Latin names) and the same 86-character signature;
// with a 100-character Latin name it is over 320 characters, and up to about 720
// for a 100-character name in a non-Latin script, past the 300 the contract
// allows. The keys are still published as a standard JWKS (go-jose), and the
// signature is the JWS ES256 one, so any JOSE library checks it.
//
// Format 1, "CKR1:<kid>:<venueId>:<businessName>:<signature>", is the same
// without a serial, signed the same way over everything before its last ':'.
// Codes of it are printed on posters, so Verify still takes it (as serial 0, which
// no format 2 payload has); nothing signs it any more, and Parse, which reads a
// stored payload, refuses it, so that a venue's stored format 1 payload is signed
// again in format 2.
const (
	Prefix = "CKR2:"
	// LegacyPrefix is format 1's prefix.
	LegacyPrefix = "CKR1:"
	// MaxPayloadChars is the contract's limit on a payload's length in characters.
	MaxPayloadChars = 300
	// MaxNameChars is the longest business name the registration accepts.
	MaxNameChars = 100
	kidLen       = 12
	sigLen       = 86
)

var b64 = base64.RawURLEncoding.Strict()

// Key is a public key that payloads are checked with, under its kid.
type Key struct {
	ID     string
	Public *ecdsa.PublicKey
}

// NewKey is pub with its kid.
func NewKey(pub *ecdsa.PublicKey) (Key, error) {
	if pub == nil || pub.Curve != elliptic.P256() {
		return Key{}, errors.New("key is not ECDSA P-256")
	}
	thumb, err := (&jose.JSONWebKey{Key: pub}).Thumbprint(crypto.SHA256)
	if err != nil {
		return Key{}, fmt.Errorf("key thumbprint: %w", err)
	}
	return Key{ID: b64.EncodeToString(thumb[:9]), Public: pub}, nil
}

// JWK is the key as a JSON Web Key for ES256 signatures.
func (k Key) JWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.Public, KeyID: k.ID, Algorithm: string(jose.ES256), Use: "sig"}
}

// Signer signs with the current signing key, whose private half it never shows.
type Signer interface {
	// SigningKey is the current signing key's public half.
	SigningKey(ctx context.Context) (Key, error)
	// SignMessage is the ASN.1 DER ECDSA signature of SHA-256(message): ES256.
	SignMessage(ctx context.Context, message []byte) ([]byte, error)
}

// KeySet is the keys that payloads are checked with: the current one and the
// previous ones still published.
type KeySet interface {
	PublicKeys(ctx context.Context) ([]Key, error)
}

// Payload is what a QR code asserts.
type Payload struct {
	KeyID   string
	VenueID string
	// Serial is 0 for a format 1 payload, which has none.
	Serial       uint32
	BusinessName string
}

func (p Payload) signingInput() string {
	if p.Serial == 0 {
		return LegacyPrefix + p.KeyID + ":" + p.VenueID + ":" + p.BusinessName
	}
	return Prefix + p.KeyID + ":" + p.VenueID + ":" + strconv.FormatUint(uint64(p.Serial), 10) + ":" + p.BusinessName
}

// ErrUnsignable is a venue whose id or name the format cannot carry.
var ErrUnsignable = errors.New("venue id or name out of the payload format")

// Sign makes the payload for a venue's issue serial with the signer's current key.
func Sign(ctx context.Context, s Signer, venueID string, serial uint32, businessName string) (string, error) {
	if !store.ValidID(venueID) || serial == 0 || !validName(businessName) {
		return "", fmt.Errorf("sign venue %s: %w", venueID, ErrUnsignable)
	}
	key, err := s.SigningKey(ctx)
	if err != nil {
		return "", err
	}
	p := Payload{KeyID: key.ID, VenueID: venueID, Serial: serial, BusinessName: businessName}
	input := p.signingInput()
	der, err := s.SignMessage(ctx, []byte(input))
	if err != nil {
		return "", err
	}
	raw, err := rawSignature(der)
	if err != nil {
		return "", err
	}
	// A signer that holds a key other than the one it named would make codes that
	// never verify: check once here, cheaply, rather than in the field.
	digest := sha256.Sum256([]byte(input))
	if !ecdsa.Verify(key.Public, digest[:], new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])) {
		return "", errors.New("signer's signature does not match its public key")
	}
	return input + ":" + b64.EncodeToString(raw), nil
}

var halfOrder = new(big.Int).Rsh(elliptic.P256().Params().N, 1)

// rawSignature turns a DER signature into r||s with s in the lower half.
func rawSignature(der []byte) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) > 0 || sig.R == nil || sig.S == nil || sig.R.Sign() <= 0 || sig.S.Sign() <= 0 ||
		sig.R.BitLen() > 256 || sig.S.BitLen() > 256 {
		return nil, errors.New("signature is not a P-256 ECDSA DER signature")
	}
	if sig.S.Cmp(halfOrder) > 0 {
		sig.S.Sub(elliptic.P256().Params().N, sig.S)
	}
	out := make([]byte, 64)
	sig.R.FillBytes(out[:32])
	sig.S.FillBytes(out[32:])
	return out, nil
}

// Reasons a payload is refused: the "reason" of POST /v1/qr/verify.
var (
	ErrMalformed        = errors.New("malformed")
	ErrUnknownKey       = errors.New("unknown_key")
	ErrInvalidSignature = errors.New("invalid_signature")
)

// Parse splits a format 2 payload into its parts and signature without checking it.
func Parse(s string) (Payload, []byte, error) {
	return parse(s, Prefix)
}

// parseScanned is Parse that also reads a format 1 payload, as Serial 0.
func parseScanned(s string) (Payload, []byte, error) {
	if strings.HasPrefix(s, LegacyPrefix) {
		return parse(s, LegacyPrefix)
	}
	return Parse(s)
}

// parse splits a payload of the format of prefix (Prefix or LegacyPrefix).
func parse(s, prefix string) (Payload, []byte, error) {
	if len(s) > 4*MaxPayloadChars || !utf8.ValidString(s) || utf8.RuneCountInString(s) > MaxPayloadChars {
		return Payload{}, nil, ErrMalformed
	}
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return Payload{}, nil, ErrMalformed
	}
	cut := strings.LastIndexByte(rest, ':')
	if cut < 0 || len(rest)-cut-1 != sigLen {
		return Payload{}, nil, ErrMalformed
	}
	sig, err := b64.DecodeString(rest[cut+1:])
	if err != nil || len(sig) != 64 {
		return Payload{}, nil, ErrMalformed
	}
	kid, rest, ok1 := strings.Cut(rest[:cut], ":")
	venueID, name, ok2 := strings.Cut(rest, ":")
	n, ok3, ok4 := uint32(0), true, true
	if prefix == Prefix {
		var serial string
		serial, name, ok3 = strings.Cut(name, ":")
		n, ok4 = parseSerial(serial)
	}
	if !ok1 || !ok2 || !ok3 || !ok4 || len(kid) != kidLen || !validKID(kid) || !store.ValidID(venueID) || !validName(name) {
		return Payload{}, nil, ErrMalformed
	}
	return Payload{KeyID: kid, VenueID: venueID, Serial: n, BusinessName: name}, sig, nil
}

// Verify checks payload s (format 2, or format 1 as printed before it) against
// keys and answers what it asserts.
func Verify(s string, keys []Key) (Payload, error) {
	p, sig, err := parseScanned(s)
	if err != nil {
		return Payload{}, err
	}
	var pub *ecdsa.PublicKey
	for _, k := range keys {
		if k.ID == p.KeyID {
			pub = k.Public
		}
	}
	if pub == nil {
		return Payload{}, ErrUnknownKey
	}
	r, sv := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	digest := sha256.Sum256([]byte(p.signingInput()))
	if sv.Cmp(halfOrder) > 0 || !ecdsa.Verify(pub, digest[:], r, sv) {
		return Payload{}, ErrInvalidSignature
	}
	return p, nil
}

// parseSerial reads a serial in its one spelling: decimal, 1 to 2³²-1, no sign
// or leading zero.
func parseSerial(s string) (uint32, bool) {
	if s == "" || s[0] == '0' || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err == nil
}

func validKID(s string) bool {
	_, err := b64.DecodeString(s)
	return err == nil
}

// validName says whether a payload can carry s: a name as registration stores one,
// which shows exactly what it holds (api.Displayable). Neither Sign nor Verify
// takes a name with a bidirectional override, a zero-width character or any other
// invisible formatting, so no genuine payload reads other than what it says.
func validName(s string) bool {
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= MaxNameChars && api.Displayable(s)
}
