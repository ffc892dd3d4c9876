// Package verify serves POST /v1/registrations/{registrationId}/verify: it checks a
// one-time code and, on success, creates the venue and issues its token.
package verify

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/functions/register"
	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/otp"
	"github.com/checkin-registry/registry/shared/plan"
	"github.com/checkin-registry/registry/shared/platform"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/shared/token"
)

// Config is the verify function's settings.
type Config struct {
	CodeDigits  int
	MaxAttempts int
	TokenTTL    time.Duration
	// Credits is the register function's send plan, whose earned allowances a
	// verified code credits.
	Credits plan.Plan
}

// LoadConfig reads Config from env with the contract's defaults.
func LoadConfig(env *config.Env) (Config, error) {
	c := Config{
		CodeDigits:  env.Int("CODE_DIGITS", 6, 4),
		MaxAttempts: env.Int("CODE_MAX_ATTEMPTS", 5, 1),
		TokenTTL:    env.Duration("VENUE_TOKEN_TTL", 24*time.Hour, time.Minute),
		Credits:     register.LimitsFromEnv(env),
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

// verify reserves an attempt before it compares, so that concurrent guesses can
// never exceed the attempt limit, and completes the registration in a transaction
// that only one of several concurrent correct verifies can win.
func (h *Handler) verify(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	var in verifyRequest
	if err := api.DecodeJSON(req, &in); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	if in.Code == nil || !otp.WellFormed(*in.Code, h.cfg.CodeDigits) {
		return events.APIGatewayProxyResponse{}, api.Invalid(map[string]string{"code": "must be the " + strconv.Itoa(h.cfg.CodeDigits) + "-digit code"})
	}
	id := req.PathParameters["registrationId"]
	if !store.ValidID(id) {
		return events.APIGatewayProxyResponse{}, errNoRegistration
	}
	now := h.now()
	reg, err := h.store.ReserveAttempt(ctx, id, h.cfg.MaxAttempts, now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return events.APIGatewayProxyResponse{}, errNoRegistration
	case errors.Is(err, store.ErrCodeExpired):
		return events.APIGatewayProxyResponse{}, api.Errorf(api.CodeCodeExpired, "This code has expired. Ask for a new one.")
	case errors.Is(err, store.ErrAlreadyVerified):
		return events.APIGatewayProxyResponse{}, api.Errorf(api.CodeCodeExpired, "This code has already been used.")
	case errors.Is(err, store.ErrTooManyAttempts):
		h.metrics.Count(metrics.VerifyFailed, 1, "Reason", "too_many_attempts")
		return events.APIGatewayProxyResponse{}, api.TooManyAttempts(time.Unix(reg.TTL, 0), now)
	case err != nil:
		return events.APIGatewayProxyResponse{}, err
	}
	if !otp.Equal(otp.Hash(h.codeKey, reg.ID, reg.Sends, *in.Code), reg.CodeHash) {
		h.metrics.Count(metrics.VerifyFailed, 1, "Reason", "invalid_code")
		left := max(h.cfg.MaxAttempts-reg.Attempts, 0)
		if left == 0 {
			return events.APIGatewayProxyResponse{}, api.TooManyAttempts(time.Unix(reg.TTL, 0), now)
		}
		return events.APIGatewayProxyResponse{}, &api.Error{Code: api.CodeInvalidCode, Message: "The code is not correct.", AttemptsRemaining: &left}
	}
	venueID, err := store.NewID(h.rand)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	v := store.Venue{ID: venueID, BusinessName: reg.BusinessName, Address: reg.Address, Channel: reg.Channel,
		Contact: reg.Destination, ContactHash: reg.DestinationHash, RegistrationID: reg.ID, CreatedAt: now.Unix()}
	// The code's client, network and number range earn allowance, in the same
	// transaction.
	credit := identity.Subject{Client: reg.ClientHash, Network: reg.NetworkHash, Prefix: reg.PrefixHash, Channel: contact.Channel(reg.Channel)}
	err = h.store.CompleteVerification(ctx, reg, v, func(t *store.Tx) { h.cfg.Credits.Credit(t, credit, now) })
	var failed *store.ConditionFailed
	if errors.As(err, &failed) {
		return events.APIGatewayProxyResponse{}, api.Errorf(api.CodeCodeExpired, "This code has already been used or replaced.")
	}
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	h.metrics.Count(metrics.VerifySucceeded, 1, "Channel", reg.Channel)
	tok, exp := h.tokens.Issue(token.Venue, venueID, now, h.cfg.TokenTTL)
	return api.JSON(req, 200, verifyResponse{VenueID: venueID, AccessToken: tok, TokenExpiresAt: exp.UTC().Format(time.RFC3339)}), nil
}

// Build makes the Lambda handler from the environment: for main and the local server.
var Build = platform.APIBuilder(LoadConfig, New)
