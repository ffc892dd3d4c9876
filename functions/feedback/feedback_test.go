package feedback_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/checkin-registry/registry/functions/feedback"
	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/secret"
	"github.com/checkin-registry/registry/shared/store"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

var now = time.Date(2026, 11, 24, 3, 15, 0, 0, time.UTC)

type fixture struct {
	stack  *mototest.TestStack
	store  *store.Store
	keys   secret.Keys
	invoke lambda.Handler
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	stack := mototest.NewTestStack(t, nil)
	rt := stack.Runtime("FeedbackFunction")
	rt.Now = func() time.Time { return now }
	h, err := feedback.Wire(context.Background(), stack.Config("FeedbackFunction", nil), stack.AWS, rt)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{stack: stack, store: stack.Store(), keys: stack.Keys(t), invoke: lambda.NewHandler(h.Handle)}
}

// suppression reads the suppression register would find for addr: the hash is
// computed here the way register computes it, not the way feedback does.
func (f *fixture) suppression(t *testing.T, addr string) (store.Suppression, bool) {
	t.Helper()
	dest, err := contact.EmailPolicy{}.Email(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	hash := identity.New(f.keys).Address(dest.Address)
	items, err := f.store.GetMany(context.Background(), []string{store.SuppressionKey(hash)}, now)
	if err != nil {
		t.Fatal(err)
	}
	var s store.Suppression
	ok, err := items.Decode(store.SuppressionKey(hash), &s)
	if err != nil {
		t.Fatal(err)
	}
	return s, ok
}

func (f *fixture) send(t *testing.T, messages ...string) {
	t.Helper()
	var ev events.SNSEvent
	for i, m := range messages {
		ev.Records = append(ev.Records, events.SNSEventRecord{EventSource: "aws:sns", SNS: events.SNSEntity{MessageID: string(rune('a' + i)), Message: m}})
	}
	b, _ := json.Marshal(ev)
	if _, err := f.invoke.Invoke(context.Background(), b); err != nil {
		t.Fatalf("invoke: %v", err)
	}
}

// sesEvent is an SES configuration-set event (or, with field "notificationType",
// an identity notification) for one recipient.
func sesEvent(field, typ, addr string, detail map[string]any) string {
	recipients := "bouncedRecipients"
	key := "bounce"
	if typ == "Complaint" {
		recipients, key = "complainedRecipients", "complaint"
	}
	if detail == nil {
		detail = map[string]any{}
	}
	detail[recipients] = []map[string]string{{"emailAddress": addr}}
	b, _ := json.Marshal(map[string]any{field: typ, key: detail, "mail": map[string]any{"destination": []string{addr}}})
	return string(b)
}

func TestSampleEvent(t *testing.T) {
	f := newFixture(t)
	b, err := os.ReadFile(filepath.Join(moto.Root(), "events", "feedback.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.invoke.Invoke(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	// The sample bounces Nadia.Rahman+shop@Example.com: that address is
	// suppressed, whatever its case, for 30 days; the mailbox it folds into is not.
	for _, addr := range []string{"Nadia.Rahman+shop@Example.com", "nadia.rahman+shop@example.com"} {
		s, ok := f.suppression(t, addr)
		if !ok || s.Reason != "bounce" || s.CreatedAt != now.Unix() || s.TTL != now.Add(30*24*time.Hour).Unix() {
			t.Errorf("%s: suppressed=%v %+v, want a bounce at %d for 30 days", addr, ok, s, now.Unix())
		}
	}
	if _, ok := f.suppression(t, "nadia.rahman@example.com"); ok {
		t.Error("the bounce of one address suppressed the mailbox it folds into")
	}
	logs := f.stack.Logs.String()
	if strings.Contains(strings.ToLower(logs), "nadia.rahman") {
		t.Errorf("logs hold the address in full:\n%s", logs)
	}
	if !strings.Contains(f.stack.Metrics.String(), `"SuppressionAdded":1`) {
		t.Errorf("no SuppressionAdded metric:\n%s", f.stack.Metrics.String())
	}
}

func TestEvents(t *testing.T) {
	tests := []struct {
		name       string
		message    string
		addr       string
		wantReason string // "" for no suppression
	}{
		{"permanent bounce", sesEvent("eventType", "Bounce", "gone@example.com", map[string]any{"bounceType": "Permanent", "bounceSubType": "NoEmail"}), "gone@example.com", "bounce"},
		{"transient bounce is ignored", sesEvent("eventType", "Bounce", "full@example.com", map[string]any{"bounceType": "Transient", "bounceSubType": "MailboxFull"}), "full@example.com", ""},
		{"undetermined bounce is ignored", sesEvent("eventType", "Bounce", "odd@example.com", map[string]any{"bounceType": "Undetermined"}), "odd@example.com", ""},
		{"complaint", sesEvent("eventType", "Complaint", "angry@example.com", map[string]any{"complaintFeedbackType": "abuse"}), "angry@example.com", "complaint"},
		{"complaint without a feedback type", sesEvent("eventType", "Complaint", "quiet@example.com", nil), "quiet@example.com", "complaint"},
		{"not-spam report is ignored", sesEvent("eventType", "Complaint", "fine@example.com", map[string]any{"complaintFeedbackType": "not-spam"}), "fine@example.com", ""},
		{"identity notification bounce", sesEvent("notificationType", "Bounce", "old@example.com", map[string]any{"bounceType": "Permanent"}), "old@example.com", "bounce"},
		{"identity notification complaint", sesEvent("notificationType", "Complaint", "spam@example.com", map[string]any{"complaintFeedbackType": "abuse"}), "spam@example.com", "complaint"},
		{"delivery event is ignored", `{"eventType":"Delivery","delivery":{"recipients":["ok@example.com"]},"mail":{}}`, "ok@example.com", ""},
		{"display name is dropped", sesEvent("eventType", "Bounce", `"Ali" <ali@example.com>`, map[string]any{"bounceType": "Permanent"}), "ali@example.com", "bounce"},
	}
	f := newFixture(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.send(t, tt.message)
			s, ok := f.suppression(t, tt.addr)
			if ok != (tt.wantReason != "") || s.Reason != tt.wantReason {
				t.Errorf("suppressed=%v reason=%q, want %v %q", ok, s.Reason, tt.wantReason != "", tt.wantReason)
			}
		})
	}
}

func TestIdempotentAndTolerant(t *testing.T) {
	f := newFixture(t)
	bounce := sesEvent("eventType", "Bounce", "twice@example.com", map[string]any{"bounceType": "Permanent"})
	complaint := sesEvent("eventType", "Complaint", "twice@example.com", map[string]any{"complaintFeedbackType": "abuse"})
	// A duplicate, garbage and an unreadable address in one delivery: none of
	// them is an error, and the first bounce stands.
	f.send(t, bounce, bounce, "not json", sesEvent("eventType", "Bounce", "no-at-sign", map[string]any{"bounceType": "Permanent"}))
	s, ok := f.suppression(t, "twice@example.com")
	if !ok || s.Reason != "bounce" || s.TTL == 0 {
		t.Errorf("suppressed=%v %+v, want the first reason, bounce, with an end", ok, s)
	}
	// A complaint never ends, so it replaces a bounce that would.
	f.send(t, complaint, bounce)
	if s, ok := f.suppression(t, "twice@example.com"); !ok || s.Reason != "complaint" || s.TTL != 0 {
		t.Errorf("suppressed=%v %+v, want the complaint, for good", ok, s)
	}
}
