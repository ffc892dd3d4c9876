// Package retention does the retention work that falls due: the one reminder
// each owner gets before their venues and contact are erased, and, at the end of
// a venue's term, its erasure with the revocation of its payloads. It runs on a
// schedule (hourly, from EventBridge). Each pass reads only what is due: it
// queries the table's due index for each hour since the last pass (the cursor
// item says which), claims each reminder with a conditional write so that it
// goes once however the passes overlap, and sends a fixed message to the proven
// contact. A sign-in renews the account and moves its reminder and its venues'
// expiries later. An expired venue is erased in one transaction with its
// revocation ("*" in GET /v1/revocations), so that offline scanners refuse its
// payloads as /v1/qr/verify does; DynamoDB's TTL erases the rest (the account,
// and a venue it reached first: its expiry item outlives it, so the revocation
// is still made).
package retention

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
	// Workers is how many reminders or expiries of a page are handled at once
	// (RETENTION_WORKERS).
	Workers int
	// Lookback is how far back the first pass (with no cursor yet) looks
	// (RETENTION_LOOKBACK); no pass looks back further than store.ExpiryGrace.
	Lookback time.Duration
}

// LoadConfig reads Config from env.
func LoadConfig(env *config.Env) (Config, error) {
	c := Config{
		SignInURL: strings.TrimRight(env.String("PUBLIC_BASE_URL", "http://127.0.0.1:8080"), "/") + "/signin.html",
		Workers:   env.Int("RETENTION_WORKERS", 8, 1),
		Lookback:  env.Duration("RETENTION_LOOKBACK", 48*time.Hour, time.Hour),
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
	return New(cfg, store.FromEnv(env, dynamodb.NewFromConfig(awsCfg)), Senders(env, awsCfg, rt), secret.FromEnv(env, awsCfg), rt), nil
}

// Senders deliver the reminders: SMS through SNS, e-mail through SES.
func Senders(env *config.Env, awsCfg aws.Config, rt process.Runtime) notify.Sender {
	return notify.Channels{contact.SMS: rt.Sender(sns.SMSFromEnv(env, awsCfg)), contact.Email: rt.Sender(ses.FromEnv(env, awsCfg))}
}

// Result is what a pass did.
type Result struct {
	Sent       int `json:"sent"`
	Suppressed int `json:"suppressed"`
	Failed     int `json:"failed"`
	// Expired counts the venues erased and revoked at the end of their term.
	Expired int `json:"expired"`
	// Hours is how many hours of the due index the pass read.
	Hours int `json:"hours"`
}

func (r *Result) add(o Result) {
	r.Sent, r.Suppressed, r.Failed, r.Expired = r.Sent+o.Sent, r.Suppressed+o.Suppressed, r.Failed+o.Failed, r.Expired+o.Expired
}

// Handle takes the scheduled event (its content is not needed) and runs a pass:
// the due index's hours from the one after the cursor to the current one, each
// in order. The cursor moves past an hour once all its work is done; a reminder
// that could not be sent is due again in the next hour, and an hour whose work
// failed is read again by the next pass. An error makes the schedule's next run
// try again.
func (h *Handler) Handle(ctx context.Context, _ json.RawMessage) (Result, error) {
	now := h.now()
	keys, err := h.secrets.Keys(ctx)
	if err != nil {
		return Result{}, err
	}
	ids := identity.New(keys)
	through, err := h.store.RetentionCursor(ctx)
	if err != nil {
		return Result{}, err
	}
	current := now.UTC().Truncate(time.Hour)
	from := through.Add(time.Hour)
	if through.IsZero() {
		from = current.Add(-h.cfg.Lookback)
	}
	if oldest := current.Add(-store.ExpiryGrace); from.Before(oldest) {
		// Expiry items older than that are gone: the pass was down too long.
		h.log.WarnContext(ctx, "retention pass skips hours older than the expiry grace", "from", from, "oldest", oldest)
		from = oldest
	}
	var res Result
	for hour := from; !hour.After(current); hour = hour.Add(time.Hour) {
		res.Hours++
		if err = h.hour(ctx, ids, hour, now, &res); err != nil {
			break
		}
		if hour.Before(current) {
			if err = h.store.AdvanceRetentionCursor(ctx, hour); err != nil {
				break
			}
		}
	}
	h.metrics.Count(ReminderSent, res.Sent, "Outcome", "sent")
	h.metrics.Count(ReminderSent, res.Suppressed, "Outcome", "suppressed")
	h.metrics.Count(ReminderSent, res.Failed, "Outcome", "failed")
	h.metrics.Count(VenueExpired, res.Expired)
	h.log.InfoContext(ctx, "retention pass", "hours", res.Hours, "sent", res.Sent, "suppressed", res.Suppressed,
		"failed", res.Failed, "expired", res.Expired)
	return res, err
}

// VenueExpired is the metric of venues erased and revoked at the end of their term.
const VenueExpired = "RetentionVenueExpired"

// duePage is how many due keys are read at once: up to 33 expiry items, each
// read with its venue and account in a BatchGetItem of at most 100.
const duePage = 33

// hour does the work due in one hour of the index.
func (h *Handler) hour(ctx context.Context, ids identity.Hasher, hour, now time.Time, res *Result) error {
	return h.store.DueKeys(ctx, store.DueHour(hour.Unix()), func(pks []string) error {
		var contacts, expiries []string
		for _, pk := range pks {
			if strings.HasPrefix(pk, "expiry#") {
				expiries = append(expiries, pk)
			} else {
				contacts = append(contacts, pk)
			}
		}
		for part := range slices.Chunk(contacts, duePage) {
			if err := h.timeLeft(ctx); err != nil {
				return err
			}
			due, err := h.store.DueReminders(ctx, part, now)
			if err != nil {
				return err
			}
			if err := each(h, res, due, func(due []store.DueReminder) (Result, error) { return h.remind(ctx, ids, due, now) }); err != nil {
				return err
			}
		}
		for part := range slices.Chunk(expiries, duePage) {
			if err := h.timeLeft(ctx); err != nil {
				return err
			}
			due, err := h.store.DueExpiries(ctx, part, now)
			if err != nil {
				return err
			}
			if err := each(h, res, due, func(due []store.ExpiredVenue) (Result, error) { return h.expire(ctx, due, now) }); err != nil {
				return err
			}
		}
		return nil
	})
}

// ErrOutOfTime ends a pass that is near its invocation's deadline before it
// takes up more work, so that no reminder is claimed and then cut off before it
// is sent; the next run carries on from the same hour.
var ErrOutOfTime = errors.New("retention pass out of time; the next run carries on")

// reserve is the time a pass keeps in hand for the page it takes up.
const reserve = 30 * time.Second

func (h *Handler) timeLeft(ctx context.Context) error {
	if d, ok := ctx.Deadline(); ok && time.Until(d) < reserve {
		return ErrOutOfTime
	}
	return ctx.Err()
}

// each runs fn over items in up to cfg.Workers parts at once, adding up their
// results into res; the first error is answered once all are done.
func each[T any](h *Handler, res *Result, items []T, fn func([]T) (Result, error)) error {
	if len(items) == 0 {
		return nil
	}
	size := (len(items) + h.cfg.Workers - 1) / h.cfg.Workers
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		first error
	)
	for part := range slices.Chunk(items, size) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := fn(part)
			mu.Lock()
			defer mu.Unlock()
			res.add(r)
			if first == nil {
				first = err
			}
		}()
	}
	wg.Wait()
	return first
}

// expireTries is how often a venue that changed while it expired is read again
// before the hour is left to the next pass.
const expireTries = 3

// expire erases each expired venue with its revocation. One that changed since
// it was read (renewed, closed, or its account changed) is read again: renewed
// or gone, it is no longer due; otherwise the erasure is tried again, and an
// error leaves the hour, and with it the venue, to the next pass.
func (h *Handler) expire(ctx context.Context, due []store.ExpiredVenue, now time.Time) (Result, error) {
	var res Result
	for _, e := range due {
		err := h.store.ExpireVenue(ctx, e, now)
		for try := 1; errors.Is(err, store.ErrChanged); try++ {
			if try == expireTries {
				return res, fmt.Errorf("expire venue %s: %w", e.Expiry.VenueID, err)
			}
			again, rerr := h.store.DueExpiries(ctx, []string{store.ExpiryKey(e.Expiry.VenueID)}, now)
			if rerr != nil {
				return res, rerr
			}
			if len(again) == 0 {
				break
			}
			e = again[0]
			err = h.store.ExpireVenue(ctx, e, now)
		}
		switch {
		case errors.Is(err, store.ErrChanged):
			continue
		case err != nil:
			return res, err
		}
		res.Expired++
		h.log.InfoContext(ctx, "venue expired", "venueId", e.Expiry.VenueID, "recordPresent", e.Venue != nil, "accountUpdated", e.Account != nil)
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
			if err := h.store.ReleaseReminder(ctx, d, now, now.Add(time.Hour)); err != nil {
				return res, err
			}
			continue
		}
		res.Sent++
	}
	return res, nil
}
