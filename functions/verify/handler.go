// Package verify serves POST /v1/registrations/{registrationId}/verify and POST
// /v1/sessions/{sessionId}/verify: it checks a one-time code and, on success,
// creates the venue and issues its token, or signs its owner in.
package verify

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/otp"
	"github.com/checkin-registry/registry/shared/owner"
	"github.com/checkin-registry/registry/shared/platform"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/shared/token"
)

// Config is the verify function's settings.
type Config struct {
	CodeDigits  int
	MaxAttempts int
	TokenTTL    time.Duration
	// OwnerTokenTTL is how long a sign-in's owner token lasts (OWNER_TOKEN_TTL).
	OwnerTokenTTL time.Duration
	Retention     store.Retention
}

// LoadConfig reads Config from env with the contract's defaults.
func LoadConfig(env *config.Env) (Config, error) {
	c := Config{
		CodeDigits:    env.Int("CODE_DIGITS", 6, 4),
		MaxAttempts:   env.Int("CODE_MAX_ATTEMPTS", 5, 1),
		TokenTTL:      env.Duration("VENUE_TOKEN_TTL", 24*time.Hour, time.Minute),
		OwnerTokenTTL: env.Duration("OWNER_TOKEN_TTL", 2*time.Hour, time.Minute),
		Retention:     store.RetentionFromEnv(env),
	}
	return c, env.Err()
}

// Handler serves the verify route.
type Handler struct {
	cfg     Config
	store   *store.Store
	codeKey []byte
	tokens  token.Issuer
	metrics *metrics.Recorder
	now     func() time.Time
	rand    io.Reader
	// Router serves the routes; its Handle is the Lambda entry point.
	api.Router
}

// New builds the handler.
func New(cfg Config, d platform.Deps) *Handler {
	h := &Handler{cfg: cfg, store: d.Store, codeKey: otp.Key(d.Keys),
		tokens: token.VenueIssuer(d.Keys), metrics: d.Metrics, now: d.Now, rand: d.Rand}
	h.Router = api.Router{Log: d.Log, Routes: map[api.Route]api.HandlerFunc{
		{Method: "POST", Resource: "/v1/registrations/{registrationId}/verify"}: h.verify,
		{Method: "POST", Resource: "/v1/sessions/{sessionId}/verify"}:           h.verifySession,
	}}
	return h
}

type verifyRequest struct {
	Code *string `json:"code"`
}

type verifyResponse struct {
	VenueID        string `json:"venueId"`
	AccessToken    string `json:"accessToken"`
	TokenExpiresAt string `json:"tokenExpiresAt"`
}

var errNoRegistration = api.Errorf(api.CodeNotFound, "No such registration.")

// checkCode reserves an attempt before it compares, so that concurrent guesses
// can never exceed the attempt limit, and answers the registration (of kind) in
// the path parameter param whose code the request carries.
func (h *Handler) checkCode(ctx context.Context, req events.APIGatewayProxyRequest, param, kind string, now time.Time) (store.Registration, error) {
	var in verifyRequest
	if err := api.DecodeJSON(req, &in); err != nil {
		return store.Registration{}, err
	}
	if in.Code == nil || !otp.WellFormed(*in.Code, h.cfg.CodeDigits) {
		return store.Registration{}, api.Invalid(map[string]string{"code": "must be the " + strconv.Itoa(h.cfg.CodeDigits) + "-digit code"})
	}
	notFound := errNoRegistration
	if kind == store.SignIn {
		notFound = api.Errorf(api.CodeNotFound, "No such sign-in.")
	}
	id := req.PathParameters[param]
	if !store.ValidID(id) {
		return store.Registration{}, notFound
	}
	reg, err := h.store.ReserveAttempt(ctx, id, kind, h.cfg.MaxAttempts, now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return store.Registration{}, notFound
	case errors.Is(err, store.ErrCodeExpired):
		return store.Registration{}, api.Errorf(api.CodeCodeExpired, "This code has expired. Ask for a new one.")
	case errors.Is(err, store.ErrAlreadyVerified):
		return store.Registration{}, api.Errorf(api.CodeCodeExpired, "This code has already been used.")
	case errors.Is(err, store.ErrTooManyAttempts):
		h.metrics.Count(metrics.VerifyFailed, 1, "Reason", "too_many_attempts")
		return store.Registration{}, api.TooManyAttempts(time.Unix(reg.TTL, 0), now)
	case err != nil:
		return store.Registration{}, err
	}
	if !otp.Equal(otp.Hash(h.codeKey, reg.ID, reg.Sends, *in.Code), reg.CodeHash) {
		h.metrics.Count(metrics.VerifyFailed, 1, "Reason", "invalid_code")
		left := max(h.cfg.MaxAttempts-reg.Attempts, 0)
		if left == 0 {
			return store.Registration{}, api.TooManyAttempts(time.Unix(reg.TTL, 0), now)
		}
		return store.Registration{}, &api.Error{Code: api.CodeInvalidCode, Message: "The code is not correct.", AttemptsRemaining: &left}
	}
	return reg, nil
}

var errCodeUsed = api.Errorf(api.CodeCodeExpired, "This code has already been used or replaced.")

// verify checks the code and completes the registration in a transaction that
// only one of several concurrent correct verifies can win.
func (h *Handler) verify(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	now := h.now()
	reg, err := h.checkCode(ctx, req, "registrationId", "", now)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	venueID, err := store.NewID(h.rand)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	v := store.Venue{ID: venueID, BusinessName: reg.BusinessName, Address: reg.Address, Channel: reg.Channel,
		Contact: reg.Destination, ContactHash: reg.DestinationHash, RegistrationID: reg.ID, CreatedAt: now.Unix(),
		TTL: h.cfg.Retention.Until(now)}
	err = h.store.CompleteVerification(ctx, reg, v, h.cfg.Retention)
	var failed *store.ConditionFailed
	if errors.As(err, &failed) {
		return events.APIGatewayProxyResponse{}, errCodeUsed
	}
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	h.metrics.Count(metrics.VerifySucceeded, 1, "Channel", reg.Channel)
	tok, exp := h.tokens.Issue(token.Venue, venueID, now, h.cfg.TokenTTL)
	return api.JSON(req, 200, verifyResponse{VenueID: venueID, AccessToken: tok, TokenExpiresAt: exp.UTC().Format(time.RFC3339)}), nil
}

type signInResponse struct {
	AccessToken    string        `json:"accessToken"`
	TokenExpiresAt string        `json:"tokenExpiresAt"`
	Venues         []owner.Venue `json:"venues"`
}

// verifySession checks a sign-in's code and answers an owner token for every
// venue of the proven contact, renewing their retention. A sign-in to a contact
// that owns nothing was never sent a code, and none can match: it answers as a
// wrong code does, after the same work.
func (h *Handler) verifySession(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	now := h.now()
	reg, err := h.checkCode(ctx, req, "sessionId", store.SignIn, now)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	err = h.store.CompleteSignIn(ctx, reg)
	var failed *store.ConditionFailed
	if errors.As(err, &failed) {
		return events.APIGatewayProxyResponse{}, errCodeUsed
	}
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	c, err := h.store.GetContact(ctx, reg.DestinationHash, now)
	if errors.Is(err, store.ErrNotFound) {
		// The account was erased between the code and now.
		return events.APIGatewayProxyResponse{}, errCodeUsed
	}
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	venues, err := h.store.Venues(ctx, c.VenueIDs, now)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	if err := h.store.RenewAccount(ctx, c, reg.DestinationHash, venues, now, h.cfg.Retention); err != nil {
		if errors.Is(err, store.ErrChanged) {
			return events.APIGatewayProxyResponse{}, api.Unavailable(1, err)
		}
		return events.APIGatewayProxyResponse{}, err
	}
	h.metrics.Count(metrics.VerifySucceeded, 1)
	out := signInResponse{Venues: []owner.Venue{}}
	for _, v := range venues {
		v.TTL = h.cfg.Retention.Until(now)
		out.Venues = append(out.Venues, owner.View(v, ""))
	}
	tok, exp := h.tokens.Issue(token.Owner, reg.DestinationHash, now, h.cfg.OwnerTokenTTL)
	out.AccessToken, out.TokenExpiresAt = tok, exp.UTC().Format(time.RFC3339)
	return api.JSON(req, 200, out), nil
}

// Build makes the Lambda handler from the environment: for main and the local server.
var Build = platform.APIBuilder(LoadConfig, New)
