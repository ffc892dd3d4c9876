package register_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/checkin-registry/registry/functions/feedback"
	"github.com/checkin-registry/registry/shared/apitest"
)

// bounce hands the feedback function, over the harness's table and clock, SES's
// permanent bounce of addr.
func (hs *harness) bounce(addr string) {
	hs.t.Helper()
	rt := hs.stack.Runtime("FeedbackFunction")
	rt.Now = hs.clock.Now
	h, err := feedback.Wire(context.Background(), hs.stack.Config("FeedbackFunction", nil), hs.stack.AWS, rt)
	if err != nil {
		hs.t.Fatal(err)
	}
	msg, _ := json.Marshal(map[string]any{"eventType": "Bounce", "mail": map[string]any{"destination": []string{addr}},
		"bounce": map[string]any{"bounceType": "Permanent", "bouncedRecipients": []map[string]string{{"emailAddress": addr}}}})
	ev, _ := json.Marshal(events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns", SNS: events.SNSEntity{MessageID: "m", Message: string(msg)}}}})
	if _, err := lambda.NewHandler(h.Handle).Invoke(context.Background(), ev); err != nil {
		hs.t.Fatal(err)
	}
}

// optOut follows the opt-out link in the last message to addr.
func (hs *harness) optOut(addr string) {
	hs.t.Helper()
	msgs := hs.outbox.To(addr)
	if len(msgs) == 0 {
		hs.t.Fatalf("no message to %s", addr)
	}
	body := msgs[len(msgs)-1].Body
	i := strings.Index(body, "token=")
	tok, _ := url.QueryUnescape(strings.Fields(body[i+len("token="):])[0])
	wantStatus(hs.t.(*testing.T), hs.call(hs.h, apitest.Request("POST", "/v1/optout", nil, map[string]any{"token": tok}, "198.51.100.8")), 200, "")
}

// Whoever registers owner+x@ and lets it bounce must not bar owner@ from codes.
func TestBounceSuppressesOnlyTheAddressReported(t *testing.T) {
	hs := newHarness(t, nil)
	wantStatus(t, hs.register("198.51.100.1", registration("", "owner+x@shop.my")), 202, "")
	hs.bounce("Owner+X@shop.my")
	hs.clock.Advance(2 * time.Minute)
	wantStatus(t, hs.register("198.51.100.2", registration("", "owner+x@shop.my")), 202, "")
	if n := len(hs.outbox.To("owner+x@shop.my")); n != 1 {
		t.Fatalf("%d messages to the bounced address, want only the first", n)
	}
	hs.clock.Advance(2 * time.Minute)
	wantStatus(t, hs.register("198.51.100.3", registration("", "owner@shop.my")), 202, "")
	if n := len(hs.outbox.To("owner@shop.my")); n != 1 {
		t.Fatalf("%d messages to owner@shop.my after another address bounced, want 1", n)
	}
	// A bounce ends: thirty days on, the address gets codes again.
	hs.clock.Advance(30*24*time.Hour + time.Minute)
	wantStatus(t, hs.register("198.51.100.4", registration("", "owner+x@shop.my")), 202, "")
	if n := len(hs.outbox.To("owner+x@shop.my")); n != 2 {
		t.Fatalf("%d messages to the address after its bounce expired, want 2", n)
	}
}

// An opt-out must not show: the same requests get the same answers, with the
// same waits, for an opted-out mailbox as for any other, count the same, and
// take as long (each send takes 300 ms here, on the harness's clock).
func TestOptedOutAndFreshGetTheSameAnswers(t *testing.T) {
	hs := newHarness(t, map[string]string{"POW_SOFT_THRESHOLD": "100"})
	hs.sendTime = 300 * time.Millisecond
	wantStatus(t, hs.register("198.51.100.1", registration("", "victim@example.com")), 202, "")
	hs.optOut("victim@example.com")
	hs.clock.Advance(25 * time.Hour)
	// script makes the same requests for addr, from network net, and lists the
	// answers: status, error code and Retry-After.
	script := func(addr string, net int) []string {
		var got []string
		var id string
		for i, step := range []struct {
			wait   time.Duration
			resend bool
		}{{0, false}, {time.Second, false}, {time.Second, false}, {time.Minute, true}, {2 * time.Minute, false}, {time.Minute, false}, {time.Hour, true}} {
			hs.clock.Advance(step.wait)
			began := hs.clock.Now()
			ip := fmt.Sprintf("198.51.%d.%d", net, i+1)
			var resp events.APIGatewayProxyResponse
			if step.resend {
				resp = hs.resend(id, ip, map[string]any{})
			} else if resp = hs.register(ip, registration("", addr)); resp.StatusCode == 202 {
				id = apitest.Decode(t, resp)["registrationId"].(string)
			}
			answer := fmt.Sprint(resp.StatusCode, " in ", hs.clock.Now().Sub(began))
			if resp.StatusCode != 202 {
				answer += " " + apitest.ErrorCode(t, resp) + " " + resp.Headers["Retry-After"]
			}
			got = append(got, answer)
		}
		return got
	}
	start := hs.clock.Now()
	opted := script("Victim+again@Example.com", 1)
	hs.clock.Advance(start.Add(48 * time.Hour).Sub(hs.clock.Now()))
	fresh := script("someone@example.com", 2)
	t.Logf("answers: %v", fresh)
	if strings.Join(opted, ", ") != strings.Join(fresh, ", ") {
		t.Fatalf("an opted-out mailbox is answered\n  %v\nand a fresh one\n  %v", opted, fresh)
	}
	if !strings.Contains(strings.Join(fresh, " "), "rate_limited") {
		t.Fatalf("the script never met a limit: %v", fresh)
	}
	if n := len(hs.outbox.To("Victim+again@example.com")); n != 0 {
		t.Fatalf("%d messages to an opted-out mailbox", n)
	}
}
