package qr

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/go-jose/go-jose/v4"

	"github.com/checkin-registry/registry/functions/helpdesk"
	"github.com/checkin-registry/registry/functions/verify"
	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/otp"
	"github.com/checkin-registry/registry/shared/owner"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/secret"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/shared/token"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

var start = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// countingKMS counts the KMS calls made through it; with down set, every call
// fails as when KMS is out of reach.
type countingKMS struct {
	kmsAPI
	signs, publicKeys atomic.Int64
	down              atomic.Bool
}

var errKMSDown = errors.New("kms: connection refused")

func (c *countingKMS) Sign(ctx context.Context, in *kms.SignInput, o ...func(*kms.Options)) (*kms.SignOutput, error) {
	c.signs.Add(1)
	if c.down.Load() {
		return nil, errKMSDown
	}
	return c.kmsAPI.Sign(ctx, in, o...)
}

func (c *countingKMS) GetPublicKey(ctx context.Context, in *kms.GetPublicKeyInput, o ...func(*kms.Options)) (*kms.GetPublicKeyOutput, error) {
	c.publicKeys.Add(1)
	if c.down.Load() {
		return nil, errKMSDown
	}
	return c.kmsAPI.GetPublicKey(ctx, in, o...)
}

type harness struct {
	t     *testing.T
	stack *mototest.TestStack
	clock *apitest.Clock
	rt    process.Runtime
	store *store.Store
	keys  secret.Keys
	cfg   Config
	db    *apitest.CountingDB
	kms   *countingKMS
	qr    *Handler
	ver   *verify.Handler
	// helpdesk is built on first use, over the same table.
	helpdesk *helpdesk.Handler
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	st := mototest.NewTestStack(t, nil)
	hs := &harness{t: t, stack: st, clock: apitest.NewClock(start)}
	cfg, err := LoadConfig(st.Config("QrFunction", nil))
	if err != nil {
		t.Fatal(err)
	}
	hs.cfg, hs.keys = cfg, st.Keys(t)
	hs.rt = st.Runtime("QrFunction")
	hs.rt.Now = hs.clock.Now
	hs.db = &apitest.CountingDB{Client: dynamodb.NewFromConfig(st.AWS)}
	hs.store = store.New(hs.db, st.Store().Table())
	hs.kms = &countingKMS{kmsAPI: kms.NewFromConfig(st.AWS)}
	hs.qr = hs.handler(cfg.SigningKeyID, nil)

	vcfg, err := verify.LoadConfig(st.Config("VerifyFunction", nil))
	if err != nil {
		t.Fatal(err)
	}
	vrt := st.Runtime("VerifyFunction")
	vrt.Now = hs.clock.Now
	hs.ver = verify.New(vcfg, st.Store(), hs.keys, vrt)
	return hs
}

// handler is a qr handler (a fresh process: empty key cache) signing with the
// KMS key signing and publishing previous too.
func (hs *harness) handler(signing string, previous []string) *Handler {
	cfg := hs.cfg
	cfg.SigningKeyID, cfg.PreviousKeyIDs = signing, previous
	k := NewKMS(hs.kms, signing, previous)
	return New(cfg, hs.store, hs.keys, k, k, hs.rt)
}

// venue registers a venue the way the service does: a pending registration, then
// the verify function's answer to its code. It answers the venue id and token.
func (hs *harness) venue(businessName string) (string, string) {
	hs.t.Helper()
	return hs.venueOf(businessName, "+60123456789", "")
}

// venueOf is venue for the contact phone with hash contactHash ("" for one of
// its own).
func (hs *harness) venueOf(businessName, phone, contactHash string) (string, string) {
	hs.t.Helper()
	ctx := context.Background()
	id, err := store.NewID(hs.rt.Rand)
	if err != nil {
		hs.t.Fatal(err)
	}
	if contactHash == "" {
		contactHash = "test-" + id
	}
	now := hs.clock.Now()
	tx := hs.store.Tx()
	err = tx.PutRegistration(store.Registration{
		ID: id, BusinessName: businessName, Address: "12 Jalan Ampang, Kuala Lumpur", Channel: "sms",
		Destination: phone, DestinationHash: contactHash,
		CodeHash: otp.Hash(hs.keys.Derive("otp"), id, 1, "123456"), CodeExpiresAt: now.Add(5 * time.Minute).Unix(),
		Sends: 1, LastSentAt: now.Unix(), Status: store.Pending, CreatedAt: now.Unix(), TTL: now.Add(24 * time.Hour).Unix(),
	})
	if err != nil {
		hs.t.Fatal(err)
	}
	if err := hs.store.Commit(ctx, tx); err != nil {
		hs.t.Fatal(err)
	}
	resp, _ := hs.ver.Handle(ctx, apitest.Request("POST", "/v1/registrations/{registrationId}/verify",
		map[string]string{"registrationId": id}, map[string]string{"code": "123456"}, "192.0.2.1"))
	if resp.StatusCode != 200 {
		hs.t.Fatalf("verify: status=%d %s", resp.StatusCode, resp.Body)
	}
	body := apitest.Decode(hs.t, resp)
	return body["venueId"].(string), body["accessToken"].(string)
}

func get(h *Handler, resource, venueID, tok string, query map[string]string) events.APIGatewayProxyResponse {
	req := apitest.Request("GET", resource, map[string]string{"venueId": venueID}, nil, "192.0.2.1")
	if tok != "" {
		req.Headers["Authorization"] = "Bearer " + tok
	}
	req.QueryStringParameters = query
	resp, _ := h.Handle(context.Background(), req)
	return resp
}

func (hs *harness) getVenue(h *Handler, id, tok string) (events.APIGatewayProxyResponse, map[string]any) {
	hs.t.Helper()
	resp := get(h, "/v1/venues/{venueId}", id, tok, nil)
	return resp, apitest.Decode(hs.t, resp)
}

func payloadOf(t *testing.T, body map[string]any) string {
	t.Helper()
	q, _ := body["qr"].(map[string]any)
	p, _ := q["payload"].(string)
	if p == "" {
		t.Fatalf("no qr.payload in %v", body)
	}
	return p
}

func (hs *harness) check(h *Handler, payload string) map[string]any {
	hs.t.Helper()
	resp, _ := h.Handle(context.Background(), apitest.Request("POST", "/v1/qr/verify", nil, map[string]string{"payload": payload}, "192.0.2.1"))
	if resp.StatusCode != 200 {
		hs.t.Fatalf("qr verify: status=%d, want 200: %s", resp.StatusCode, resp.Body)
	}
	return apitest.Decode(hs.t, resp)
}

func TestVenueAndCodes(t *testing.T) {
	hs := newHarness(t)
	const name = "Kedai Runcit Ali"
	id, tok := hs.venue(name)
	hs.db.Reset()

	// First fetch: read, sign in KMS, store on the venue.
	resp, body := hs.getVenue(hs.qr, id, tok)
	if resp.StatusCode != 200 {
		t.Fatalf("status=%d, want 200: %s", resp.StatusCode, resp.Body)
	}
	payload := payloadOf(t, body)
	if body["venueId"] != id || body["businessName"] != name || body["contact"] != "+60•••••6789" || body["channel"] != "sms" {
		t.Fatalf("venue body %v", body)
	}
	if body["createdAt"] != start.Format(time.RFC3339) {
		t.Fatalf("createdAt %v, want %s", body["createdAt"], start.Format(time.RFC3339))
	}
	n, by := hs.db.Calls()
	if n != 2 || by["GetItem"] != 1 || by["UpdateItem"] != 1 || hs.kms.signs.Load() != 1 || hs.kms.publicKeys.Load() != 1 {
		t.Fatalf("first fetch: dynamodb %v, kms sign %d, get public key %d; want 1 get, 1 update, 1 sign, 1 public key",
			by, hs.kms.signs.Load(), hs.kms.publicKeys.Load())
	}

	// Later fetches, of the record or any image: one read, no KMS call, the same payload.
	hs.db.Reset()
	hs.kms.signs.Store(0)
	hs.kms.publicKeys.Store(0)
	_, again := hs.getVenue(hs.qr, id, tok)
	if got := payloadOf(t, again); got != payload {
		t.Fatalf("second fetch payload %q, want the stored %q", got, payload)
	}
	for _, tt := range []struct {
		format, mediaType string
		binary            bool
	}{{"png", "image/png", true}, {"svg", "image/svg+xml", false}, {"poster", "application/pdf", true}} {
		t.Run(tt.format, func(t *testing.T) {
			resp := get(hs.qr, "/v1/venues/{venueId}/qr", id, tok, map[string]string{"format": tt.format})
			if resp.StatusCode != 200 || resp.Headers["Content-Type"] != tt.mediaType || resp.IsBase64Encoded != tt.binary {
				t.Fatalf("status=%d type=%q base64=%v, want 200 %q %v: %.200s", resp.StatusCode, resp.Headers["Content-Type"], resp.IsBase64Encoded, tt.mediaType, tt.binary, resp.Body)
			}
			raw := []byte(resp.Body)
			if tt.binary {
				var err error
				if raw, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
					t.Fatal(err)
				}
			}
			switch tt.format {
			case "png":
				got, img := decodePNG(t, raw)
				if want := URL(hs.cfg.BaseURL, payload); got != want || img.Bounds().Dx() < DefaultSize {
					t.Fatalf("png reads %q at %d px, want %q at %d or more", got, img.Bounds().Dx(), want, DefaultSize)
				}
			case "svg":
				if got, want := decode(t, rasterSVG(t, raw, 4)), URL(hs.cfg.BaseURL, payload); got != want {
					t.Fatalf("svg reads %q, want %q", got, want)
				}
			case "poster":
				if !strings.HasPrefix(string(raw), "%PDF-") {
					t.Fatalf("poster is not a PDF: %.20q", raw)
				}
			}
		})
	}
	n, by = hs.db.Calls()
	if n != 4 || by["GetItem"] != 4 || hs.kms.signs.Load() != 0 || hs.kms.publicKeys.Load() != 0 {
		t.Fatalf("4 warm fetches: dynamodb %v, kms sign %d, get public key %d; want 4 gets and no KMS call",
			by, hs.kms.signs.Load(), hs.kms.publicKeys.Load())
	}

	// The payload checks out, and says which venue; checking that it is not
	// revoked reads one item.
	hs.db.Reset()
	res := hs.check(hs.qr, payload)
	if res["valid"] != true || res["venueId"] != id || res["businessName"] != name {
		t.Fatalf("verify = %v", res)
	}
	if n, by := hs.db.Calls(); n != 1 || by["GetItem"] != 1 {
		t.Fatalf("verify made DynamoDB calls %v, want one GetItem", by)
	}
}

func TestPNGSize(t *testing.T) {
	hs := newHarness(t)
	id, tok := hs.venue(strings.Repeat("Kedai Ali ", 10)[:99] + "x")
	_, body := hs.getVenue(hs.qr, id, tok)
	m, err := Encode(URL(hs.cfg.BaseURL, payloadOf(t, body)))
	if err != nil {
		t.Fatal(err)
	}
	least := m.MinSize()
	if least <= MinSize || m.DefaultSize(DefaultSize) <= DefaultSize {
		t.Fatalf("a 100-character name's code (%d modules) should need more than %d px at least and %d by default", m.N, MinSize, DefaultSize)
	}
	tests := []struct {
		size  string
		want  int
		field string
	}{
		{"", FarModulePixels * (m.N + 2*QuietZone), ""},
		{strconv.Itoa(least), least, ""},
		{"1000", 1000, ""},
		{"2048", 2048, ""},
		{strconv.Itoa(least - 1), 0, "size"},
		{"128", 0, "size"},
		{"127", 0, "size"},
		{"2049", 0, "size"},
		{"-1", 0, "size"},
		{"12px", 0, "size"},
	}
	for _, tt := range tests {
		t.Run(tt.size, func(t *testing.T) {
			q := map[string]string{"format": "png"}
			if tt.size != "" {
				q["size"] = tt.size
			}
			resp := get(hs.qr, "/v1/venues/{venueId}/qr", id, tok, q)
			if tt.field != "" {
				fields, _ := apitest.Decode(t, resp)["error"].(map[string]any)["fields"].(map[string]any)
				if resp.StatusCode != 400 || fields[tt.field] == nil {
					t.Fatalf("status=%d, want 400 naming %s: %s", resp.StatusCode, tt.field, resp.Body)
				}
				if n, _ := strconv.Atoi(tt.size); n >= MinSize && n < least && !strings.Contains(resp.Body, "at least "+strconv.Itoa(least)) {
					t.Fatalf("400 does not give the minimum %d: %s", least, resp.Body)
				}
				return
			}
			if resp.StatusCode != 200 {
				t.Fatalf("status=%d, want 200: %.200s", resp.StatusCode, resp.Body)
			}
			raw, _ := base64.StdEncoding.DecodeString(resp.Body)
			if _, img := decodePNG(t, raw); img.Bounds().Dx() != tt.want {
				t.Fatalf("size=%d, want %d", img.Bounds().Dx(), tt.want)
			}
		})
	}
	resp := get(hs.qr, "/v1/venues/{venueId}/qr", id, tok, map[string]string{"format": "gif"})
	if resp.StatusCode != 400 || !strings.Contains(resp.Body, `"format"`) {
		t.Fatalf("format=gif: status=%d, want 400 naming format: %s", resp.StatusCode, resp.Body)
	}
}

func TestVenueTokens(t *testing.T) {
	hs := newHarness(t)
	idA, tokA := hs.venue("Kedai A")
	idB, tokB := hs.venue("Kedai B")
	venues := token.VenueIssuer(hs.keys)
	missing, _ := store.NewID(hs.rt.Rand)
	tokMissing, _ := venues.Issue(token.Venue, missing, hs.clock.Now(), time.Hour)
	ticket, _ := venues.Issue(token.Ticket, idA, hs.clock.Now(), time.Hour)
	forged, _ := token.Issuer{Key: []byte("not the service's key")}.Issue(token.Venue, idA, hs.clock.Now(), time.Hour)

	tests := []struct {
		name, id, tok string
		status        int
		code          string
	}{
		{"own venue", idA, tokA, 200, ""},
		{"other own venue", idB, tokB, 200, ""},
		{"no token", idA, "", 401, "unauthorized"},
		{"garbage", idA, "abc.def", 401, "unauthorized"},
		{"forged", idA, forged, 401, "unauthorized"},
		{"ticket audience", idA, ticket, 401, "unauthorized"},
		{"A's token on B", idB, tokA, 403, "forbidden"},
		{"B's token on A", idA, tokB, 403, "forbidden"},
		{"A's token on a bad id", "x", tokA, 403, "forbidden"},
		{"unknown venue", missing, tokMissing, 404, "not_found"},
	}
	for _, resource := range []string{"/v1/venues/{venueId}", "/v1/venues/{venueId}/qr"} {
		for _, tt := range tests {
			t.Run(resource+"/"+tt.name, func(t *testing.T) {
				resp := get(hs.qr, resource, tt.id, tt.tok, nil)
				if resp.StatusCode != tt.status {
					t.Fatalf("status=%d, want %d: %.200s", resp.StatusCode, tt.status, resp.Body)
				}
				if tt.code != "" {
					if got := apitest.ErrorCode(t, resp); got != tt.code {
						t.Fatalf("code=%q, want %q", got, tt.code)
					}
					if strings.Contains(resp.Body, "Kedai") || resp.Headers["X-Request-Id"] == "" {
						t.Fatalf("error leaks a venue or lacks X-Request-Id: %v %s", resp.Headers, resp.Body)
					}
				}
			})
		}
	}

	// Tokens expire: verify issues them for VENUE_TOKEN_TTL (24 h by default).
	hs.clock.Advance(24*time.Hour - time.Second)
	if resp := get(hs.qr, "/v1/venues/{venueId}", idA, tokA, nil); resp.StatusCode != 200 {
		t.Fatalf("just before expiry: status=%d, want 200", resp.StatusCode)
	}
	hs.clock.Advance(time.Second)
	for _, resource := range []string{"/v1/venues/{venueId}", "/v1/venues/{venueId}/qr"} {
		if resp := get(hs.qr, resource, idA, tokA, nil); resp.StatusCode != 401 {
			t.Fatalf("%s at expiry: status=%d, want 401", resource, resp.StatusCode)
		}
	}
}

func TestVerifyEndpoint(t *testing.T) {
	hs := newHarness(t)
	id, tok := hs.venue("Kafe: Sri 🍜 Ampang")
	_, body := hs.getVenue(hs.qr, id, tok)
	good := payloadOf(t, body)
	other := localKey(t)
	byOther, err := Sign(context.Background(), other, id, 1, "Kafe: Sri 🍜 Ampang")
	if err != nil {
		t.Fatal(err)
	}
	kid := strings.Split(good, ":")[1]
	otherKid := strings.Split(byOther, ":")[1]
	// A format 1 code as printed before format 2, by the key the handler signs with.
	legacy := signLegacy(t, hs.qr.signer, id, "Kafe: Sri 🍜 Ampang")

	tests := []struct {
		name    string
		payload string
		reason  string
	}{
		{"genuine", good, ""},
		{"genuine, format 1", legacy, ""},
		{"format 1 in a url", URL(hs.cfg.BaseURL, legacy), ""},
		{"format 1, tampered name", strings.Replace(legacy, "Sri", "Sti", 1), "invalid_signature"},
		{"format 1, tampered venue", strings.Replace(legacy, id, strings.Repeat("a", 26), 1), "invalid_signature"},
		{"tampered name", strings.Replace(good, "Sri", "Sti", 1), "invalid_signature"},
		{"tampered venue", strings.Replace(good, id, strings.Repeat("a", 26), 1), "invalid_signature"},
		{"signed by another key", byOther, "unknown_key"},
		{"another key under our kid", strings.Replace(byOther, otherKid, kid, 1), "invalid_signature"},
		{"unknown kid", strings.Replace(good, kid, "AAAAAAAAAAAA", 1), "unknown_key"},
		{"truncated", good[:len(good)-3], "malformed"},
		{"not ours", "https://example.com/venue/123", "wrong_origin"},
		{"on another site", "https://example.com" + CheckPath + "#" + good, "wrong_origin"},
		{"url", URL(hs.cfg.BaseURL, good), ""},
		{"url as a browser shows it", hs.cfg.BaseURL + CheckPath + "#" + strings.ReplaceAll(url.PathEscape(good), "%3A", ":"), ""},
		{"url with a tampered name", URL(hs.cfg.BaseURL, strings.Replace(good, "Sri", "Sti", 1)), "invalid_signature"},
		{"url with a bad escape", URL(hs.cfg.BaseURL, good) + "%zz", "malformed"},
		{"empty", "", "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := hs.check(hs.qr, tt.payload)
			if tt.reason == "" {
				// A format 1 payload has no serial: the answer has none either.
				serial := any(float64(1))
				if strings.Contains(tt.payload, LegacyPrefix) {
					serial = nil
				}
				if res["valid"] != true || res["venueId"] != id || res["businessName"] != "Kafe: Sri 🍜 Ampang" || res["serial"] != serial || res["reason"] != nil {
					t.Fatalf("verify = %v, want valid for %s, serial %v", res, id, serial)
				}
				return
			}
			if res["valid"] != false || res["reason"] != tt.reason || res["venueId"] != nil {
				t.Fatalf("verify = %v, want invalid with reason %s", res, tt.reason)
			}
		})
	}

	bad := []struct {
		name, body, contentType string
		status                  int
	}{
		{"no payload", `{}`, "application/json", 400},
		{"number", `{"payload": 1}`, "application/json", 400},
		{"unknown field", `{"payload": "x", "extra": 1}`, "application/json", 400},
		{"not json", `payload=x`, "application/x-www-form-urlencoded", 415},
		{"too large", `{"payload": "` + strings.Repeat("a", 9000) + `"}`, "application/json", 413},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			req := apitest.Request("POST", "/v1/qr/verify", nil, nil, "192.0.2.1")
			req.Body, req.Headers["Content-Type"] = tt.body, tt.contentType
			resp, _ := hs.qr.Handle(context.Background(), req)
			if resp.StatusCode != tt.status {
				t.Fatalf("status=%d, want %d: %s", resp.StatusCode, tt.status, resp.Body)
			}
		})
	}
}

// offlineVerify checks a payload with nothing but the JWKS document, from the
// format as documented: an independent implementation of what a scanner does.
func offlineVerify(jwks []byte, payload string) (venueID, name string, err error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		return "", "", err
	}
	if !strings.HasPrefix(payload, "CKR2:") {
		return "", "", fmt.Errorf("prefix")
	}
	cut := strings.LastIndex(payload, ":")
	input, sigText := payload[:cut], payload[cut+1:]
	parts := strings.SplitN(input, ":", 5)
	if len(parts) != 5 {
		return "", "", fmt.Errorf("parts")
	}
	keys := set.Key(parts[1])
	if len(keys) != 1 || keys[0].Algorithm != "ES256" {
		return "", "", fmt.Errorf("kid %q not in the key set", parts[1])
	}
	pub, ok := keys[0].Key.(*ecdsa.PublicKey)
	sig, err := base64.RawURLEncoding.Strict().DecodeString(sigText)
	if !ok || err != nil || len(sig) != 64 {
		return "", "", fmt.Errorf("signature")
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	half := new(big.Int).Rsh(pub.Curve.Params().N, 1)
	digest := sha256.Sum256([]byte(input))
	if s.Cmp(half) > 0 || !ecdsa.Verify(pub, digest[:], r, s) {
		return "", "", fmt.Errorf("bad signature")
	}
	return parts[2], parts[4], nil
}

func (hs *harness) jwks(h *Handler) []byte {
	hs.t.Helper()
	resp, _ := h.Handle(context.Background(), apitest.Request("GET", "/v1/keys", nil, nil, "192.0.2.1"))
	if resp.StatusCode != 200 || !strings.Contains(resp.Headers["Content-Type"], "json") {
		hs.t.Fatalf("keys: status=%d type=%q", resp.StatusCode, resp.Headers["Content-Type"])
	}
	return []byte(resp.Body)
}

func TestOfflineVerification(t *testing.T) {
	hs := newHarness(t)
	id, tok := hs.venue("Restoran Nasi Kandar: Cawangan 2")
	_, body := hs.getVenue(hs.qr, id, tok)
	payload := payloadOf(t, body)
	jwks := hs.jwks(hs.qr)
	if strings.Contains(string(jwks), `"d"`) {
		t.Fatalf("JWKS holds a private key: %s", jwks)
	}

	gotID, gotName, err := offlineVerify(jwks, payload)
	if err != nil || gotID != id || gotName != "Restoran Nasi Kandar: Cawangan 2" {
		t.Fatalf("offline = %q, %q, %v; want %s", gotID, gotName, err, id)
	}
	// Any one-character change fails offline and online alike.
	for i := range payload {
		if payload[i] >= 0x80 {
			continue
		}
		for _, c := range []byte{'A', 'z', ':'} {
			if payload[i] == c {
				continue
			}
			changed := payload[:i] + string(c) + payload[i+1:]
			if _, _, err := offlineVerify(jwks, changed); err == nil {
				t.Fatalf("offline accepted %q", changed)
			}
			if _, err := Verify(changed, mustKeys(t, hs.qr)); err == nil {
				t.Fatalf("online accepted %q", changed)
			}
		}
	}
	// The warm process answers the key set from its cache.
	hs.kms.publicKeys.Store(0)
	hs.jwks(hs.qr)
	if n := hs.kms.publicKeys.Load(); n != 0 {
		t.Fatalf("warm GET /v1/keys made %d GetPublicKey calls, want 0", n)
	}
}

func mustKeys(t *testing.T, h *Handler) []Key {
	t.Helper()
	keys, err := h.keys.PublicKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestRotation: a new signing key, with the old one listed in QR_PREVIOUS_KEY_IDS,
// re-signs venues as they are fetched while old codes keep verifying; once the
// old key is no longer listed, its codes fail.
func TestRotation(t *testing.T) {
	hs := newHarness(t)
	id, tok := hs.venue("Kedai Runcit Ali")
	_, body := hs.getVenue(hs.qr, id, tok)
	old := payloadOf(t, body)

	out, err := hs.stack.Clients.KMS.CreateKey(context.Background(), &kms.CreateKeyInput{
		KeySpec: kmstypes.KeySpecEccNistP256, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatal(err)
	}
	newKey := aws.ToString(out.KeyMetadata.KeyId)
	rotated := hs.handler(newKey, []string{hs.cfg.SigningKeyID})

	hs.kms.signs.Store(0)
	_, body = hs.getVenue(rotated, id, tok)
	fresh := payloadOf(t, body)
	if fresh == old || strings.Split(fresh, ":")[1] == strings.Split(old, ":")[1] || hs.kms.signs.Load() != 1 {
		t.Fatalf("after rotation: payload %q (old %q), %d signs; want a new kid, one sign", fresh, old, hs.kms.signs.Load())
	}
	if _, body = hs.getVenue(rotated, id, tok); payloadOf(t, body) != fresh || hs.kms.signs.Load() != 1 {
		t.Fatal("re-signed payload was not stored")
	}
	jwks := hs.jwks(rotated)
	for _, p := range []string{old, fresh} {
		if res := hs.check(rotated, p); res["valid"] != true {
			t.Fatalf("rotated handler refuses %q: %v", p, res)
		}
		if _, _, err := offlineVerify(jwks, p); err != nil {
			t.Fatalf("offline with both keys refuses %q: %v", p, err)
		}
	}
	retired := hs.handler(newKey, nil)
	if res := hs.check(retired, old); res["valid"] != false || res["reason"] != "unknown_key" {
		t.Fatalf("old code after its key left the list: %v, want unknown_key", res)
	}
	if res := hs.check(retired, fresh); res["valid"] != true {
		t.Fatalf("new code: %v", res)
	}
}

// TestConcurrentFirstFetch: simultaneous first fetches of one venue all answer
// the one payload that won the conditional write.
func TestConcurrentFirstFetch(t *testing.T) {
	hs := newHarness(t)
	id, tok := hs.venue("Kedai Runcit Ali")
	const n = 6
	got := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp := get(hs.qr, "/v1/venues/{venueId}", id, tok, nil)
			var b struct{ QR owner.QR }
			json.Unmarshal([]byte(resp.Body), &b)
			got[i] = b.QR.Payload
		})
	}
	wg.Wait()
	_, body := hs.getVenue(hs.qr, id, tok)
	stored := payloadOf(t, body)
	for i, p := range got {
		if p != stored {
			t.Fatalf("fetch %d answered %q, want the stored %q", i, p, stored)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		ok   bool
	}{
		{"minimal", map[string]string{"QR_SIGNING_KEY_ID": "k"}, true},
		{"previous", map[string]string{"QR_SIGNING_KEY_ID": "k", "QR_PREVIOUS_KEY_IDS": "a, b"}, true},
		{"no key", map[string]string{}, false},
		{"size too small", map[string]string{"QR_SIGNING_KEY_ID": "k", "QR_DEFAULT_SIZE": "10"}, false},
		{"size too big", map[string]string{"QR_SIGNING_KEY_ID": "k", "QR_DEFAULT_SIZE": "5000"}, false},
		{"origin", map[string]string{"QR_SIGNING_KEY_ID": "k", "PUBLIC_BASE_URL": "https://checkin.example.gov.my"}, true},
		{"longest origin", map[string]string{"QR_SIGNING_KEY_ID": "k", "PUBLIC_BASE_URL": "https://" + strings.Repeat("a", MaxBaseURLChars-8)}, true},
		{"origin too long", map[string]string{"QR_SIGNING_KEY_ID": "k", "PUBLIC_BASE_URL": "https://" + strings.Repeat("a", MaxBaseURLChars-7)}, false},
		{"origin with a path", map[string]string{"QR_SIGNING_KEY_ID": "k", "PUBLIC_BASE_URL": "https://checkin.example.gov.my/"}, false},
		{"not a web origin", map[string]string{"QR_SIGNING_KEY_ID": "k", "PUBLIC_BASE_URL": "ftp://checkin.example.gov.my"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadConfig(config.FromMap(tt.env))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.name == "previous" && (len(c.PreviousKeyIDs) != 2 || c.PreviousKeyIDs[1] != "b") {
				t.Fatalf("previous = %q", c.PreviousKeyIDs)
			}
		})
	}
}

// TestKMSDown: with KMS out of reach, a cold process still serves payloads it
// stored before, and answers 503 with Retry-After where it would have to sign or
// publish keys.
func TestKMSDown(t *testing.T) {
	hs := newHarness(t)
	signedID, signedTok := hs.venue("Kedai Runcit Ali")
	_, body := hs.getVenue(hs.qr, signedID, signedTok)
	stored := payloadOf(t, body)
	newID, newTok := hs.venue("Kedai Baru")

	hs.kms.down.Store(true)
	cold := hs.handler(hs.cfg.SigningKeyID, nil)
	if _, body := hs.getVenue(cold, signedID, signedTok); payloadOf(t, body) != stored {
		t.Fatalf("stored payload not served: %v", body)
	}
	if resp := get(cold, "/v1/venues/{venueId}/qr", signedID, signedTok, nil); resp.StatusCode != 200 {
		t.Fatalf("png of a stored payload: status=%d, want 200", resp.StatusCode)
	}
	unavailable := []struct {
		name string
		resp events.APIGatewayProxyResponse
	}{
		{"unsigned venue", get(cold, "/v1/venues/{venueId}", newID, newTok, nil)},
		{"unsigned venue's png", get(cold, "/v1/venues/{venueId}/qr", newID, newTok, nil)},
		{"keys", func() events.APIGatewayProxyResponse {
			r, _ := cold.Handle(context.Background(), apitest.Request("GET", "/v1/keys", nil, nil, "192.0.2.1"))
			return r
		}()},
		{"verify", func() events.APIGatewayProxyResponse {
			r, _ := cold.Handle(context.Background(), apitest.Request("POST", "/v1/qr/verify", nil, map[string]string{"payload": stored}, "192.0.2.1"))
			return r
		}()},
	}
	for _, tt := range unavailable {
		t.Run(tt.name, func(t *testing.T) {
			if tt.resp.StatusCode != 503 || tt.resp.Headers["Retry-After"] == "" || strings.Contains(tt.resp.Body, "connection refused") {
				t.Fatalf("status=%d Retry-After=%q body=%s, want 503 with Retry-After and no detail", tt.resp.StatusCode, tt.resp.Headers["Retry-After"], tt.resp.Body)
			}
		})
	}
	// The warm process that cached the keys before KMS went away still verifies.
	if res := hs.check(hs.qr, stored); res["valid"] != true {
		t.Fatalf("warm verify with KMS down: %v", res)
	}
}

// TestRepeatFetchUsesStoredSymbol: the QR symbol is stored with the payload on
// the first fetch, and a repeat fetch draws that one rather than encoding again
// (a symbol put in its place shows up in the image).
func TestRepeatFetchUsesStoredSymbol(t *testing.T) {
	hs := newHarness(t)
	id, tok := hs.venue("Kedai Runcit Ali")
	_, body := hs.getVenue(hs.qr, id, tok)
	payload := payloadOf(t, body)
	v, err := hs.store.GetVenue(context.Background(), id, start)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Encode(URL(hs.cfg.BaseURL, payload))
	if !bytes.Equal(v.QRSymbol, want.Bytes()) {
		t.Fatalf("stored symbol (%d bytes) is not the code of the payload's URL", len(v.QRSymbol))
	}
	qr := body["qr"].(map[string]any)
	if qr["url"] != URL(hs.cfg.BaseURL, payload) || qr["serial"] != 1.0 || fmt.Sprint(qr["poster"]) != "map[scripts:[Latn]]" {
		t.Fatalf("venue's qr = %v, want its url, serial 1 and a poster in Latin", qr)
	}

	other, _ := Encode("https://example.com/other")
	if _, _, err := hs.store.SetVenuePayload(context.Background(), id, payload, payload, other.Bytes()); err != nil {
		t.Fatal(err)
	}
	hs.db.Reset()
	resp := get(hs.qr, "/v1/venues/{venueId}/qr", id, tok, map[string]string{"format": "png"})
	raw, _ := base64.StdEncoding.DecodeString(resp.Body)
	if got, _ := decodePNG(t, raw); got != "https://example.com/other" {
		t.Fatalf("repeat fetch drew %q, not the stored symbol", got)
	}
	if n, by := hs.db.Calls(); n != 1 || by["GetItem"] != 1 {
		t.Fatalf("repeat fetch: dynamodb %v, want one GetItem", by)
	}
}

// TestLegacyPayloadSignedAgain: a venue whose stored payload is format 1 (from
// before format 2) gets a format 2 payload with serial 1 on its next fetch, and
// its printed format 1 code keeps verifying.
func TestLegacyPayloadSignedAgain(t *testing.T) {
	hs := newHarness(t)
	id, tok := hs.venue("Kedai Runcit Ali")
	_, body := hs.getVenue(hs.qr, id, tok)
	legacy := signLegacy(t, hs.qr.signer, id, "Kedai Runcit Ali")
	m, err := Encode(legacy)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := hs.store.SetVenuePayload(context.Background(), id, payloadOf(t, body), legacy, m.Bytes()); err != nil {
		t.Fatal(err)
	}
	_, body = hs.getVenue(hs.qr, id, tok)
	again := payloadOf(t, body)
	if p, err := Verify(again, mustKeys(t, hs.qr)); err != nil || !strings.HasPrefix(again, Prefix) || p.Serial != 1 {
		t.Fatalf("venue with a format 1 payload fetched: %q (%+v, %v), want format 2 serial 1", again, p, err)
	}
	if res := hs.check(hs.qr, legacy); res["valid"] != true || res["venueId"] != id || res["serial"] != nil {
		t.Fatalf("printed format 1 code after the re-signing: %v", res)
	}
}
