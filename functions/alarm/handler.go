package alarm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/mode"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/notify/sns"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/store"
)

// ModeStore is the part of the table the responder uses.
type ModeStore interface {
	GetMode(ctx context.Context, now time.Time) (store.ModeState, error)
	PutMode(ctx context.Context, m store.ModeState, prev int64) error
}

var _ ModeStore = (*store.Store)(nil)

// maxAttempts bounds the read-change-write rounds lost to concurrent writers.
const maxAttempts = 8

// Responder applies alarm notifications and operator commands to the mode item.
type Responder struct {
	Store ModeStore
	// Sender and Topic tell operators of each change of mode, through the sender's
	// notify.Topic channel (which the local outbox sees); a nil Sender or an empty
	// Topic tells no one.
	Sender notify.Sender
	Topic  string
	// Prefix starts the name of every alarm of this stack ("<stack>-"): an alarm
	// named otherwise, such as one of another stack publishing to the same topic,
	// holds no mode here.
	Prefix  string
	Log     *slog.Logger
	Metrics *metrics.Recorder
	Now     func() time.Time
}

// Config is the responder's settings.
type Config struct {
	// Topic is the alarm topic, where operators hear of each change (ALARM_TOPIC_ARN).
	Topic string
	// Prefix is this stack's alarm name prefix: only alarms named with it hold a
	// mode (ALARM_NAME_PREFIX).
	Prefix string
}

// LoadConfig reads Config from env.
func LoadConfig(env *config.Env) (Config, error) {
	c := Config{Topic: env.Required("ALARM_TOPIC_ARN"), Prefix: env.Required("ALARM_NAME_PREFIX")}
	return c, env.Err()
}

// New builds the responder: st holds the mode item, sender publishes to the topic.
func New(cfg Config, st ModeStore, sender notify.Sender, rt process.Runtime) *Responder {
	return &Responder{Store: st, Sender: sender, Topic: cfg.Topic, Prefix: cfg.Prefix, Log: rt.Log, Metrics: rt.Metrics, Now: rt.Now}
}

// Wire builds the responder from its environment with the clients it uses, and
// only those: DynamoDB for the mode and SNS for the topic. It reads no secret, so
// it starts while SSM is down.
func Wire(_ context.Context, env *config.Env, awsCfg aws.Config, rt process.Runtime) (*Responder, error) {
	st := store.FromEnv(env, dynamodb.NewFromConfig(awsCfg))
	cfg, err := LoadConfig(env)
	if err != nil {
		return nil, err
	}
	return New(cfg, st, rt.Sender(&sns.Topic{Client: awssns.NewFromConfig(awsCfg)}), rt), nil
}

// Handle applies every alarm notification in an SNS event. Messages that are not
// alarm notifications, and alarms that select no mode, are logged and skipped.
// An error makes Lambda deliver the event again, which is safe: applying a
// notification twice changes nothing.
func (r *Responder) Handle(ctx context.Context, ev events.SNSEvent) error {
	return process.SNSMessages(ctx, ev, r.HandleMessage)
}

// HandleMessage applies one SNS message body.
func (r *Responder) HandleMessage(ctx context.Context, message string) error {
	n, ok := ParseNotification(message)
	if !ok {
		r.Log.InfoContext(ctx, "not an alarm notification: ignored")
		return nil
	}
	log := r.Log.With("alarm", n.AlarmName, "state", n.NewStateValue, "oldState", n.OldStateValue, "stateChangeTime", n.StateChangeTime)
	if !strings.HasPrefix(n.AlarmName, r.Prefix) {
		log.WarnContext(ctx, "alarm of another stack: ignored", "prefix", r.Prefix)
		return nil
	}
	m, ok := ModeFor(n.AlarmName)
	if !ok {
		log.InfoContext(ctx, "alarm selects no protection mode: ignored")
		return nil
	}
	if n.NewStateValue != StateAlarm && n.NewStateValue != StateOK {
		// INSUFFICIENT_DATA says nothing about abuse: the hold stays as it was.
		log.InfoContext(ctx, "alarm state holds no mode change: ignored")
		return nil
	}
	at, ok := n.ChangedAt()
	if !ok {
		return fmt.Errorf("alarm %s: unreadable StateChangeTime %q", n.AlarmName, n.StateChangeTime)
	}
	if at, ok = n.AppliedAt(r.Now()); !ok {
		log.WarnContext(ctx, "StateChangeTime is in the future: counted as now")
	}
	var outcome Outcome
	ch, err := r.update(ctx, func(st *store.ModeState, from mode.Mode) (string, string, bool) {
		outcome = applyAlarm(st, n.AlarmName, m, n.NewStateValue, at.UnixMilli())
		return "alarm:" + n.AlarmName, alarmReason(n, from, Effective(*st)), outcome == Applied
	})
	if err != nil {
		return err
	}
	log.InfoContext(ctx, "alarm notification "+string(outcome), "outcome", string(outcome), "holds", string(m),
		"mode", string(ch.To), "previousMode", string(ch.From), "holding", strings.Join(Holding(ch.State), ", "), "reason", ch.State.Reason)
	if outcome == Applied && ch.From != ch.To {
		r.notify(ctx, ch)
	}
	return nil
}

// Change is one write of the mode item.
type Change struct {
	From, To mode.Mode
	// State is the item as written, or as read where nothing was written.
	State   store.ModeState
	Written bool
}

// update reads the mode item, lets change edit its holds, recomputes the mode in
// force and writes the item on condition that no one else wrote it meanwhile,
// reading again on a conflict. change answers who made it, why, and whether it
// changed anything; with false, nothing is written.
func (r *Responder) update(ctx context.Context, change func(st *store.ModeState, from mode.Mode) (by, reason string, changed bool)) (Change, error) {
	for range maxAttempts {
		now := r.Now()
		st, err := r.Store.GetMode(ctx, now)
		switch {
		case errors.Is(err, store.ErrNotFound):
			st = store.ModeState{Mode: string(mode.Normal)}
		case err != nil:
			return Change{}, fmt.Errorf("read mode: %w", err)
		}
		from := parseOrElevated(st.Mode)
		prev := st.Version
		next := st
		next.Alarms = make(map[string]store.AlarmHold, len(st.Alarms)+1)
		for k, v := range st.Alarms {
			next.Alarms[k] = v
		}
		by, reason, changed := change(&next, from)
		if !changed {
			return Change{From: from, To: from, State: st}, nil
		}
		to := Effective(next)
		next.Mode, next.Reason, next.UpdatedBy = string(to), reason, by
		next.UpdatedAt, next.Version = now.Unix(), prev+1
		err = r.Store.PutMode(ctx, next, prev)
		if errors.Is(err, store.ErrModeConflict) {
			r.Log.InfoContext(ctx, "mode item changed concurrently: reading it again", "version", prev)
			continue
		}
		if err != nil {
			return Change{}, err
		}
		if from != to {
			r.Metrics.Count(metrics.ModeChanged, 1, "Mode", string(to))
		}
		return Change{From: from, To: to, State: next, Written: true}, nil
	}
	return Change{}, fmt.Errorf("write mode: %d concurrent changes in a row", maxAttempts)
}

// notify tells operators of a change of mode. A failure is logged, not returned:
// the mode is what protects the service, and it is already written.
func (r *Responder) notify(ctx context.Context, ch Change) {
	if r.Sender == nil || r.Topic == "" {
		return
	}
	subject := fmt.Sprintf("Check-in registry: protection mode %s (was %s)", ch.To, ch.From)
	var b strings.Builder
	fmt.Fprintf(&b, "The check-in registry's protection mode is now %s; it was %s.\n\n", ch.To, ch.From)
	fmt.Fprintf(&b, "Why: %s\nChanged by: %s at %s\n", ch.State.Reason, ch.State.UpdatedBy, time.Unix(ch.State.UpdatedAt, 0).UTC().Format(time.RFC3339))
	holding := Holding(ch.State)
	if len(holding) == 0 {
		holding = []string{"none"}
	}
	manual := ch.State.Manual
	if manual == "" {
		manual = "none"
	}
	fmt.Fprintf(&b, "Alarms in ALARM: %s\nOperator mode: %s\n\n", strings.Join(holding, ", "), manual)
	b.WriteString(modeHelp[ch.To])
	b.WriteString("\nTo set or clear a mode by hand: make mode MODE=elevated|lockdown|clear REASON=\"...\" (see the README, Operations).\n")
	err := r.Sender.Send(ctx, notify.Message{Channel: notify.Topic, To: r.Topic, Subject: subject, Body: b.String()})
	if err != nil {
		r.Log.ErrorContext(ctx, "tell operators of the mode change", "err", err, "mode", string(ch.To))
	}
}

var modeHelp = map[mode.Mode]string{
	mode.Normal:   "In normal mode only clients past the soft threshold must solve a proof-of-work challenge.\n",
	mode.Elevated: "In elevated mode every registration and resend must carry a solved proof-of-work challenge.\n",
	mode.Lockdown: "In lockdown mode codes by SMS are paused (503) and every e-mail registration and resend must carry a solved proof-of-work challenge.\n",
}
