// Package retention sends the one reminder each owner gets before their venues
// and contact are erased. It runs on a schedule (hourly, from EventBridge): each
// pass finds the accounts whose reminder is due (RETENTION minus
// RETENTION_REMINDER_BEFORE after the contact was last proven), claims each with
// a conditional write so that it goes once however the passes overlap, and sends
// a fixed message to the proven contact. A sign-in renews the account and makes
// the reminder due again later. The erasure itself is DynamoDB's: every venue
// and contact item carries ttl.
package retention

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/notify/ses"
	"github.com/checkin-registry/registry/shared/notify/sns"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/secret"
	"github.com/checkin-registry/registry/shared/store"
)

// ReminderSent is the metric counted per pass, with the dimension Outcome:
// "sent", "suppressed" or "failed".
const ReminderSent = "RetentionReminder"

// Config is the retention function's settings.
type Config struct {
	// SignInURL is where the reminder sends the owner (PUBLIC_BASE_URL + /signin.html).
	SignInURL string
	// Segments is how many parts of the table are scanned at once (RETENTION_SCAN_SEGMENTS).
	Segments int
}

// LoadConfig reads Config from env.
func LoadConfig(env *config.Env) (Config, error) {
	c := Config{
		SignInURL: strings.TrimRight(env.String("PUBLIC_BASE_URL", "http://127.0.0.1:8080"), "/") + "/signin.html",
		Segments:  env.Int("RETENTION_SCAN_SEGMENTS", 4, 1),
	}
	return c, env.Err()
}

// Handler runs a reminder pass.
type Handler struct {
	cfg     Config
	store   *store.Store
	sender  notify.Sender
	secrets secret.Source
	log     *slog.Logger
	metrics *metrics.Recorder
	now     func() time.Time
}

// New builds the handler: st is the table, sender delivers by channel, and
// secrets is the master secret (for the hash of an exact address, which its
// suppression is keyed by).
func New(cfg Config, st *store.Store, sender notify.Sender, secrets secret.Source, rt process.Runtime) *Handler {
	return &Handler{cfg: cfg, store: st, sender: sender, secrets: secrets, log: rt.Log, metrics: rt.Metrics, now: rt.Now}
}

// Wire builds the handler from its environment with the clients it uses:
// DynamoDB, SNS and SES to send, and SSM for the master secret.
func Wire(_ context.Context, env *config.Env, awsCfg aws.Config, rt process.Runtime) (*Handler, error) {
	cfg, err := LoadConfig(env)
	if err != nil {
		return nil, err
	}
	sender := notify.Channels{contact.SMS: rt.Sender(sns.SMSFromEnv(env, awsCfg)), contact.Email: rt.Sender(ses.FromEnv(env, awsCfg))}
	return New(cfg, store.FromEnv(env, dynamodb.NewFromConfig(awsCfg)), sender, secret.FromEnv(env, awsCfg), rt), nil
}

// Result is what a pass did.
type Result struct {
	Sent       int `json:"sent"`
	Suppressed int `json:"suppressed"`
	Failed     int `json:"failed"`
}

// Handle takes the scheduled event (its content is not needed) and runs a pass.
// An error makes the schedule's next run try the failed ones again.
func (h *Handler) Handle(ctx context.Context, _ json.RawMessage) (Result, error) {
	now := h.now()
	keys, err := h.secrets.Keys(ctx)
	if err != nil {
		return Result{}, err
	}
	ids := identity.New(keys)
	var (
		mu   sync.Mutex
		res  Result
		errs = make([]error, h.cfg.Segments)
		wg   sync.WaitGroup
	)
	for seg := range h.cfg.Segments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[seg] = h.store.DueReminders(ctx, now, seg, h.cfg.Segments, func(due []store.DueReminder) error {
				r, err := h.remind(ctx, ids, due, now)
				mu.Lock()
				res.Sent, res.Suppressed, res.Failed = res.Sent+r.Sent, res.Suppressed+r.Suppressed, res.Failed+r.Failed
				mu.Unlock()
				return err
			})
		}()
	}
	wg.Wait()
	h.metrics.Count(ReminderSent, res.Sent, "Outcome", "sent")
	h.metrics.Count(ReminderSent, res.Suppressed, "Outcome", "suppressed")
	h.metrics.Count(ReminderSent, res.Failed, "Outcome", "failed")
	h.log.InfoContext(ctx, "retention reminders", "sent", res.Sent, "suppressed", res.Suppressed, "failed", res.Failed)
	for _, err := range errs {
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// remind sends one page's reminders: none to a suppressed contact (its claim
// stands, so it is not tried again), and a claim released where sending failed.
func (h *Handler) remind(ctx context.Context, ids identity.Hasher, due []store.DueReminder, now time.Time) (Result, error) {
	keys := make([]string, 0, 2*len(due))
	for _, d := range due {
		keys = append(keys, store.SuppressionKey(d.Hash), store.SuppressionKey(ids.Address(d.Contact)))
	}
	suppressed, err := h.store.GetMany(ctx, keys, now)
	if err != nil {
		return Result{}, err
	}
	var res Result
	for _, d := range due {
		claimed, err := h.store.ClaimReminder(ctx, d, now)
		if err != nil {
			return res, err
		}
		if !claimed {
			continue
		}
		if suppressed.Suppressed(d.Hash, ids.Address(d.Contact)) {
			res.Suppressed++
			continue
		}
		msg := notify.ReminderMessage(contact.Channel(d.Channel), d.Contact, len(d.VenueIDs), time.Unix(d.TTL, 0), h.cfg.SignInURL)
		if err := h.sender.Send(ctx, msg); err != nil {
			res.Failed++
			h.log.WarnContext(ctx, "reminder not sent", "channel", d.Channel, "err", err)
			if err := h.store.ReleaseReminder(ctx, d, now); err != nil {
				return res, err
			}
			continue
		}
		res.Sent++
	}
	return res, nil
}
