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
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/otp"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/secret"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/shared/token"
)

// Config is the verify function's settings.
type Config struct {
	Code     otp.Config
	TokenTTL time.Duration // VENUE_TOKEN_TTL
}

// LoadConfig reads Config from env with the contract's defaults.
func LoadConfig(env *config.Env) (Config, error) {
	c := Config{
		Code:     otp.ConfigFromEnv(env),
		TokenTTL: env.Duration("VENUE_TOKEN_TTL", 24*time.Hour, time.Minute),
	}
	return c, env.Err()
}

// Store is the part of the table verify uses.
type Store interface {
	ReserveAttempt(ctx context.Context, id string, max int, now time.Time) (store.Registration, error)
	CompleteVerification(ctx context.Context, r store.Registration, v store.Venue) error
}

var _ Store = (*store.Store)(nil)

// Handler serves the verify route.
type Handler struct {
	cfg     Config
	store   Store
	secrets secret.Source
	metrics *metrics.Recorder
	now     func() time.Time
	rand    io.Reader
	// Router serves the routes; its Handle is the Lambda entry point.
	api.Router
}

// New builds the handler: st is the table, secrets the master secret.
func New(cfg Config, st Store, secrets secret.Source, rt process.Runtime) *Handler {
	h := &Handler{cfg: cfg, store: st, secrets: secrets, metrics: rt.Metrics, now: rt.Now, rand: rt.Rand}
	h.Router = api.Router{Log: rt.Log, Handlers: map[api.Route]api.HandlerFunc{
		{Method: "POST", Resource: "/v1/registrations/{registrationId}/verify"}: h.verify,
	}}
	return h
}

// Wire builds the handler from its environment with the clients it uses:
// DynamoDB, and SSM for the master secret, read by the first request that
// reaches a code.
func Wire(_ context.Context, env *config.Env, awsCfg aws.Config, rt process.Runtime) (*Handler, error) {
	st := store.FromEnv(env, dynamodb.NewFromConfig(awsCfg))
	secrets := secret.FromEnv(env, awsCfg)
	cfg, err := LoadConfig(env)
	if err != nil {
		return nil, err
	}
	return New(cfg, st, secrets, rt), nil
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
	if in.Code == nil || !otp.WellFormed(*in.Code, h.cfg.Code.Digits) {
		return events.APIGatewayProxyResponse{}, api.Invalid(map[string]string{"code": "must be the " + strconv.Itoa(h.cfg.Code.Digits) + "-digit code"})
	}
	id := req.PathParameters["registrationId"]
	if !store.ValidID(id) {
		return events.APIGatewayProxyResponse{}, errNoRegistration
	}
	keys, err := h.secrets.Keys(ctx)
	if err != nil {
		return events.APIGatewayProxyResponse{}, api.Unavailable(5, err)
	}
	now := h.now()
	reg, err := h.store.ReserveAttempt(ctx, id, h.cfg.Code.MaxAttempts, now)
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
	if !otp.Equal(otp.Hash(otp.Key(keys), reg.ID, reg.Sends, *in.Code), reg.CodeHash) {
		h.metrics.Count(metrics.VerifyFailed, 1, "Reason", "invalid_code")
		left := max(h.cfg.Code.MaxAttempts-reg.Attempts, 0)
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
	err = h.store.CompleteVerification(ctx, reg, v)
	var failed *store.ConditionFailed
	if errors.As(err, &failed) {
		return events.APIGatewayProxyResponse{}, api.Errorf(api.CodeCodeExpired, "This code has already been used or replaced.")
	}
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	h.metrics.Count(metrics.VerifySucceeded, 1)
	tok, exp := token.VenueIssuer(keys).Issue(token.Venue, venueID, now, h.cfg.TokenTTL)
	return api.JSON(req, 200, verifyResponse{VenueID: venueID, AccessToken: tok, TokenExpiresAt: exp.UTC().Format(time.RFC3339)}), nil
}
