// Package helpdesk serves the help form: POST /v1/helpdesk/tickets opens a ticket
// and GET /v1/helpdesk/tickets/{ticketId} answers its status to the holder of its
// ticket token.
//
// The form is built so that it cannot relay a message to anyone: staff hear of a
// ticket through a fixed channel (an SNS topic, and a fixed address if one is
// configured) with the requester's text made inert, and the only message that may
// go to the contact typed into the form is a fixed acknowledgement, sent only where
// that contact is one a venue proved with a one-time code.
package helpdesk

import (
	"errors"
	"fmt"
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
	"github.com/checkin-registry/registry/shared/plan"
	"github.com/checkin-registry/registry/shared/platform"
	"github.com/checkin-registry/registry/shared/pow"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/shared/token"
)

// Config is the helpdesk function's settings.
type Config struct {
	// Client finds the client address the limits count.
	Client api.ClientAddress
	Policy contact.Policy
	// Limits are the helpdesk's limits (limits.go).
	Limits plan.Plan
	// DuplicateWindow is how long a repeated message answers its first ticket.
	DuplicateWindow time.Duration
	TicketTTL       time.Duration
	TokenTTL        time.Duration
	AuditTTL        time.Duration
	PoWMaxNumber    int64
	PoWTTL          time.Duration
	ModeCacheTTL    time.Duration
	// StaffTopicARN is the SNS topic every new ticket is announced on.
	StaffTopicARN string
	// StaffEmail, if set, is a fixed address that is e-mailed every new ticket too.
	StaffEmail string
	// Acknowledge sends the fixed acknowledgement to e-mail addresses venues proved.
	Acknowledge bool
}

// LoadConfig reads Config from env with the contract's defaults.
func LoadConfig(env *config.Env) (Config, error) {
	policy, err := contact.PolicyFromEnv(env)
	c := Config{
		Policy:          policy,
		Limits:          LimitsFromEnv(env),
		DuplicateWindow: env.Duration("HELPDESK_DUPLICATE_WINDOW", 7*24*time.Hour, time.Minute),
		TicketTTL:       env.Duration("TICKET_TTL", 180*24*time.Hour, 24*time.Hour),
		TokenTTL:        env.Duration("TICKET_TOKEN_TTL", 30*24*time.Hour, time.Minute),
		Client:          api.ClientAddress{OriginSecret: env.String("ORIGIN_VERIFY_SECRET", "")},
		AuditTTL:        env.Duration("AUDIT_TTL", 90*24*time.Hour, time.Hour),
		PoWMaxNumber:    int64(env.Int("POW_MAX_NUMBER", 100000, 1)),
		PoWTTL:          env.Duration("POW_TTL", 10*time.Minute, 10*time.Second),
		ModeCacheTTL:    env.Duration("MODE_CACHE_TTL", 5*time.Second, 0),
		StaffTopicARN:   env.Required("STAFF_TOPIC_ARN"),
		StaffEmail:      env.String("STAFF_EMAIL", ""),
		Acknowledge:     env.Bool("HELPDESK_ACKNOWLEDGE", true),
	}
	errs := []error{err, c.Limits.Validate(), env.Err()}
	if c.StaffEmail != "" {
		// The operator's own fixed address, but checked all the same: it goes into a header.
		if _, err := (contact.EmailPolicy{}).Email(c.StaffEmail); err != nil {
			errs = append(errs, fmt.Errorf("STAFF_EMAIL=%q: %w", c.StaffEmail, err))
		}
	}
	if c.DuplicateWindow > c.TicketTTL {
		errs = append(errs, fmt.Errorf("HELPDESK_DUPLICATE_WINDOW (%s) must not outlast TICKET_TTL (%s)", c.DuplicateWindow, c.TicketTTL))
	}
	return c, errors.Join(errs...)
}

// Handler serves the helpdesk routes.
type Handler struct {
	cfg        Config
	store      *store.Store
	sender     notify.Sender
	modes      *mode.Cache
	ids        identity.Hasher
	challenger pow.Challenger
	tokens     token.Issuer
	// venues checks the venue tokens that make a ticket an owner's.
	venues  token.Issuer
	metrics *metrics.Recorder
	log     *slog.Logger
	now     func() time.Time
	rand    io.Reader
	// Router serves the routes; its Handle is the Lambda entry point.
	api.Router
}

// New builds the handler. It shares the register function's keys for hashing
// (so a contact's hash matches its venue's) and for challenges (so that
// GET /v1/challenge serves this form too), and has a token key of its own.
func New(cfg Config, d platform.Deps) *Handler {
	h := &Handler{
		cfg:        cfg,
		store:      d.Store,
		sender:     d.Sender,
		modes:      mode.NewCache(d.Store, cfg.ModeCacheTTL, d.Now),
		ids:        identity.New(d.Keys),
		challenger: pow.NewChallenger(d.Keys, cfg.PoWMaxNumber, cfg.PoWTTL, d.Rand),
		tokens:     token.Issuer{Key: d.Keys.Derive("ticket-token")},
		venues:     token.VenueIssuer(d.Keys),
		metrics:    d.Metrics,
		log:        d.Log,
		now:        d.Now,
		rand:       d.Rand,
	}
	h.Router = api.Router{Log: d.Log, Routes: map[api.Route]api.HandlerFunc{
		{Method: "POST", Resource: "/v1/helpdesk/tickets"}:           h.open,
		{Method: "GET", Resource: "/v1/helpdesk/tickets/{ticketId}"}: h.status,
	}}
	return h
}

// Build makes the Lambda handler from the environment: for main and the local server.
var Build = platform.APIBuilder(LoadConfig, New)
