// Package feedback is the SES feedback handler: bounce and complaint events of the
// service's SES configuration set, delivered through SNS, add the address to the
// suppression list that every sender honours, so that no further message goes to
// an address that does not exist or whose owner reported us.
package feedback

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/secret"
	"github.com/checkin-registry/registry/shared/store"
)

// SuppressionAdded is the metric counted for each address suppressed, with the
// dimension Reason: "bounce" or "complaint".
const SuppressionAdded = "SuppressionAdded"

// Suppressor is the part of the table the handler uses.
type Suppressor interface {
	Suppress(ctx context.Context, hash string, sup store.Suppression, now time.Time) error
}

var _ Suppressor = (*store.Store)(nil)

// Config is the feedback function's settings.
type Config struct {
	// BounceTTL is how long a hard bounce suppresses its address: a mailbox that
	// did not exist may be created, and an address that bounced once for someone
	// else's typo must not be barred from codes for ever.
	BounceTTL time.Duration
}

// LoadConfig reads Config from env with the defaults.
func LoadConfig(env *config.Env) (Config, error) {
	c := Config{BounceTTL: env.Duration("BOUNCE_SUPPRESSION_TTL", 30*24*time.Hour, time.Hour)}
	return c, env.Err()
}

// Handler suppresses the addresses that SES reports as bounced for good or as
// complaining: each exactly as SES reported it (case aside), never the mailbox it
// folds into, since a bounce or a complaint is caused by whoever typed the
// address, not by its owner. Only the owner's own opt-out link covers the mailbox.
type Handler struct {
	cfg     Config
	store   Suppressor
	secrets secret.Source
	log     *slog.Logger
	metrics *metrics.Recorder
	now     func() time.Time
}

// New builds the handler. Destinations are hashed with the key register uses, so
// that a suppression here matches the destination there.
func New(cfg Config, st Suppressor, secrets secret.Source, rt process.Runtime) *Handler {
	return &Handler{cfg: cfg, store: st, secrets: secrets, log: rt.Log, metrics: rt.Metrics, now: rt.Now}
}

// Wire builds the handler from its environment with the clients it uses:
// DynamoDB, and SSM for the master secret, read when an event first suppresses.
func Wire(_ context.Context, env *config.Env, awsCfg aws.Config, rt process.Runtime) (*Handler, error) {
	st := store.FromEnv(env, dynamodb.NewFromConfig(awsCfg))
	secrets := secret.FromEnv(env, awsCfg)
	cfg, err := LoadConfig(env)
	if err != nil {
		return nil, err
	}
	return New(cfg, st, secrets, rt), nil
}

// Event is the part of an SES notification the handler reads: an event of a
// configuration set (eventType) or an identity's feedback notification
// (notificationType), which carry the same bounce and complaint objects.
type Event struct {
	EventType        string `json:"eventType"`
	NotificationType string `json:"notificationType"`
	Bounce           *struct {
		BounceType        string      `json:"bounceType"`
		BounceSubType     string      `json:"bounceSubType"`
		BouncedRecipients []recipient `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint *struct {
		ComplaintFeedbackType string      `json:"complaintFeedbackType"`
		ComplainedRecipients  []recipient `json:"complainedRecipients"`
	} `json:"complaint"`
}

type recipient struct {
	EmailAddress string `json:"emailAddress"`
}

// Type is "Bounce", "Complaint" or another SES event type.
func (e Event) Type() string {
	if e.EventType != "" {
		return e.EventType
	}
	return e.NotificationType
}

// Suppressions are the addresses this event asks to suppress, with the reason:
// every recipient of a permanent bounce or of a complaint. Transient and
// undetermined bounces, and complaints whose feedback type is "not-spam", ask for none.
func (e Event) Suppressions() (reason string, addresses []string) {
	switch {
	case e.Type() == "Bounce" && e.Bounce != nil && e.Bounce.BounceType == "Permanent":
		reason = "bounce"
		for _, r := range e.Bounce.BouncedRecipients {
			addresses = append(addresses, r.EmailAddress)
		}
	case e.Type() == "Complaint" && e.Complaint != nil && e.Complaint.ComplaintFeedbackType != "not-spam":
		reason = "complaint"
		for _, r := range e.Complaint.ComplainedRecipients {
			addresses = append(addresses, r.EmailAddress)
		}
	}
	return reason, addresses
}

// Handle applies every SES notification in an SNS event. An error makes Lambda
// deliver the event again, which is safe: a suppression is written once.
func (h *Handler) Handle(ctx context.Context, ev events.SNSEvent) error {
	return process.SNSMessages(ctx, ev, h.HandleMessage)
}

// HandleMessage applies one SNS message body.
func (h *Handler) HandleMessage(ctx context.Context, message string) error {
	var e Event
	if err := json.Unmarshal([]byte(message), &e); err != nil {
		h.log.WarnContext(ctx, "not an SES notification: ignored")
		return nil
	}
	reason, addresses := e.Suppressions()
	if reason == "" {
		h.log.InfoContext(ctx, "SES notification asks for no suppression: ignored", "type", e.Type(), "bounceType", bounceType(e))
		return nil
	}
	keys, err := h.secrets.Keys(ctx)
	if err != nil {
		return err
	}
	ids := identity.New(keys)
	var errs []error
	for _, raw := range addresses {
		dest, err := destination(raw)
		if err != nil {
			// A retry cannot make it readable: log it (masked) and go on.
			h.log.WarnContext(ctx, "unreadable address in SES notification: skipped", "reason", reason, "to", contact.Mask(contact.Email, strings.TrimSpace(raw)))
			continue
		}
		now := h.now()
		sup := store.Suppression{Reason: reason, CreatedAt: now.Unix()}
		if reason == "bounce" {
			sup.TTL = now.Add(h.cfg.BounceTTL).Unix()
		}
		if err := h.store.Suppress(ctx, ids.Address(dest.Address), sup, now); err != nil {
			errs = append(errs, fmt.Errorf("suppress after %s: %w", reason, err))
			continue
		}
		h.metrics.Count(SuppressionAdded, 1, "Reason", reason)
		h.log.InfoContext(ctx, "address suppressed", "reason", reason, "to", dest.Masked())
	}
	return errors.Join(errs...)
}

// destination reads an address as register does, so that its hash is the one
// register looks up. A display name, where SES gives one, is dropped.
func destination(raw string) (contact.Destination, error) {
	raw = strings.TrimSpace(raw)
	if strings.ContainsRune(raw, '<') {
		a, err := mail.ParseAddress(raw)
		if err != nil {
			return contact.Destination{}, err
		}
		raw = a.Address
	}
	return contact.EmailPolicy{}.Email(raw)
}

func bounceType(e Event) string {
	if e.Bounce == nil {
		return ""
	}
	return e.Bounce.BounceType
}
