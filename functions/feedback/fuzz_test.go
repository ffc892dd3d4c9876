package feedback

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/shared/contact"
)

// FuzzEvent: no SES notification, however made, panics the parser or the address
// reader; only a permanent bounce or a complaint other than "not-spam" asks for a
// suppression, and then of exactly the recipients it names, in order.
func FuzzEvent(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join(moto.Root(), "events", "feedback.json"))
	if err != nil {
		f.Fatal(err)
	}
	var ev events.SNSEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		f.Fatal(err)
	}
	f.Add(ev.Records[0].SNS.Message)
	f.Add(`{"notificationType":"Complaint","complaint":{"complaintFeedbackType":"abuse","complainedRecipients":[{"emailAddress":"Ali <ali@example.com>"}]}}`)
	f.Add(`{"eventType":"Complaint","complaint":{"complaintFeedbackType":"not-spam","complainedRecipients":[{"emailAddress":"ali@example.com"}]}}`)
	f.Add(`{"eventType":"Bounce","bounce":{"bounceType":"Transient","bouncedRecipients":[{"emailAddress":"ali@example.com"}]}}`)
	f.Fuzz(func(t *testing.T, message string) {
		var e Event
		if json.Unmarshal([]byte(message), &e) != nil {
			return
		}
		reason, addresses := e.Suppressions()
		var named []string
		switch reason {
		case "":
			if len(addresses) > 0 {
				t.Fatalf("no reason, yet %d addresses", len(addresses))
			}
		case "bounce":
			if e.Type() != "Bounce" || e.Bounce.BounceType != "Permanent" {
				t.Fatalf("a %s %s suppresses", e.Type(), e.Bounce.BounceType)
			}
			for _, r := range e.Bounce.BouncedRecipients {
				named = append(named, r.EmailAddress)
			}
		case "complaint":
			if e.Type() != "Complaint" || e.Complaint.ComplaintFeedbackType == "not-spam" {
				t.Fatalf("a %s %q suppresses", e.Type(), e.Complaint.ComplaintFeedbackType)
			}
			for _, r := range e.Complaint.ComplainedRecipients {
				named = append(named, r.EmailAddress)
			}
		default:
			t.Fatalf("reason %q", reason)
		}
		if reason != "" && !slices.Equal(addresses, named) {
			t.Fatalf("suppresses %q, the event names %q", addresses, named)
		}
		for _, a := range addresses {
			if d, err := destination(a); err == nil && (d.Channel != contact.Email || d.Key == "") {
				t.Fatalf("destination(%q) = %+v", a, d)
			}
		}
	})
}
