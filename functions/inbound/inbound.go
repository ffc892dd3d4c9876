// Package inbound is the inbound message handler: a business proves its phone
// number or e-mail address by sending us a short text from it, through WhatsApp
// (AWS End User Messaging Social), two-way SMS (AWS End User Messaging SMS) or
// e-mail (SES receiving), each delivered through SNS. A message proves a pending
// registration or sign-in only if it comes from that contact, with the text,
// before it expires, once. STOP and START from a number stop and restart every
// message to it. Nothing is ever sent in reply.
package inbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/contact/policy"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/inbound"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/secret"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/third_party/phonenumbers"
)

// Metrics the handler counts: proofs by Via, dropped messages by Reason, and
// opt-outs and opt-ins by Via.
const (
	Proven  = "InboundProven"
	Dropped = "InboundDropped"
	Stopped = "InboundStop"
	Started = "InboundStart"
)

// StopReason is the suppression reason an inbound STOP records.
const StopReason = "stop"

// Config is the inbound function's settings.
type Config struct {
	Inbound inbound.Config
	// Policy normalises senders exactly as register normalises destinations, so
	// that a sender's identity hashes to the registration's.
	Policy contact.Policy
	// DropWindow is the window of the per-sender and per-network drop counters.
	DropWindow time.Duration
}

// LoadConfig reads Config from env.
func LoadConfig(env *config.Env) (Config, error) {
	in, err := inbound.FromEnv(env)
	if err != nil {
		return Config{}, err
	}
	c := Config{Inbound: in, Policy: policy.FromEnv(env), DropWindow: env.Duration("INBOUND_DROP_WINDOW", time.Hour, time.Minute)}
	return c, env.Err()
}

// Store is the part of the table the handler uses.
type Store interface {
	GetProof(ctx context.Context, textHash string, now time.Time) (store.Proof, error)
	UseProof(ctx context.Context, textHash string, p store.Proof, messageID, via string, now time.Time) error
	CountDrops(ctx context.Context, pks []string, ttl int64) error
	Suppress(ctx context.Context, hash string, sup store.Suppression, now time.Time) error
	Unsuppress(ctx context.Context, destHash, reason string) (bool, error)
}

var _ Store = (*store.Store)(nil)

// Handler takes the SNS notifications of the three sources.
type Handler struct {
	cfg     Config
	store   Store
	keys    *secret.Once
	ids     identity.Hasher
	log     *slog.Logger
	metrics *metrics.Recorder
	now     func() time.Time
}

// New builds the handler: st is the table, and the hashing key comes from
// secrets (the key register uses, so that proofs, senders and suppressions match
// what register wrote), read with the first message.
func New(cfg Config, st Store, secrets secret.Source, rt process.Runtime) *Handler {
	return &Handler{cfg: cfg, store: st, keys: secret.NewOnce(secrets), log: rt.Log, metrics: rt.Metrics, now: rt.Now}
}

// Wire builds the handler from its environment with the clients it uses:
// DynamoDB, and SSM for the master secret. It has none to send with.
func Wire(_ context.Context, env *config.Env, awsCfg aws.Config, rt process.Runtime) (*Handler, error) {
	st := store.FromEnv(env, dynamodb.NewFromConfig(awsCfg))
	secrets := secret.FromEnv(env, awsCfg)
	cfg, err := LoadConfig(env)
	if err != nil {
		return nil, err
	}
	return New(cfg, st, secrets, rt), nil
}

// Handle takes every notification in an SNS event. An error (the table failing)
// makes Lambda deliver the event again, which is safe: a redelivered message is
// recognised by its id.
func (h *Handler) Handle(ctx context.Context, ev events.SNSEvent) error {
	return process.SNSMessages(ctx, ev, h.HandleMessage)
}

// HandleMessage takes one SNS message body from any of the sources.
func (h *Handler) HandleMessage(ctx context.Context, body string) error {
	ms, why := parse(body)
	if why != "" {
		h.log.WarnContext(ctx, "notification ignored", "why", why)
		return nil
	}
	if err := h.keys.Do(ctx, func(k secret.Keys) { h.ids = identity.New(k) }); err != nil {
		return err
	}
	var errs []error
	for _, m := range ms {
		if err := h.take(ctx, m); err != nil {
			errs = append(errs, fmt.Errorf("%s message: %w", m.via, err))
		}
	}
	return errors.Join(errs...)
}

// Why a message was dropped, as the metric's Reason.
const (
	dropRecipient = "recipient"      // not sent to our number or address
	dropSender    = "sender_invalid" // a sender no registration could have
	dropAuth      = "unauthenticated"
	dropUnmatched = "unmatched"    // no pending proof has this text
	dropSpoofed   = "wrong_sender" // the text is another contact's
	dropExpired   = "expired"
	dropReplay    = "replay" // the text was used by another message
	dropGone      = "subject_gone"
)

// take applies one message: an opt-out or opt-in keyword, or a proof.
func (h *Handler) take(ctx context.Context, m message) error {
	now := h.now()
	if !h.toUs(m) {
		return h.drop(ctx, m, contact.Destination{}, dropRecipient, now)
	}
	dest, err := h.sender(m)
	if err != nil {
		return h.drop(ctx, m, contact.Destination{}, dropSender, now)
	}
	if m.via != inbound.Email && m.unauthenticated == "" {
		switch {
		case inbound.IsStop(m.text):
			return h.stop(ctx, m, dest, now)
		case inbound.IsStart(m.text):
			return h.start(ctx, m, dest)
		}
	}
	if m.unauthenticated != "" {
		return h.drop(ctx, m, dest, dropAuth, now)
	}
	textHash := inbound.TextHash(h.ids, m.text)
	p, err := h.store.GetProof(ctx, textHash, now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return h.drop(ctx, m, dest, dropUnmatched, now)
	case err != nil:
		return err
	case p.Channel != string(dest.Channel) || p.DestHash != h.ids.Destination(dest):
		return h.drop(ctx, m, dest, dropSpoofed, now)
	case p.UsedAt != 0:
		return h.used(ctx, m, dest, p, now)
	case p.ExpiresAt <= now.Unix():
		return h.drop(ctx, m, dest, dropExpired, now)
	}
	switch err := h.store.UseProof(ctx, textHash, p, m.id, m.via, now); {
	case errors.Is(err, store.ErrProofUsed):
		// Another delivery won the race: the same message again, or a replay.
		if p, err = h.store.GetProof(ctx, textHash, now); err != nil {
			return err
		}
		return h.used(ctx, m, dest, p, now)
	case errors.Is(err, store.ErrProofExpired):
		return h.drop(ctx, m, dest, dropExpired, now)
	case errors.Is(err, store.ErrProofSubject):
		return h.drop(ctx, m, dest, dropGone, now)
	case err != nil:
		return err
	}
	h.metrics.Count(Proven, 1, "Via", m.via)
	h.log.InfoContext(ctx, "contact proven by inbound message", "via", m.via, "from", dest.Masked(), "subject", kind(p.Subject))
	return nil
}

// used answers a message whose text already proved its subject: the same
// message delivered again changes nothing; another is a replay.
func (h *Handler) used(ctx context.Context, m message, dest contact.Destination, p store.Proof, now time.Time) error {
	if p.MessageID == m.id && p.Via == m.via {
		h.log.InfoContext(ctx, "message delivered again: already applied", "via", m.via)
		return nil
	}
	return h.drop(ctx, m, dest, dropReplay, now)
}

// toUs says whether the message was sent to this service's number or address.
func (h *Handler) toUs(m message) bool {
	c := h.cfg.Inbound
	switch m.via {
	case inbound.WhatsApp:
		return c.WhatsAppPhoneNumberID != "" && m.to == c.WhatsAppPhoneNumberID
	case inbound.SMS:
		return c.SMSNumber != "" && m.to == c.SMSNumber
	case inbound.Email:
		for _, r := range strings.Split(m.to, ",") {
			if c.EmailAddress != "" && strings.EqualFold(strings.TrimSpace(r), c.EmailAddress) {
				return true
			}
		}
	}
	return false
}

// sender normalises the sender under the policy register applies to
// destinations: the same number or mailbox has the same identity in both.
func (h *Handler) sender(m message) (contact.Destination, error) {
	if m.via != inbound.Email {
		return h.cfg.Policy.Phone.Phone(m.from)
	}
	a, err := mail.ParseAddress(m.from)
	if err != nil {
		return contact.Destination{}, err
	}
	return h.cfg.Policy.Email.Email(a.Address)
}

// stop suppresses every further message to the sending number.
func (h *Handler) stop(ctx context.Context, m message, dest contact.Destination, now time.Time) error {
	if err := h.store.Suppress(ctx, h.ids.Destination(dest), store.Suppression{Reason: StopReason, CreatedAt: now.Unix()}, now); err != nil {
		return err
	}
	h.metrics.Count(Stopped, 1, "Via", m.via)
	h.log.InfoContext(ctx, "number opted out", "via", m.via, "from", dest.Masked())
	return nil
}

// start lifts a STOP of the sending number, and nothing else.
func (h *Handler) start(ctx context.Context, m message, dest contact.Destination) error {
	lifted, err := h.store.Unsuppress(ctx, h.ids.Destination(dest), StopReason)
	if err != nil {
		return err
	}
	if lifted {
		h.metrics.Count(Started, 1, "Via", m.via)
	}
	h.log.InfoContext(ctx, "number opted in", "via", m.via, "from", dest.Masked(), "lifted", lifted)
	return nil
}

// drop counts a message that proves nothing, per sender and per network, and
// answers nothing to anyone.
func (h *Handler) drop(ctx context.Context, m message, dest contact.Destination, reason string, now time.Time) error {
	h.metrics.Count(Dropped, 1, "Reason", reason)
	id, network := senderIdentity(m, dest)
	h.log.InfoContext(ctx, "inbound message dropped", "via", m.via, "reason", reason, "from", maskSender(m, dest))
	w := now.Truncate(h.cfg.DropWindow).Unix()
	ttl := w + 2*int64(h.cfg.DropWindow/time.Second)
	pks := []string{
		store.CounterKey("inbound-sender", h.ids.Hash(senderKind, id), w),
		store.CounterKey("inbound-net", h.ids.Hash(networkKind, network), w),
	}
	if err := h.store.CountDrops(ctx, pks, ttl); err != nil {
		// A count is evidence, not a control: losing one must not redeliver the message.
		h.log.WarnContext(ctx, "drop not counted", "err", err)
	}
	return nil
}

// The identity kinds of the senders and networks dropped messages are counted by.
const (
	senderKind  identity.Kind = "inbound-sender"
	networkKind identity.Kind = "inbound-net"
)

// senderIdentity is who sent m and from which network: the normalised identity
// and, for a phone, its country and network prefix, for e-mail its domain.
func senderIdentity(m message, dest contact.Destination) (id, network string) {
	if dest.Key == "" {
		return m.via + ":" + strings.ToLower(strings.TrimSpace(m.from)), m.via + ":unknown"
	}
	if dest.Channel == contact.Email {
		return dest.Key, "email:" + dest.Address[strings.LastIndexByte(dest.Address, '@')+1:]
	}
	num, err := phonenumbers.Parse(dest.Address, "")
	if err != nil {
		return dest.Key, "sms:unknown"
	}
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	ndc := min(phonenumbers.GetLengthOfNationalDestinationCode(num), len(nsn))
	return dest.Key, "sms:+" + strconv.Itoa(int(num.GetCountryCode())) + nsn[:ndc]
}

func maskSender(m message, dest contact.Destination) string {
	if dest.Key != "" {
		return dest.Masked()
	}
	if m.via == inbound.Email {
		return contact.Mask(contact.Email, strings.TrimSpace(m.from))
	}
	return contact.Mask(contact.SMS, strings.TrimSpace(m.from))
}

// kind is a key's prefix, safe to log.
func kind(pk string) string {
	k, _, _ := strings.Cut(pk, "#")
	return k
}
