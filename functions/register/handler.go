// Package register serves the challenge, registration, resend, sign-in and opt-out
// endpoints: everything that may send a one-time code.
package register

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/contact/policy"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/inbound"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/mode"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/notify/ses"
	"github.com/checkin-registry/registry/shared/notify/sns"
	"github.com/checkin-registry/registry/shared/otp"
	"github.com/checkin-registry/registry/shared/plan"
	"github.com/checkin-registry/registry/shared/pow"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/secret"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/shared/token"
)

// Config is the register function's settings.
type Config struct {
	CodeDigits      int
	CodeTTL         time.Duration
	RegistrationTTL time.Duration
	// SessionTTL is how long a sign-in can be verified (SESSION_TTL).
	SessionTTL time.Duration
	// SignInPad is how long after it began every sign-in by code answers,
	// whether a code was sent or not (SIGNIN_PAD): above the sends' p99.
	SignInPad time.Duration
	// ResendWait is the wait before the first resend; it doubles after each.
	ResendWait time.Duration
	MaxResends int
	// MaxAttempts is verify's limit on code attempts (CODE_MAX_ATTEMPTS): a
	// registration that has used them all is sent no more codes.
	MaxAttempts int
	// Limits are every limit on sending a code (limits.go).
	Limits       plan.Plan
	Policy       contact.Policy
	PoWMaxNumber int64
	PoWTTL       time.Duration
	// PoWNetworkFloor is the unverified codes of a network past which its
	// requests need proof of work, twice as hard for each one more (at most
	// PoWMaxDoublings times).
	PoWNetworkFloor, PoWMaxDoublings int
	AuditTTL                         time.Duration
	OptOutTTL                        time.Duration
	// PublicBaseURL prefixes the opt-out link in code e-mails.
	PublicBaseURL string
	ModeCacheTTL  time.Duration
	Client        api.ClientAddress
	// Inbound says which sources can prove a contact by a message from it.
	Inbound inbound.Config
}

// LoadConfig reads Config from env with the contract's defaults.
func LoadConfig(env *config.Env) (Config, error) {
	in, inErr := inbound.FromEnv(env)
	code, challenges := otp.ConfigFromEnv(env), pow.ConfigFromEnv(env)
	c := Config{
		Inbound:         in,
		CodeDigits:      code.Digits,
		CodeTTL:         code.TTL,
		RegistrationTTL: env.Duration("REGISTRATION_TTL", 24*time.Hour, time.Hour),
		SessionTTL:      env.Duration("SESSION_TTL", time.Hour, 10*time.Minute),
		SignInPad:       env.Duration("SIGNIN_PAD", 1500*time.Millisecond, 0),
		ResendWait:      env.Duration("RESEND_WAIT", 60*time.Second, time.Second),
		MaxResends:      env.Int("MAX_RESENDS", 3, 0),
		MaxAttempts:     code.MaxAttempts,
		Limits:          LimitsFromEnv(env),
		Policy:          policy.FromEnv(env),
		PoWMaxNumber:    challenges.MaxNumber,
		PoWTTL:          challenges.TTL,
		PoWNetworkFloor: env.Int("POW_NETWORK_FLOOR", 5, 0),
		PoWMaxDoublings: env.Int("POW_MAX_DOUBLINGS", 10, 0),
		AuditTTL:        store.AuditTTLFromEnv(env),
		OptOutTTL:       env.Duration("OPTOUT_TTL", 30*24*time.Hour, time.Hour),
		PublicBaseURL:   env.String("PUBLIC_BASE_URL", "http://127.0.0.1:8080"),
		ModeCacheTTL:    mode.CacheTTLFromEnv(env),
		Client:          api.ClientAddressFromEnv(env),
	}
	return c, errors.Join(inErr, c.Limits.Validate(), env.Err())
}

// Handler serves the register function's routes.
type Handler struct {
	cfg        Config
	store      *store.Store
	sender     notify.Sender
	modes      *mode.Cache
	ids        identity.Hasher
	codeKey    []byte
	challenger pow.Challenger
	optout     token.Issuer
	metrics    *metrics.Recorder
	log        *slog.Logger
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
	rand       io.Reader
	sendTimes  sendTimes
	// Router serves the routes; its Handle is the Lambda entry point.
	api.Router
}

// New builds the handler: st is the table, sender delivers codes by SMS and
// e-mail, and the keys are derived from secrets before the first request is
// served (503 while it cannot be read).
func New(cfg Config, st *store.Store, sender notify.Sender, secrets secret.Source, rt process.Runtime) *Handler {
	h := &Handler{
		cfg:     cfg,
		store:   st,
		sender:  sender,
		modes:   mode.NewCache(st, cfg.ModeCacheTTL, rt.Now),
		metrics: rt.Metrics,
		log:     rt.Log,
		now:     rt.Now,
		sleep:   rt.Sleep,
		rand:    rt.Rand,
	}
	if h.sleep == nil {
		h.sleep = process.Sleep
	}
	keys := secret.NewOnce(secrets)
	h.Router = api.Router{Log: rt.Log, Handlers: map[api.Route]api.HandlerFunc{
		{Method: "GET", Resource: "/v1/challenge"}:                              h.challenge,
		{Method: "POST", Resource: "/v1/registrations"}:                         h.register,
		{Method: "POST", Resource: "/v1/registrations/{registrationId}/resend"}: h.resend,
		{Method: "POST", Resource: "/v1/sessions"}:                              h.startSession,
		{Method: "GET", Resource: "/v1/optout"}:                                 h.optoutPage,
		{Method: "POST", Resource: "/v1/optout"}:                                h.optoutConfirm,
	}, Ready: func(ctx context.Context) error { return keys.Do(ctx, h.setKeys) }}
	return h
}

// setKeys derives every key the routes use from the master secret.
func (h *Handler) setKeys(k secret.Keys) {
	h.ids = identity.New(k)
	h.codeKey = otp.Key(k)
	h.challenger = pow.NewChallenger(k, h.cfg.PoWMaxNumber, h.cfg.PoWTTL, h.rand)
	h.optout = token.Issuer{Key: k.Derive("optout")}
}

// Senders deliver codes: SMS through SNS, e-mail through SES.
func Senders(env *config.Env, awsCfg aws.Config, rt process.Runtime) notify.Sender {
	return notify.Channels{contact.SMS: rt.Sender(sns.SMSFromEnv(env, awsCfg)), contact.Email: rt.Sender(ses.FromEnv(env, awsCfg))}
}

// Wire builds the handler from its environment with the clients it uses:
// DynamoDB, SNS and SES to send, and SSM for the master secret, read when the
// first request arrives.
func Wire(_ context.Context, env *config.Env, awsCfg aws.Config, rt process.Runtime) (*Handler, error) {
	st := store.FromEnv(env, dynamodb.NewFromConfig(awsCfg))
	sender := Senders(env, awsCfg, rt)
	secrets := secret.FromEnv(env, awsCfg)
	cfg, err := LoadConfig(env)
	if err != nil {
		return nil, err
	}
	return New(cfg, st, sender, secrets, rt), nil
}
