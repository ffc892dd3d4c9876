// Package qr serves a venue's record with its signed QR payload, the QR code as
// PNG, SVG or an A4 PDF poster, the check of a scanned payload, and the public
// keys that payloads are signed with (JWKS).
//
// Calls per request, once warm (public keys are cached per process):
//   - GET /v1/venues/{id}, GET …/qr: one DynamoDB GetItem. The first fetch of a
//     venue (and the first after a key rotation) also makes one KMS Sign and one
//     conditional UpdateItem that stores the payload on the venue item.
//   - POST /v1/qr/verify, GET /v1/keys: none. A cold process first makes one KMS
//     GetPublicKey per published key.
package qr

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/go-jose/go-jose/v4"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/owner"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/secret"
	"github.com/checkin-registry/registry/shared/store"
)

// Config is the qr function's settings.
type Config struct {
	// SigningKeyID is the KMS key that signs new payloads (QR_SIGNING_KEY_ID).
	SigningKeyID string
	// PreviousKeyIDs are KMS keys that signed payloads before a rotation, still
	// published so that those payloads keep verifying (QR_PREVIOUS_KEY_IDS, commas).
	PreviousKeyIDs []string
	// DefaultSize is the PNG and SVG size without ?size= (QR_DEFAULT_SIZE), raised
	// for a code that needs more to be read from afar (Matrix.DefaultSize).
	DefaultSize int
	// BaseURL is the site's origin, where the check page is (PUBLIC_BASE_URL).
	BaseURL string
	// MaxVenues is how many venues one account may hold (OWNER_MAX_VENUES).
	MaxVenues int
	// RevocationsCacheTTL is how long a process reuses the signed revocation list
	// (REVOCATIONS_CACHE_TTL); RevocationsMaxAge is how long clients and the edge
	// may (REVOCATIONS_MAX_AGE).
	RevocationsCacheTTL time.Duration
	RevocationsMaxAge   time.Duration
}

// LoadConfig reads Config from env.
func LoadConfig(env *config.Env) (Config, error) {
	c := Config{
		MaxVenues: env.Int("OWNER_MAX_VENUES", 20, 1),
		// Revocations reach a scanner within the sum of the two.
		RevocationsCacheTTL: env.Duration("REVOCATIONS_CACHE_TTL", time.Minute, 0),
		RevocationsMaxAge:   env.Duration("REVOCATIONS_MAX_AGE", 5*time.Minute, 0),
		SigningKeyID:        env.Required("QR_SIGNING_KEY_ID"),
		PreviousKeyIDs:      env.List("QR_PREVIOUS_KEY_IDS", nil),
		DefaultSize:         env.Int("QR_DEFAULT_SIZE", DefaultSize, MinSize),
		BaseURL:             env.String("PUBLIC_BASE_URL", "http://127.0.0.1:8080"),
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.String() != c.BaseURL {
		env.Check(errors.New("PUBLIC_BASE_URL: an origin such as https://checkin.example.gov.my, without a path"))
	} else if len(c.BaseURL) > MaxBaseURLChars {
		env.Check(errors.New("PUBLIC_BASE_URL: at most " + strconv.Itoa(MaxBaseURLChars) + " characters, so that a QR code's URL stays within 300"))
	}
	if c.DefaultSize > MaxSize {
		env.Check(errors.New("QR_DEFAULT_SIZE: at most " + strconv.Itoa(MaxSize)))
	}
	return c, env.Err()
}

// Store is the part of the table qr uses.
type Store interface {
	GetVenue(ctx context.Context, id string, now time.Time) (store.Venue, error)
	SetVenuePayload(ctx context.Context, id, old, payload string, symbol []byte) (string, []byte, error)
	// An owner's routes, and revocation.
	PayloadValid(ctx context.Context, venueID, payload string, legacy bool, now time.Time) (bool, error)
	GetContact(ctx context.Context, hash string, now time.Time) (store.VerifiedContact, error)
	Venues(ctx context.Context, ids []string, now time.Time) ([]store.Venue, error)
	AddVenue(ctx context.Context, v store.Venue, maxVenues int) error
	ReplaceVenue(ctx context.Context, old, next store.Venue) error
	DeleteVenue(ctx context.Context, c store.VerifiedContact, v store.Venue) error
	DeleteAccount(ctx context.Context, contactHash string, venues []store.Venue, also ...string) error
	Revocations(ctx context.Context) (map[string][]string, error)
	// The help tickets filed with a contact, for its export and erasure.
	ContactTickets(ctx context.Context, hash string, now time.Time) (store.ContactTickets, []store.Ticket, error)
	EraseTickets(ctx context.Context, tickets []store.Ticket, others ...string) error
}

var _ Store = (*store.Store)(nil)

// Handler serves the qr routes.
type Handler struct {
	cfg     Config
	store   Store
	secrets secret.Source
	signer  Signer
	keys    KeySet
	log     *slog.Logger
	now     func() time.Time
	rand    io.Reader
	// revocations caches the signed revocation list.
	revocations revocationCache
	// Router serves the routes; its Handle is the Lambda entry point.
	api.Router
}

// New builds the handler: st is the table, secrets the master secret (for venue
// tokens), signer signs new payloads and keys are the published keys.
func New(cfg Config, st Store, secrets secret.Source, signer Signer, keys KeySet, rt process.Runtime) *Handler {
	h := &Handler{cfg: cfg, store: st, secrets: secrets,
		signer: signer, keys: keys, log: rt.Log, now: rt.Now, rand: rt.Rand}
	h.Router = api.Router{Log: rt.Log, Handlers: map[api.Route]api.HandlerFunc{
		{Method: "GET", Resource: "/v1/venues/{venueId}"}:    h.getVenue,
		{Method: "GET", Resource: "/v1/venues/{venueId}/qr"}: h.getCode,
		{Method: "POST", Resource: "/v1/qr/verify"}:          h.verify,
		{Method: "GET", Resource: "/v1/keys"}:                h.jwks,
		// An owner's routes (owner.go, export.go) and the revocation list.
		{Method: "GET", Resource: "/v1/venues"}:                    h.listVenues,
		{Method: "POST", Resource: "/v1/venues"}:                   h.addVenue,
		{Method: "PATCH", Resource: "/v1/venues/{venueId}"}:        h.patchVenue,
		{Method: "DELETE", Resource: "/v1/venues/{venueId}"}:       h.deleteVenue,
		{Method: "POST", Resource: "/v1/venues/{venueId}/reissue"}: h.reissueVenue,
		{Method: "GET", Resource: "/v1/account/export"}:            h.exportAccount,
		{Method: "DELETE", Resource: "/v1/account"}:                h.deleteAccount,
		{Method: "GET", Resource: "/v1/revocations"}:               h.listRevocations,
	}}
	return h
}

// Wire builds the handler from its environment with the clients it uses:
// DynamoDB, KMS for signing and public keys, and SSM for the master secret,
// read by the first request with a venue token (checking a payload and the
// JWKS need none).
func Wire(_ context.Context, env *config.Env, awsCfg aws.Config, rt process.Runtime) (*Handler, error) {
	st := store.FromEnv(env, dynamodb.NewFromConfig(awsCfg))
	secrets := secret.FromEnv(env, awsCfg)
	cfg, err := LoadConfig(env)
	if err != nil {
		return nil, err
	}
	signer := NewKMS(kms.NewFromConfig(awsCfg), cfg.SigningKeyID, cfg.PreviousKeyIDs)
	return New(cfg, st, secrets, signer, signer, rt), nil
}

var (
	errUnauthorized = api.Errorf(api.CodeUnauthorized, "A valid venue token is required.")
	errForbidden    = api.Errorf(api.CodeForbidden, "This token is for another venue.")
	errNoVenue      = api.Errorf(api.CodeNotFound, "No such venue.")
)

// venuePayload reads the venue and its payload, signing and storing one (with
// its QR symbol) where the venue has none yet, one for another name, or one
// whose key is no longer the signing key.
func (h *Handler) venuePayload(ctx context.Context, req events.APIGatewayProxyRequest) (store.Venue, Payload, error) {
	v, err := h.openVenue(ctx, req, false)
	if err != nil {
		return store.Venue{}, Payload{}, err
	}
	return h.withPayload(ctx, v)
}

// withPayload is v with its payload, as venuePayload.
func (h *Handler) withPayload(ctx context.Context, v store.Venue) (store.Venue, Payload, error) {
	old, _, oldErr := Parse(v.QRPayload)
	current := oldErr == nil && old.VenueID == v.ID && old.BusinessName == v.BusinessName
	key, err := h.signer.SigningKey(ctx)
	if err != nil {
		// KMS is out of reach (a cold start needs the public key): a payload this
		// function stored for the venue earlier still serves.
		if current {
			h.log.WarnContext(ctx, "signing key unavailable; serving the stored payload", "err", err)
			return v, old, nil
		}
		return store.Venue{}, Payload{}, api.Unavailable(5, err)
	}
	// The stored payload was verified when this function signed and stored it:
	// what matters now is whether it is for this venue and the current key.
	if current && old.KeyID == key.ID {
		return v, old, nil
	}
	// A new key keeps the serial; a new name (or a payload of an older format)
	// is a new issue.
	serial := uint32(1)
	if oldErr == nil && old.VenueID == v.ID {
		serial = old.Serial
		if !current {
			serial++
		}
	}
	payload, err := Sign(ctx, h.signer, v.ID, serial, v.BusinessName)
	if errors.Is(err, ErrUnsignable) {
		return store.Venue{}, Payload{}, err
	}
	if err != nil {
		return store.Venue{}, Payload{}, api.Unavailable(5, err)
	}
	m, err := Encode(URL(h.cfg.BaseURL, payload))
	if err != nil {
		return store.Venue{}, Payload{}, err
	}
	stored, symbol, err := h.store.SetVenuePayload(ctx, v.ID, v.QRPayload, payload, m.Bytes())
	if errors.Is(err, store.ErrNotFound) {
		return store.Venue{}, Payload{}, errNoVenue
	}
	if err != nil {
		return store.Venue{}, Payload{}, err
	}
	p, _, err := Parse(stored)
	if err != nil {
		return store.Venue{}, Payload{}, err
	}
	h.log.InfoContext(ctx, "qr payload signed", "venueId", v.ID, "kid", p.KeyID, "serial", p.Serial, "replaced", v.QRPayload != "")
	v.QRPayload, v.QRSymbol = stored, symbol
	return v, p, nil
}

// symbol is the venue's QR code: the one stored with its payload, else (an item
// stored before symbols were) encoded now.
func (h *Handler) symbol(v store.Venue) (Matrix, error) {
	if m, err := MatrixFromBytes(v.QRSymbol); err == nil {
		return m, nil
	}
	return Encode(URL(h.cfg.BaseURL, v.QRPayload))
}

// venueResponse is a venue as its owner sees it (shared/owner), with the QR
// code's details.
type venueResponse struct {
	owner.Venue
	QR qrResponse `json:"qr"`
}

type qrResponse struct {
	Payload string `json:"payload"`
	KeyID   string `json:"keyId"`
	Serial  uint32 `json:"serial"`
	// URL is what the QR code holds: the check page with the payload.
	URL string `json:"url"`
	// Poster says in which scripts the poster shows the name, and which of its
	// characters it writes as code points for want of a glyph.
	Poster Coverage `json:"poster"`
}

func (h *Handler) getVenue(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	v, p, err := h.venuePayload(ctx, req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	out, err := h.venueJSON(v, p)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return api.JSON(req, 200, out), nil
}

// venueJSON is the venue as the API shows it to its owner.
func (h *Handler) venueJSON(v store.Venue, p Payload) (venueResponse, error) {
	cov, err := NameCoverage(v.BusinessName)
	if err != nil {
		return venueResponse{}, err
	}
	return venueResponse{Venue: owner.View(v, p.KeyID), QR: qrResponse{Payload: v.QRPayload, KeyID: p.KeyID, Serial: p.Serial,
		URL: URL(h.cfg.BaseURL, v.QRPayload), Poster: cov}}, nil
}

// codeRequest is the query of GET …/qr, validated; size is 0 where not given.
func codeRequest(req events.APIGatewayProxyRequest) (format string, size int, err error) {
	format = req.QueryStringParameters["format"]
	if format == "" {
		format = "png"
	}
	fields := map[string]string{}
	if format != "png" && format != "svg" && format != "poster" {
		fields["format"] = "must be png, svg or poster"
	}
	if s, ok := req.QueryStringParameters["size"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < MinSize || n > MaxSize {
			fields["size"] = "must be a whole number of pixels from " + strconv.Itoa(MinSize) + " to " + strconv.Itoa(MaxSize)
		}
		size = n
	}
	if len(fields) > 0 {
		return "", 0, api.Invalid(fields)
	}
	return format, size, nil
}

func (h *Handler) getCode(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	format, size, err := codeRequest(req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	v, _, err := h.venuePayload(ctx, req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	m, err := h.symbol(v)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	if size == 0 {
		size = m.DefaultSize(h.cfg.DefaultSize)
	}
	if size < m.MinSize() && format != "poster" {
		return events.APIGatewayProxyResponse{}, api.Invalid(map[string]string{
			"size": "must be at least " + strconv.Itoa(m.MinSize()) + " pixels for this code (" + strconv.Itoa(MinModulePixels) + " per module)"})
	}
	var resp events.APIGatewayProxyResponse
	switch format {
	case "svg":
		resp = api.Raw(req, 200, "image/svg+xml", string(m.SVG(size)), false)
	case "png":
		b, err := m.PNG(size)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		resp = api.Raw(req, 200, "image/png", base64.StdEncoding.EncodeToString(b), true)
	default:
		b, err := Poster(m, v.ID, v.BusinessName)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		resp = api.Raw(req, 200, "application/pdf", base64.StdEncoding.EncodeToString(b), true)
	}
	ext := map[string]string{"png": "png", "svg": "svg", "poster": "pdf"}[format]
	resp.Headers["Content-Disposition"] = `inline; filename="venue-` + v.ID + `-qr.` + ext + `"`
	return resp, nil
}

// verifyRequest is a scanned QR code: the check page URL, or a bare payload.
type verifyRequest struct {
	Payload *string `json:"payload"`
}

type verifyResponse struct {
	Valid        bool   `json:"valid"`
	VenueID      string `json:"venueId,omitempty"`
	BusinessName string `json:"businessName,omitempty"`
	Serial       uint32 `json:"serial,omitempty"`
	Reason       string `json:"reason,omitempty"`
}

// verify checks a payload as an offline scanner would: its format, its kid
// among the published keys, and its signature. It reads no table.
func (h *Handler) verify(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	var in verifyRequest
	if err := api.DecodeJSON(req, &in); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	if in.Payload == nil {
		return events.APIGatewayProxyResponse{}, api.Invalid(map[string]string{"payload": "is required"})
	}
	keys, err := h.keys.PublicKeys(ctx)
	if err != nil {
		return events.APIGatewayProxyResponse{}, api.Unavailable(5, err)
	}
	payload := *in.Payload
	if isURL(payload) {
		if payload, err = FromURL(h.cfg.BaseURL, payload); err != nil {
			return api.JSON(req, 200, verifyResponse{Valid: false, Reason: err.Error()}), nil
		}
	}
	p, err := Verify(payload, keys)
	if err != nil {
		return api.JSON(req, 200, verifyResponse{Valid: false, Reason: err.Error()}), nil
	}
	valid, err := h.store.PayloadValid(ctx, p.VenueID, payload, p.Serial == 0, h.now())
	if err != nil {
		return events.APIGatewayProxyResponse{}, api.Unavailable(5, err)
	}
	if !valid {
		return api.JSON(req, 200, verifyResponse{Valid: false, Reason: ErrRevoked.Error()}), nil
	}
	return api.JSON(req, 200, verifyResponse{Valid: true, VenueID: p.VenueID, BusinessName: p.BusinessName, Serial: p.Serial}), nil
}

// jwks is the published keys as a JSON Web Key Set. Its body is public and the
// same for everyone, so unlike the rest of the API it may be cached a while.
func (h *Handler) jwks(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	keys, err := h.keys.PublicKeys(ctx)
	if err != nil {
		return events.APIGatewayProxyResponse{}, api.Unavailable(5, err)
	}
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.JWK())
	}
	body, err := json.Marshal(set)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	resp := api.Raw(req, 200, "application/jwk-set+json", string(body), false)
	resp.Headers["Cache-Control"] = "public, max-age=300"
	return resp, nil
}
