// Package token issues and checks the bearer tokens that open a venue's or a
// ticket's endpoints: "v1.<payload>.<mac>", base64url, HMAC-SHA256 over the payload.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/checkin-registry/registry/shared/secret"
)

// Audiences keep a token for one kind of thing from opening another.
const (
	Venue  = "venue"
	Ticket = "ticket"
)

// Errors from Check.
var (
	ErrMalformed = errors.New("token malformed")
	ErrForged    = errors.New("token signature invalid")
	ErrExpired   = errors.New("token expired")
)

// Claims is what a token asserts: its bearer may act on Subject until Expires.
type Claims struct {
	Audience string `json:"aud"`
	Subject  string `json:"sub"`
	Expires  int64  `json:"exp"`
}

// Issuer signs and checks tokens with one key.
type Issuer struct {
	Key []byte
}

// VenueIssuer is the issuer of venue tokens (audience Venue): the verify function
// issues them and the qr function checks them, each with this same derived key.
func VenueIssuer(keys secret.Keys) Issuer {
	return Issuer{Key: keys.Derive("venue-token")}
}

const prefix = "v1."

// enc is unpadded base64url; strict decoding refuses a spelling with unused bits
// set, so that a token has one spelling and no second string opens as it.
var enc = base64.RawURLEncoding.Strict()

// Issue is a token for audience and subject, valid for ttl from now.
func (i Issuer) Issue(audience, subject string, now time.Time, ttl time.Duration) (string, time.Time) {
	exp := now.Add(ttl).Truncate(time.Second)
	payload, _ := json.Marshal(Claims{Audience: audience, Subject: subject, Expires: exp.Unix()})
	p := enc.EncodeToString(payload)
	return prefix + p + "." + enc.EncodeToString(i.mac(p)), exp
}

// Check verifies tok's signature, audience and expiry and returns its subject.
func (i Issuer) Check(tok, audience string, now time.Time) (string, error) {
	rest, ok := strings.CutPrefix(tok, prefix)
	p, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || len(tok) > 1024 {
		return "", ErrMalformed
	}
	got, err := enc.DecodeString(sig)
	if err != nil {
		return "", ErrMalformed
	}
	if !hmac.Equal(got, i.mac(p)) {
		return "", ErrForged
	}
	raw, err := enc.DecodeString(p)
	var c Claims
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Subject == "" {
		return "", ErrMalformed
	}
	if c.Audience != audience {
		return "", ErrForged
	}
	if now.Unix() >= c.Expires {
		return "", ErrExpired
	}
	return c.Subject, nil
}

func (i Issuer) mac(payload string) []byte {
	m := hmac.New(sha256.New, i.Key)
	m.Write([]byte(prefix + payload))
	return m.Sum(nil)
}

// Bearer is the token in an "Authorization: Bearer …" header value, or "".
func Bearer(header string) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}
