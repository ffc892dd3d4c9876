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
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/conversion"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/otp"
	"github.com/checkin-registry/registry/shared/owner"
	"github.com/checkin-registry/registry/shared/plan"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/ratelimit"
	"github.com/checkin-registry/registry/shared/secret"
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
	// Retention is how long a proof keeps the owner's venues and contact.
	Retention store.Retention
	// Credits are the send plan's earned allowances, which a verified code
	// credits.
	Credits plan.Plan
	// Limits bound code guessing per client, across all registrations.
	Limits plan.Plan
	// Client finds the client address the limits count.
	Client api.ClientAddress
}

// LimitWrongCodes is the name of the limit on wrong codes per client.
const LimitWrongCodes = "wrong_codes"

// LoadConfig reads Config from env with the contract's defaults.
func LoadConfig(env *config.Env) (Config, error) {
	code := otp.ConfigFromEnv(env)
	c := Config{
		CodeDigits:    code.Digits,
		MaxAttempts:   code.MaxAttempts,
		TokenTTL:      env.Duration("VENUE_TOKEN_TTL", 24*time.Hour, time.Minute),
		OwnerTokenTTL: env.Duration("OWNER_TOKEN_TTL", 2*time.Hour, time.Minute),
		Retention:     store.RetentionFromEnv(env),
		Credits:       conversion.Credits(env),
		// A log of the client's wrong codes: its bound is a condition on one
		// entry, so it is claimed and checked without a read.
		Limits: plan.Plan{Metric: metrics.VerifyFailed, Limits: []plan.Limit{
			{Name: LimitWrongCodes, Of: identity.Client, Scope: "wrong-code", Side: plan.EveryRequest,
				Rule:   ratelimit.Bound{N: env.Int("VERIFY_IP_MAX_WRONG", 30, 1), Window: env.Duration("VERIFY_IP_WINDOW", time.Hour, time.Minute)},
				Answer: plan.Answer{Status: 429, Message: "Too many wrong codes from your network. Please try again later."}},
		}},
		Client: api.ClientAddressFromEnv(env),
	}
	return c, errors.Join(c.Limits.Validate(), env.Err())
}

// Handler serves the verify route.
type Handler struct {
	cfg     Config
	store   *store.Store
	ids     identity.Hasher
	codeKey []byte
	tokens  token.Issuer
	metrics *metrics.Recorder
	now     func() time.Time
	rand    io.Reader
	// Router serves the routes; its Handle is the Lambda entry point.
	api.Router
}

// New builds the handler: st is the table, and its keys are derived from
// secrets before the first request is served (503 while it cannot be read, and
// no attempt is spent).
func New(cfg Config, st *store.Store, secrets secret.Source, rt process.Runtime) *Handler {
	h := &Handler{cfg: cfg, store: st, metrics: rt.Metrics, now: rt.Now, rand: rt.Rand}
	keys := secret.NewOnce(secrets)
	h.Router = api.Router{Log: rt.Log, Handlers: map[api.Route]api.HandlerFunc{
		{Method: "POST", Resource: "/v1/registrations/{registrationId}/verify"}: h.verify,
		{Method: "POST", Resource: "/v1/sessions/{sessionId}/verify"}:           h.verifySession,
	}, Ready: func(ctx context.Context) error { return keys.Do(ctx, h.setKeys) }}
	return h
}

// setKeys derives every key the route uses from the master secret.
func (h *Handler) setKeys(k secret.Keys) {
	h.ids, h.codeKey, h.tokens = identity.New(k), otp.Key(k), token.VenueIssuer(k)
}

// Wire builds the handler from its environment with the clients it uses:
// DynamoDB, and SSM for the master secret, read when the first request arrives.
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
// that only one of several concurrent correct verifies can win. A wrong code is
// counted against its client in one more write; a right one is held to the same
// limit in the completing transaction, so that past the limit every code, right
// or wrong, is answered 429 and guessing learns nothing. So a verify costs two
// DynamoDB calls, right or wrong: the reservation (UpdateItem) and one
// TransactWriteItems.
func (h *Handler) verify(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return h.verifyCode(ctx, req, "registrationId", "", h.complete)
}

// verifySession checks a sign-in's code the same way, and signs its owner in.
func (h *Handler) verifySession(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return h.verifyCode(ctx, req, "sessionId", store.SignIn, h.signIn)
}

// completion is what a right code leads to.
type completion func(ctx context.Context, req events.APIGatewayProxyRequest, reg store.Registration, limits *plan.Reading, client identity.Subject, now time.Time) (events.APIGatewayProxyResponse, error)

// verifyCode checks the code for the registration of kind (a sign-in, or "")
// in the path parameter param, and hands a right one to done.
func (h *Handler) verifyCode(ctx context.Context, req events.APIGatewayProxyRequest, param, kind string, done completion) (events.APIGatewayProxyResponse, error) {
	var in verifyRequest
	if err := api.DecodeJSON(req, &in); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	errNoRegistration := errNoRegistration
	if kind == store.SignIn {
		errNoRegistration = api.Errorf(api.CodeNotFound, "No such sign-in.")
	}
	id := req.PathParameters[param]
	if in.Code == nil && store.ValidID(id) {
		return h.verifyInbound(ctx, req, id, kind, done, errNoRegistration)
	}
	if in.Code == nil || !otp.WellFormed(*in.Code, h.cfg.CodeDigits) {
		return events.APIGatewayProxyResponse{}, errCodeField(h.cfg.CodeDigits)
	}
	if !store.ValidID(id) {
		return events.APIGatewayProxyResponse{}, errNoRegistration
	}
	ip, err := h.cfg.Client.IP(req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	now := h.now()
	client := h.ids.Requester(ip)
	limits := h.cfg.Limits.Read(nil, identity.Subject{}, now) // nothing read: conditions alone
	reg, err := h.store.ReserveAttempt(ctx, id, kind, h.cfg.MaxAttempts, now)
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
		claim := func(tx *store.Tx) error { return limits.Claim(tx, client, plan.EveryRequest) }
		if err := h.commit(ctx, claim, limits, client); err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		left := max(h.cfg.MaxAttempts-reg.Attempts, 0)
		if left == 0 {
			return events.APIGatewayProxyResponse{}, api.TooManyAttempts(time.Unix(reg.TTL, 0), now)
		}
		return events.APIGatewayProxyResponse{}, &api.Error{Code: api.CodeInvalidCode, Message: "The code is not correct.", AttemptsRemaining: &left}
	}
	return done(ctx, req, reg, limits, client, now)
}

func errCodeField(digits int) error {
	return api.Invalid(map[string]string{"code": "must be the " + strconv.Itoa(digits) + "-digit code"})
}

// verifyInbound answers a verify without a code: on a registration or sign-in
// (of kind) proven by an inbound message, once that message has arrived, by
// handing it to done as a right code is. It reserves no attempt (the site polls
// it) and reads one item until then. A registration's id is no sign-in's, nor the
// other way round (notFound).
func (h *Handler) verifyInbound(ctx context.Context, req events.APIGatewayProxyRequest, id, kind string, done completion, notFound error) (events.APIGatewayProxyResponse, error) {
	ip, err := h.cfg.Client.IP(req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	now := h.now()
	again := "Start a new registration."
	if kind == store.SignIn {
		again = "Start a new sign-in."
	}
	reg, err := h.store.GetRegistration(ctx, id, now)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && reg.Kind != kind:
		return events.APIGatewayProxyResponse{}, notFound
	case err != nil:
		return events.APIGatewayProxyResponse{}, err
	case !reg.Inbound:
		return events.APIGatewayProxyResponse{}, errCodeField(h.cfg.CodeDigits)
	case reg.Status == store.Verified:
		return events.APIGatewayProxyResponse{}, api.Errorf(api.CodeCodeExpired, "This registration is already verified.")
	case reg.InboundProvenAt != 0:
		return done(ctx, req, reg, h.cfg.Limits.Read(nil, identity.Subject{}, now), h.ids.Requester(ip), now)
	case reg.CodeExpiresAt <= now.Unix():
		return events.APIGatewayProxyResponse{}, api.Errorf(api.CodeCodeExpired, "No message arrived in time. %s", again)
	}
	return events.APIGatewayProxyResponse{}, api.Errorf(api.CodeNotReceived, "Your message has not arrived yet.")
}

// complete creates the venue of a proven registration and issues its token, in
// a transaction that holds the client to its limit on wrong codes.
func (h *Handler) complete(ctx context.Context, req events.APIGatewayProxyRequest, reg store.Registration, limits *plan.Reading, client identity.Subject, now time.Time) (events.APIGatewayProxyResponse, error) {
	venueID, err := store.NewID(h.rand)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	v := store.Venue{ID: venueID, BusinessName: reg.BusinessName, Address: reg.Address, Channel: reg.Channel,
		Contact: reg.Destination, ContactHash: reg.DestinationHash, RegistrationID: reg.ID, CreatedAt: now.Unix(),
		TTL: h.cfg.Retention.Until(now)}
	// The code's client, network and number range earn allowance, in the same
	// transaction. A proof by message earns the client and network allowance
	// but no standing, and the range nothing (plan.CreditProof says why).
	credit := identity.Subject{Client: reg.ClientHash, Network: reg.NetworkHash, Prefix: reg.PrefixHash, Channel: contact.Channel(reg.Channel)}
	complete := func(tx *store.Tx) error {
		if err := tx.CompleteVerification(reg, v, h.cfg.Retention); err != nil {
			return err
		}
		if reg.Inbound {
			h.cfg.Credits.CreditProof(tx, credit, time.Unix(reg.CreatedAt, 0), now)
		} else {
			h.cfg.Credits.Credit(tx, credit, now)
		}
		return limits.Hold(tx, client, plan.EveryRequest)
	}
	if err := h.commit(ctx, complete, limits, client); err != nil {
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

var errCodeUsed = api.Errorf(api.CodeCodeExpired, "This code has already been used or replaced.")

// signIn answers an owner token for every venue of the contact a sign-in
// proved, renewing their retention. A code sign-in to a contact that owns
// nothing was never sent a code, and none can match: it is answered as a wrong
// code is, after the same work. A contact proven by its own message that owns
// nothing (or whose account was erased since the sign-in began) did prove
// itself: it gets its token and no venues, which tells it only what it owns.
func (h *Handler) signIn(ctx context.Context, req events.APIGatewayProxyRequest, reg store.Registration, limits *plan.Reading, client identity.Subject, now time.Time) (events.APIGatewayProxyResponse, error) {
	complete := func(tx *store.Tx) error {
		tx.CompleteSignIn(reg)
		return limits.Hold(tx, client, plan.EveryRequest)
	}
	if err := h.commit(ctx, complete, limits, client); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	hash := reg.DestinationHash
	venues, err := h.renew(ctx, hash, now)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	h.metrics.Count(metrics.VerifySucceeded, 1, "Channel", reg.Channel)
	out := signInResponse{Venues: []owner.Venue{}}
	for _, v := range venues {
		v.TTL = h.cfg.Retention.Until(now)
		out.Venues = append(out.Venues, owner.View(v, ""))
	}
	tok, exp := h.tokens.Issue(token.Owner, hash, now, h.cfg.OwnerTokenTTL)
	out.AccessToken, out.TokenExpiresAt = tok, exp.UTC().Format(time.RFC3339)
	return api.JSON(req, 200, out), nil
}

// renew reads the venues of the proven contact hash and renews their retention
// and its account's: none where it has no account.
func (h *Handler) renew(ctx context.Context, hash string, now time.Time) ([]store.Venue, error) {
	account, err := h.store.GetContact(ctx, hash, now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	venues, err := h.store.Venues(ctx, account.VenueIDs, now)
	if err != nil {
		return nil, err
	}
	if err := h.store.RenewAccount(ctx, account, hash, venues, now, h.cfg.Retention); err != nil {
		if errors.Is(err, store.ErrChanged) {
			return nil, api.Unavailable(1, err)
		}
		return nil, err
	}
	return venues, nil
}

// commit runs the transaction that build makes and explains a cancelled one:
// the client's limit, or a code already used or replaced. A log of wrong codes
// grown too long to prepend to is trimmed in a second try.
func (h *Handler) commit(ctx context.Context, build func(*store.Tx) error, limits *plan.Reading, client identity.Subject) error {
	for try := 0; ; try++ {
		tx := h.store.Tx()
		if err := build(tx); err != nil {
			return err
		}
		err := h.store.Commit(ctx, tx)
		var failed *store.ConditionFailed
		if !errors.As(err, &failed) {
			return err
		}
		if try == 0 && limits.Learn(failed, client) {
			continue
		}
		ref, xerr := limits.Explain(failed, client)
		switch {
		case xerr != nil:
			return xerr
		case ref != nil:
			return h.cfg.Limits.Refused(ref, h.metrics)
		}
		return errCodeUsed
	}
}
