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
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/contact/policy"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/mode"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/notify/ses"
	"github.com/checkin-registry/registry/shared/notify/sns"
	"github.com/checkin-registry/registry/shared/plan"
	"github.com/checkin-registry/registry/shared/pow"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/secret"
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
	challenges := pow.ConfigFromEnv(env)
	c := Config{
		Policy:          policy.FromEnv(env),
		Limits:          LimitsFromEnv(env),
		DuplicateWindow: env.Duration("HELPDESK_DUPLICATE_WINDOW", 7*24*time.Hour, time.Minute),
		TicketTTL:       env.Duration("TICKET_TTL", 180*24*time.Hour, 24*time.Hour),
		TokenTTL:        env.Duration("TICKET_TOKEN_TTL", 30*24*time.Hour, time.Minute),
		Client:          api.ClientAddressFromEnv(env),
		AuditTTL:        store.AuditTTLFromEnv(env),
		PoWMaxNumber:    challenges.MaxNumber,
		PoWTTL:          challenges.TTL,
		ModeCacheTTL:    mode.CacheTTLFromEnv(env),
		StaffTopicARN:   env.Required("STAFF_TOPIC_ARN"),
		StaffEmail:      env.String("STAFF_EMAIL", ""),
		Acknowledge:     env.Bool("HELPDESK_ACKNOWLEDGE", true),
	}
	errs := []error{c.Limits.Validate(), env.Err()}
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

// New builds the handler: st is the table, sender tells staff (topic, e-mail)
// and acknowledges proven e-mail contacts. Its keys are derived from secrets
// before the first request is served (503 while it cannot be read): it shares
// the register function's keys for hashing (so a contact's hash matches its
// venue's) and for challenges (so that GET /v1/challenge serves this form too),
// and has a token key of its own.
func New(cfg Config, st *store.Store, sender notify.Sender, secrets secret.Source, rt process.Runtime) *Handler {
	h := &Handler{
		cfg:     cfg,
		store:   st,
		sender:  sender,
		modes:   mode.NewCache(st, cfg.ModeCacheTTL, rt.Now),
		metrics: rt.Metrics,
		log:     rt.Log,
		now:     rt.Now,
		rand:    rt.Rand,
	}
	keys := secret.NewOnce(secrets)
	h.Router = api.Router{Log: rt.Log, Handlers: map[api.Route]api.HandlerFunc{
		{Method: "POST", Resource: "/v1/helpdesk/tickets"}:           h.open,
		{Method: "GET", Resource: "/v1/helpdesk/tickets/{ticketId}"}: h.status,
	}, Ready: func(ctx context.Context) error { return keys.Do(ctx, h.setKeys) }}
	return h
}

// setKeys derives every key the routes use from the master secret.
func (h *Handler) setKeys(k secret.Keys) {
	h.ids = identity.New(k)
	h.challenger = pow.NewChallenger(k, h.cfg.PoWMaxNumber, h.cfg.PoWTTL, h.rand)
	h.tokens = token.Issuer{Key: k.Derive("ticket-token")}
	h.venues = token.VenueIssuer(k)
}

// Senders tell staff through the staff topic (SNS) and send the fixed
// acknowledgement by e-mail (SES); the function sends no SMS.
func Senders(env *config.Env, awsCfg aws.Config, rt process.Runtime) notify.Sender {
	return notify.Channels{notify.Topic: rt.Sender(&sns.Topic{Client: awssns.NewFromConfig(awsCfg)}), contact.Email: rt.Sender(ses.FromEnv(env, awsCfg))}
}

// Wire builds the handler from its environment with the clients it uses:
// DynamoDB, SNS (the staff topic) and SES to send, and SSM for the master
// secret, read when the first request arrives.
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
