// Package register serves the challenge, registration, resend and opt-out endpoints:
// everything that may send a one-time code to a destination not yet proven.
package register

import (
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/mode"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/otp"
	"github.com/checkin-registry/registry/shared/plan"
	"github.com/checkin-registry/registry/shared/platform"
	"github.com/checkin-registry/registry/shared/pow"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/shared/token"
)

// Config is the register function's settings.
type Config struct {
	CodeDigits      int
	CodeTTL         time.Duration
	RegistrationTTL time.Duration
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
}

// LoadConfig reads Config from env with the contract's defaults.
func LoadConfig(env *config.Env) (Config, error) {
	policy, err := contact.PolicyFromEnv(env)
	c := Config{
		CodeDigits:      env.Int("CODE_DIGITS", 6, 4),
		CodeTTL:         env.Duration("CODE_TTL", 5*time.Minute, 30*time.Second),
		RegistrationTTL: env.Duration("REGISTRATION_TTL", 24*time.Hour, time.Hour),
		ResendWait:      env.Duration("RESEND_WAIT", 60*time.Second, time.Second),
		MaxResends:      env.Int("MAX_RESENDS", 3, 0),
		MaxAttempts:     env.Int("CODE_MAX_ATTEMPTS", 5, 1),
		Limits:          LimitsFromEnv(env),
		Policy:          policy,
		PoWMaxNumber:    int64(env.Int("POW_MAX_NUMBER", 100000, 1)),
		PoWTTL:          env.Duration("POW_TTL", 10*time.Minute, 10*time.Second),
		PoWNetworkFloor: env.Int("POW_NETWORK_FLOOR", 5, 0),
		PoWMaxDoublings: env.Int("POW_MAX_DOUBLINGS", 10, 0),
		AuditTTL:        env.Duration("AUDIT_TTL", 90*24*time.Hour, time.Hour),
		OptOutTTL:       env.Duration("OPTOUT_TTL", 30*24*time.Hour, time.Hour),
		PublicBaseURL:   env.String("PUBLIC_BASE_URL", "http://127.0.0.1:8080"),
		ModeCacheTTL:    env.Duration("MODE_CACHE_TTL", 5*time.Second, 0),
		Client:          api.ClientAddress{OriginSecret: env.String("ORIGIN_VERIFY_SECRET", "")},
	}
	return c, errors.Join(err, c.Limits.Validate(), env.Err())
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
	rand       io.Reader
	// Router serves the routes; its Handle is the Lambda entry point.
	api.Router
}

// New builds the handler.
func New(cfg Config, d platform.Deps) *Handler {
	h := &Handler{
		cfg:        cfg,
		store:      d.Store,
		sender:     d.Sender,
		modes:      mode.NewCache(d.Store, cfg.ModeCacheTTL, d.Now),
		ids:        identity.New(d.Keys),
		codeKey:    otp.Key(d.Keys),
		challenger: pow.NewChallenger(d.Keys, cfg.PoWMaxNumber, cfg.PoWTTL, d.Rand),
		optout:     token.Issuer{Key: d.Keys.Derive("optout")},
		metrics:    d.Metrics,
		log:        d.Log,
		now:        d.Now,
		rand:       d.Rand,
	}
	h.Router = api.Router{Log: d.Log, Routes: map[api.Route]api.HandlerFunc{
		{Method: "GET", Resource: "/v1/challenge"}:                              h.challenge,
		{Method: "POST", Resource: "/v1/registrations"}:                         h.register,
		{Method: "POST", Resource: "/v1/registrations/{registrationId}/resend"}: h.resend,
		{Method: "GET", Resource: "/v1/optout"}:                                 h.optoutPage,
		{Method: "POST", Resource: "/v1/optout"}:                                h.optoutConfirm,
	}}
	return h
}

// Build makes the Lambda handler from the environment: for main and the local server.
var Build = platform.APIBuilder(LoadConfig, New)
