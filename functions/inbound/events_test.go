package inbound_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/checkin-registry/registry/infra/moto"
)

// TestSampleEvents feeds each events/inbound-*.json, as its source publishes it
// to SNS, to the function through the Lambda runtime's decoding: each proves a
// registration pending with its text and sender.
func TestSampleEvents(t *testing.T) {
	for _, tt := range []struct {
		file, contact, via string
		// doc is where AWS documents the shape of the SNS message's body.
		doc string
	}{
		// An SES receipt rule's SNS action: a "Received" notification with the
		// receipt verdicts, the common headers and the raw message as content.
		{"inbound-email.json", ownerMail, "email", "https://docs.aws.amazon.com/ses/latest/dg/receiving-email-notifications-contents.html"},
		// AWS End User Messaging Social: the AWS header with the WhatsApp webhook
		// entry as a JSON string in whatsAppWebhookEntry.
		{"inbound-whatsapp.json", owner, "whatsapp", "https://docs.aws.amazon.com/social-messaging/latest/userguide/managing-event-destination-dlrs.html"},
		// AWS End User Messaging SMS two-way: originationNumber, destinationNumber,
		// messageKeyword, messageBody, inboundMessageId, previousPublishedMessageId.
		{"inbound-sms.json", owner, "sms", "https://docs.aws.amazon.com/sms-voice/latest/userguide/two-way-sms-payload.html"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(moto.Root(), "events", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			hs := newHarness(t)
			_, id := hs.pending(tt.contact, "DAFTAR K7QM3XHPA")
			if _, err := hs.invoke.Invoke(context.Background(), raw); err != nil {
				t.Fatalf("invoke: %v", err)
			}
			if ok, via := hs.proven(id); !ok || via != tt.via {
				t.Fatalf("proven=%v via %q, want via %s (shape per %s):\n%s", ok, via, tt.via, tt.doc, hs.stack.Logs.String())
			}
		})
	}
}
