package qr

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/api"
)

// The revocation list, for scanners that check payloads offline (its format is
// in docs/revocations.md): a JWS in the flattened JSON serialization, ES256,
// signed with the QR signing key under its kid in GET /v1/keys, over
//
//	{"typ": "ckr-revocations", "iat": <unix>, "revoked": {"<venueId>": ["<payload hash>" | "*", …], …}}
//
// A payload is revoked if its venue's entry holds "*" or the payload's hash
// (store.PayloadHash: base64url of the first 16 bytes of SHA-256 of the bare
// payload). Entries are per venue, so no revocation touches another venue.

// ErrRevoked is a genuine payload its owner replaced, or whose venue is closed:
// the "reason" of POST /v1/qr/verify.
var ErrRevoked = errors.New("revoked")

// RevocationsType is the "typ" of the list's body and header.
const RevocationsType = "ckr-revocations"

type revocationList struct {
	Type     string              `json:"typ"`
	IssuedAt int64               `json:"iat"`
	Revoked  map[string][]string `json:"revoked"`
}

type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// flattenedJWS is RFC 7515's flattened JSON serialization.
type flattenedJWS struct {
	Protected string `json:"protected"`
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

// revocationCache keeps the signed list for a while per process, so that the
// list costs a read of its shards and a KMS Sign at most once per ttl.
type revocationCache struct {
	mu   sync.Mutex
	body string
	at   time.Time
}

func (c *revocationCache) get(now time.Time, ttl time.Duration) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.body != "" && now.Sub(c.at) < ttl && !now.Before(c.at) {
		return c.body
	}
	return ""
}

func (c *revocationCache) put(body string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.body, c.at = body, at
}

// invalidate drops the cached list: this process has just revoked something.
func (c *revocationCache) invalidate() { c.put("", time.Time{}) }

// signRevocations builds and signs the list as it stands.
func signRevocations(ctx context.Context, s Signer, revoked map[string][]string, now time.Time) (string, error) {
	key, err := s.SigningKey(ctx)
	if err != nil {
		return "", err
	}
	header, _ := json.Marshal(jwsHeader{Alg: "ES256", Kid: key.ID, Typ: RevocationsType})
	body, err := json.Marshal(revocationList{Type: RevocationsType, IssuedAt: now.Unix(), Revoked: revoked})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	jws := flattenedJWS{Protected: enc.EncodeToString(header), Payload: enc.EncodeToString(body)}
	der, err := s.SignMessage(ctx, []byte(jws.Protected+"."+jws.Payload))
	if err != nil {
		return "", err
	}
	raw, err := rawSignature(der)
	if err != nil {
		return "", err
	}
	jws.Signature = enc.EncodeToString(raw)
	out, err := json.Marshal(jws)
	return string(out), err
}

func (h *Handler) listRevocations(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	now := h.now()
	body := h.revocations.get(now, h.cfg.RevocationsCacheTTL)
	if body == "" {
		revoked, err := h.store.Revocations(ctx)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		if body, err = signRevocations(ctx, h.signer, revoked, now); err != nil {
			return events.APIGatewayProxyResponse{}, api.Unavailable(5, err)
		}
		h.revocations.put(body, now)
	}
	resp := api.Raw(req, 200, "application/jose+json", body, false)
	resp.Headers["Cache-Control"] = "public, max-age=" + strconv.Itoa(int(h.cfg.RevocationsMaxAge/time.Second))
	return resp, nil
}
