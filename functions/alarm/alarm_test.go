package alarm_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/checkin-registry/registry/functions/alarm"
	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/mode"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/store"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

// base is the time of the first transition in every table case.
var base = time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)

// recorder passes messages on to the function's real sender (SNS in the emulator)
// and keeps what it sent.
type recorder struct {
	next notify.Sender
	fail error

	mu  sync.Mutex
	got []notify.Message
}

func (r *recorder) Send(ctx context.Context, m notify.Message) error {
	if r.fail != nil {
		return r.fail
	}
	err := r.next.Send(ctx, m)
	if err == nil {
		r.mu.Lock()
		r.got = append(r.got, m)
		r.mu.Unlock()
	}
	return err
}

func (r *recorder) published() []notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Message(nil), r.got...)
}

type fixture struct {
	stack *mototest.TestStack
	env   *config.Env
	resp  *alarm.Responder
	pub   *recorder
	topic string
}

// newFixture is a responder against a fresh stack in the emulator, built as the
// Lambda builds it, with a fixed clock and a recording publisher.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	stack := mototest.NewTestStack(t, nil)
	env := stack.Config("AlarmFunction", nil)
	topic := env.String("ALARM_TOPIC_ARN", "")
	if !strings.HasPrefix(topic, "arn:aws:sns:") {
		t.Fatalf("ALARM_TOPIC_ARN=%q, want the emulator's AlarmTopic ARN", topic)
	}
	rt := stack.Runtime("AlarmFunction")
	rt.Now = func() time.Time { return base.Add(time.Hour) }
	r, err := alarm.Wire(context.Background(), env, stack.AWS, rt)
	if err != nil {
		t.Fatal(err)
	}
	pub := &recorder{next: r.Sender}
	r.Sender = pub
	return &fixture{stack: stack, env: env, resp: r, pub: pub, topic: topic}
}

func (f *fixture) mode(t *testing.T) store.ModeState {
	t.Helper()
	st, err := f.resp.Store.GetMode(context.Background(), f.resp.Now())
	if errors.Is(err, store.ErrNotFound) {
		return store.ModeState{Mode: string(mode.Normal)}
	}
	if err != nil {
		t.Fatalf("get mode: %v", err)
	}
	return st
}

// notification is a CloudWatch alarm notification as SNS delivers it.
func notification(name, state string, at time.Time) events.SNSEvent {
	old := alarm.StateOK
	if state == alarm.StateOK {
		old = alarm.StateAlarm
	}
	msg, _ := json.Marshal(map[string]any{
		"AlarmName": name, "NewStateValue": state, "OldStateValue": old,
		"NewStateReason":  "Threshold Crossed: 1 out of the last 3 datapoints was greater than or equal to the threshold.",
		"StateChangeTime": at.UTC().Format("2006-01-02T15:04:05.000-0700"),
		"Region":          "Asia Pacific (Singapore)", "AWSAccountId": "123456789012",
	})
	return events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns", SNS: events.SNSEntity{
		MessageID: name + "/" + state + "/" + at.Format(time.RFC3339Nano), Type: "Notification", Message: string(msg),
	}}}}
}

const (
	smsSpike   = "checkin-registry-sms-send-spike-elevated"
	emailSpike = "checkin-registry-email-send-spike-elevated"
	smsSurge   = "checkin-registry-sms-send-surge-lockdown"
	errorsOnly = "checkin-registry-register-errors"
)

// step is one delivery (or operator command) and the mode it must leave.
type step struct {
	alarm string
	state string
	at    time.Duration // after base
	// manual, if set, is an operator command instead: a mode, or "clear".
	manual string
	want   mode.Mode
}

func TestTransitions(t *testing.T) {
	m := time.Minute
	tests := []struct {
		name  string
		steps []step
	}{
		{"elevated alarm raises, its OK lowers", []step{
			{alarm: smsSpike, state: alarm.StateAlarm, at: 0, want: mode.Elevated},
			{alarm: smsSpike, state: alarm.StateOK, at: 15 * m, want: mode.Normal},
		}},
		{"lockdown alarm raises, its OK lowers", []step{
			{alarm: smsSurge, state: alarm.StateAlarm, at: 0, want: mode.Lockdown},
			{alarm: smsSurge, state: alarm.StateOK, at: 15 * m, want: mode.Normal},
		}},
		{"overlap: lockdown over elevated, then each OK lowers only to what the other holds", []step{
			{alarm: smsSpike, state: alarm.StateAlarm, at: 0, want: mode.Elevated},
			{alarm: smsSurge, state: alarm.StateAlarm, at: 2 * m, want: mode.Lockdown},
			{alarm: smsSurge, state: alarm.StateOK, at: 10 * m, want: mode.Elevated},
			{alarm: smsSpike, state: alarm.StateOK, at: 20 * m, want: mode.Normal},
		}},
		{"overlap: the elevated alarm's OK leaves the lockdown alarm's hold", []step{
			{alarm: smsSpike, state: alarm.StateAlarm, at: 0, want: mode.Elevated},
			{alarm: smsSurge, state: alarm.StateAlarm, at: 2 * m, want: mode.Lockdown},
			{alarm: smsSpike, state: alarm.StateOK, at: 10 * m, want: mode.Lockdown},
			{alarm: smsSurge, state: alarm.StateOK, at: 20 * m, want: mode.Normal},
		}},
		{"overlap: two elevated alarms, the first OK keeps elevated", []step{
			{alarm: smsSpike, state: alarm.StateAlarm, at: 0, want: mode.Elevated},
			{alarm: emailSpike, state: alarm.StateAlarm, at: m, want: mode.Elevated},
			{alarm: smsSpike, state: alarm.StateOK, at: 5 * m, want: mode.Elevated},
			{alarm: emailSpike, state: alarm.StateOK, at: 6 * m, want: mode.Normal},
		}},
		{"duplicates change nothing", []step{
			{alarm: smsSpike, state: alarm.StateAlarm, at: 0, want: mode.Elevated},
			{alarm: smsSpike, state: alarm.StateAlarm, at: 0, want: mode.Elevated},
			{alarm: smsSpike, state: alarm.StateOK, at: 15 * m, want: mode.Normal},
			{alarm: smsSpike, state: alarm.StateOK, at: 15 * m, want: mode.Normal},
			{alarm: smsSpike, state: alarm.StateAlarm, at: 0, want: mode.Normal},
		}},
		{"an OK that arrives before its ALARM leaves the mode normal", []step{
			{alarm: smsSpike, state: alarm.StateOK, at: 15 * m, want: mode.Normal},
			{alarm: smsSpike, state: alarm.StateAlarm, at: 0, want: mode.Normal},
		}},
		{"an early OK of one alarm does not release another", []step{
			{alarm: smsSurge, state: alarm.StateAlarm, at: 0, want: mode.Lockdown},
			{alarm: smsSpike, state: alarm.StateOK, at: 9 * m, want: mode.Lockdown},
			{alarm: smsSpike, state: alarm.StateAlarm, at: 3 * m, want: mode.Lockdown},
			{alarm: smsSurge, state: alarm.StateOK, at: 10 * m, want: mode.Normal},
		}},
		{"flapping delivered out of order ends in the latest state", []step{
			{alarm: smsSpike, state: alarm.StateAlarm, at: 30 * m, want: mode.Elevated},
			{alarm: smsSpike, state: alarm.StateOK, at: 20 * m, want: mode.Elevated},
			{alarm: smsSpike, state: alarm.StateAlarm, at: 0, want: mode.Elevated},
			{alarm: smsSpike, state: alarm.StateOK, at: 45 * m, want: mode.Normal},
		}},
		{"an ALARM and an OK at the same instant: the ALARM stands", []step{
			{alarm: smsSpike, state: alarm.StateAlarm, at: 0, want: mode.Elevated},
			{alarm: smsSpike, state: alarm.StateOK, at: 0, want: mode.Elevated},
		}},
		{"INSUFFICIENT_DATA keeps the hold", []step{
			{alarm: smsSpike, state: alarm.StateAlarm, at: 0, want: mode.Elevated},
			{alarm: smsSpike, state: alarm.StateInsufficientData, at: 5 * m, want: mode.Elevated},
			{alarm: smsSpike, state: alarm.StateOK, at: 6 * m, want: mode.Normal},
		}},
		{"an alarm without a mode suffix changes nothing", []step{
			{alarm: errorsOnly, state: alarm.StateAlarm, at: 0, want: mode.Normal},
			{alarm: smsSpike, state: alarm.StateAlarm, at: m, want: mode.Elevated},
			{alarm: errorsOnly, state: alarm.StateOK, at: 2 * m, want: mode.Elevated},
		}},
		{"an operator mode is a floor the alarms' OKs do not go below", []step{
			{manual: "elevated", want: mode.Elevated},
			{alarm: smsSurge, state: alarm.StateAlarm, at: 0, want: mode.Lockdown},
			{alarm: smsSurge, state: alarm.StateOK, at: 10 * m, want: mode.Elevated},
			{manual: "clear", want: mode.Normal},
		}},
		{"clearing the operator mode never lowers below an alarm's hold", []step{
			{alarm: smsSpike, state: alarm.StateAlarm, at: 0, want: mode.Elevated},
			{manual: "lockdown", want: mode.Lockdown},
			{manual: "clear", want: mode.Elevated},
			{alarm: smsSpike, state: alarm.StateOK, at: 10 * m, want: mode.Normal},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			ctx := context.Background()
			for i, s := range tt.steps {
				var err error
				if s.manual != "" {
					m := mode.Mode(s.manual)
					if s.manual == "clear" {
						m = ""
					}
					_, err = f.resp.SetManual(ctx, m, "test step", "tester")
				} else {
					err = f.resp.Handle(ctx, notification(s.alarm, s.state, base.Add(s.at)))
				}
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				st := f.mode(t)
				if got := mode.Mode(st.Mode); got != s.want {
					t.Fatalf("step %d (%s %s at +%s): mode=%s, want %s (holds %v, manual %q)", i, s.alarm, s.state, s.at, got, s.want, st.Alarms, st.Manual)
				}
				if got := alarm.Effective(st); got != mode.Mode(st.Mode) {
					t.Fatalf("step %d: stored mode %s disagrees with its holds (%s)", i, st.Mode, got)
				}
			}
		})
	}
}

func TestRecordsAndNotifies(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.resp.Handle(ctx, notification(smsSpike, alarm.StateAlarm, base)); err != nil {
		t.Fatal(err)
	}
	st := f.mode(t)
	if st.Version != 1 || st.UpdatedBy != "alarm:"+smsSpike || st.UpdatedAt != base.Add(time.Hour).Unix() {
		t.Errorf("version=%d updatedBy=%q updatedAt=%d, want 1, alarm:%s, %d", st.Version, st.UpdatedBy, st.UpdatedAt, smsSpike, base.Add(time.Hour).Unix())
	}
	for _, want := range []string{smsSpike, "ALARM", "mode elevated, was normal", "Threshold Crossed"} {
		if !strings.Contains(st.Reason, want) {
			t.Errorf("reason=%q, want it to mention %q", st.Reason, want)
		}
	}
	hold := st.Alarms[smsSpike]
	if hold.State != alarm.StateAlarm || hold.Mode != "elevated" || hold.StateChangedAt != base.UnixMilli() {
		t.Errorf("hold=%+v, want ALARM elevated at %d", hold, base.UnixMilli())
	}
	pubs := f.pub.published()
	if len(pubs) != 1 {
		t.Fatalf("published %d notices, want 1", len(pubs))
	}
	if pubs[0].Channel != notify.Topic || pubs[0].To != f.topic || !strings.Contains(pubs[0].Subject, "elevated") ||
		!strings.Contains(pubs[0].Body, smsSpike) {
		t.Errorf("notice %s to %s: %q\n%s", pubs[0].Channel, pubs[0].To, pubs[0].Subject, pubs[0].Body)
	}
	if len(pubs[0].Subject) > 100 {
		t.Errorf("subject is %d characters, SNS takes at most 100", len(pubs[0].Subject))
	}
	// The notice comes back through the topic; the responder must ignore it.
	if err := f.resp.HandleMessage(ctx, pubs[0].Body); err != nil {
		t.Fatal(err)
	}
	// A duplicate and a second elevated alarm change no mode: no notice, no metric.
	if err := f.resp.Handle(ctx, notification(smsSpike, alarm.StateAlarm, base)); err != nil {
		t.Fatal(err)
	}
	if err := f.resp.Handle(ctx, notification(emailSpike, alarm.StateAlarm, base.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	if got := f.mode(t).Version; got != 2 {
		t.Errorf("version=%d after a duplicate and a new hold, want 2", got)
	}
	if n := len(f.pub.published()); n != 1 {
		t.Errorf("published %d notices, want 1: the mode did not change", n)
	}
	if n := strings.Count(f.stack.Metrics.String(), `"ModeChanged":1`); n != 1 {
		t.Errorf("ModeChanged counted %d times, want 1", n)
	}
	for _, want := range []string{`"outcome":"applied"`, `"outcome":"duplicate"`, `"alarm":"` + smsSpike + `"`} {
		if !strings.Contains(f.stack.Logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, f.stack.Logs.String())
		}
	}
}

func TestNoticeFailureKeepsTheMode(t *testing.T) {
	f := newFixture(t)
	f.pub.fail = errors.New("sns is down")
	if err := f.resp.Handle(context.Background(), notification(smsSurge, alarm.StateAlarm, base)); err != nil {
		t.Fatalf("handle: %v, want nil: the mode is written, a retry would change nothing", err)
	}
	if got := f.mode(t).Mode; got != "lockdown" {
		t.Errorf("mode=%s, want lockdown", got)
	}
	if !strings.Contains(f.stack.Logs.String(), "sns is down") {
		t.Errorf("the failed notice is not logged")
	}
}

func TestUnreadableTimeIsAnError(t *testing.T) {
	f := newFixture(t)
	ev := notification(smsSpike, alarm.StateAlarm, base)
	ev.Records[0].SNS.Message = strings.Replace(ev.Records[0].SNS.Message, base.Format("2006-01-02T15"), "yesterday", 1)
	if err := f.resp.Handle(context.Background(), ev); err == nil {
		t.Fatal("handle: nil error, want one so that Lambda retries and the failure shows")
	}
	if got := f.mode(t).Version; got != 0 {
		t.Errorf("version=%d, want nothing written", got)
	}
}

// racingStore lets another writer change the mode item between the first read and
// its write, as a concurrent invocation would.
type racingStore struct {
	alarm.ModeStore
	once  sync.Once
	other func()
}

func (s *racingStore) GetMode(ctx context.Context, now time.Time) (store.ModeState, error) {
	st, err := s.ModeStore.GetMode(ctx, now)
	s.once.Do(s.other)
	return st, err
}

func TestConcurrentWriteIsRetried(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other := *f.resp
	rs := &racingStore{ModeStore: f.resp.Store, other: func() {
		if err := other.Handle(ctx, notification(smsSurge, alarm.StateAlarm, base)); err != nil {
			t.Errorf("concurrent handle: %v", err)
		}
	}}
	f.resp.Store = rs
	if err := f.resp.Handle(ctx, notification(smsSpike, alarm.StateAlarm, base.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	st := f.mode(t)
	if st.Mode != "lockdown" || len(st.Alarms) != 2 || st.Version != 2 {
		t.Fatalf("mode=%s holds=%v version=%d, want lockdown with both holds at version 2", st.Mode, st.Alarms, st.Version)
	}
	if !strings.Contains(f.stack.Logs.String(), "changed concurrently") {
		t.Errorf("the conflict is not logged")
	}
	// Then the surge's OK leaves the spike's hold.
	if err := f.resp.Handle(ctx, notification(smsSurge, alarm.StateOK, base.Add(5*time.Minute))); err != nil {
		t.Fatal(err)
	}
	if got := f.mode(t).Mode; got != "elevated" {
		t.Errorf("mode=%s, want elevated", got)
	}
}

// TestSampleEvents runs events/alarm.json and events/alarm-ok.json through the same
// JSON decoding as the Lambda runtime.
func TestSampleEvents(t *testing.T) {
	f := newFixture(t)
	_, err := alarm.Wire(context.Background(), config.FromMap(nil), f.stack.AWS, f.stack.Runtime("AlarmFunction"))
	if err == nil || !strings.Contains(err.Error(), "ALARM_TOPIC_ARN") || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Fatalf("Wire without ALARM_TOPIC_ARN and TABLE_NAME: %v, want both named", err)
	}
	if strings.Contains(err.Error(), "SECRET_PARAMETER") {
		t.Fatalf("the responder asks for the master secret: %v", err)
	}
	invoke := lambda.NewHandler(f.resp.Handle)
	for _, c := range []struct {
		file string
		want mode.Mode
	}{{"alarm.json", mode.Elevated}, {"alarm-ok.json", mode.Normal}, {"alarm.json", mode.Normal}} {
		b, err := os.ReadFile(filepath.Join(moto.Root(), "events", c.file))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := invoke.Invoke(context.Background(), b); err != nil {
			t.Fatalf("invoke %s: %v", c.file, err)
		}
		if got := mode.Mode(f.mode(t).Mode); got != c.want {
			t.Fatalf("after %s: mode=%s, want %s", c.file, got, c.want)
		}
	}
}

func TestForgetAlarm(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.resp.Handle(ctx, notification(smsSurge, alarm.StateAlarm, base)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.resp.ForgetAlarm(ctx, "no-such-alarm-lockdown", "gone", "tester"); err == nil {
		t.Error("forgetting an unknown alarm: nil error")
	}
	ch, err := f.resp.ForgetAlarm(ctx, smsSurge, "alarm deleted while in ALARM", "tester")
	if err != nil {
		t.Fatal(err)
	}
	if ch.From != mode.Lockdown || ch.To != mode.Normal || f.mode(t).UpdatedBy != "operator:tester" {
		t.Errorf("change %s -> %s by %q, want lockdown -> normal by operator:tester", ch.From, ch.To, f.mode(t).UpdatedBy)
	}
	if _, err := f.resp.SetManual(ctx, mode.Elevated, "", "tester"); err == nil {
		t.Error("SetManual without a reason: nil error")
	}
	if _, err := f.resp.SetManual(ctx, "panic", "typo", "tester"); err == nil {
		t.Error("SetManual with an unknown mode: nil error")
	}
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
