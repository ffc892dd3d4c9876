package inbound_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

func (a *api) signIn(body map[string]any, ip string) events.APIGatewayProxyResponse {
	a.hs.t.Helper()
	return a.call(a.reg, "POST", "/v1/sessions", nil, body, ip)
}

func (a *api) verifySession(id string, body any) events.APIGatewayProxyResponse {
	a.hs.t.Helper()
	return a.call(a.ver, "POST", "/v1/sessions/{sessionId}/verify", map[string]string{"sessionId": id}, body, "192.0.2.50")
}

// anonymous is a 202 with what differs by request and by contact (the id, the
// masked destination and the random texts) blanked out, and the expiry made
// relative to now.
func anonymous(t *testing.T, body map[string]any, now time.Time) map[string]any {
	t.Helper()
	out := map[string]any{}
	for k, v := range body {
		out[k] = v
	}
	at, err := time.Parse(time.RFC3339, body["expiresAt"].(string))
	if err != nil {
		t.Fatal(err)
	}
	out["expiresAt"], out["sessionId"], out["destination"] = at.Sub(now), len(body["sessionId"].(string)), "…"
	var offers []any
	for _, o := range body["inbound"].([]any) {
		m := map[string]any{}
		for k, v := range o.(map[string]any) {
			m[k] = v
		}
		m["text"] = strings.Fields(m["text"].(string))[0]
		if m["link"] != nil {
			m["link"] = strings.Split(m["link"].(string), "?")[0]
		}
		offers = append(offers, m)
	}
	out["inbound"] = offers
	return out
}

// TestInboundSignIn: a sign-in proven by a message from the contact. An owner and
// a contact that owns nothing get the same 202 after the same DynamoDB calls, and
// neither is sent anything; the owner's message signs it in with its venue, and a
// stranger who proves its own number gets a token for no venues. A message from
// another number proves nothing.
func TestInboundSignIn(t *testing.T) {
	hs := newHarness(t)
	a := newAPI(hs)
	const stranger, strangerWA = "+60198765432", "60198765432"
	started := status(t, a.register(map[string]any{"phone": owner, "proof": "inbound"}, "198.51.100.40"), 202, "")
	hs.deliver(whatsApp(ownerWA, offer(t, started, "whatsapp")["text"].(string), "wamid.reg"))
	venue := status(t, a.verify(started["registrationId"].(string), map[string]any{}), 200, "")
	hs.clock.Advance(24 * time.Hour)

	start := func(phone, ip string) (body, shape map[string]any, calls map[string]int) {
		t.Helper()
		hs.clock.Advance(time.Minute) // past the mode cache, for both alike
		a.db.Reset()
		body = status(t, a.signIn(map[string]any{"phone": phone, "proof": "inbound"}, ip), 202, "")
		total, by := a.db.Calls()
		by["total"] = total
		return body, anonymous(t, body, hs.clock.Now()), by
	}
	ownerStart, o, ownerCalls := start(owner, "198.51.100.41")
	strangerStart, s, strangerCalls := start(stranger, "198.51.100.42")
	if !reflect.DeepEqual(o, s) {
		t.Fatalf("answers differ:\n owner    %v\n stranger %v", o, s)
	}
	if !reflect.DeepEqual(ownerCalls, strangerCalls) || ownerCalls["BatchGetItem"] != 1 || ownerCalls["TransactWriteItems"] != 1 || ownerCalls["total"] != 3 {
		t.Fatalf("DynamoDB calls: owner %v, stranger %v; want the mode, one BatchGetItem and one TransactWriteItems each", ownerCalls, strangerCalls)
	}
	if _, ok := ownerStart["resendAfter"]; ok {
		t.Errorf("an inbound sign-in has nothing to resend: %v", ownerStart)
	}
	text := offer(t, ownerStart, "whatsapp")["text"].(string)
	if !strings.HasPrefix(text, "MASUK ") || offer(t, ownerStart, "sms")["text"] != text {
		t.Fatalf("the texts to send %v", ownerStart["inbound"])
	}
	ownerID, strangerID := ownerStart["sessionId"].(string), strangerStart["sessionId"].(string)

	status(t, a.verifySession(ownerID, map[string]any{}), 409, "not_received")
	// The owner's text from the stranger's number proves nothing.
	hs.deliver(whatsApp(strangerWA, text, "wamid.spoof"))
	status(t, a.verifySession(ownerID, map[string]any{}), 409, "not_received")
	// Neither id opens the other kind.
	status(t, a.verify(ownerID, map[string]any{}), 404, "not_found")
	status(t, a.verifySession(started["registrationId"].(string), map[string]any{}), 404, "not_found")
	// A code is no proof of an inbound sign-in, nor an empty body of a code's.
	status(t, a.verifySession(ownerID, map[string]any{"code": "123456"}), 422, "invalid_code")

	hs.deliver(sms(owner, strings.ToLower(text), "sms-owner"))
	a.db.Reset()
	signedIn := status(t, a.verifySession(ownerID, map[string]any{}), 200, "")
	venues, _ := signedIn["venues"].([]any)
	if len(venues) != 1 || venues[0].(map[string]any)["venueId"] != venue["venueId"] || signedIn["accessToken"] == nil {
		t.Fatalf("signed in: %v, want a token and venue %v", signedIn, venue["venueId"])
	}
	if calls, by := a.db.Calls(); calls != 5 {
		t.Errorf("a proven sign-in took %d calls %v, want 5: the read, the transaction, the account, its venues, the renewal", calls, by)
	}
	status(t, a.verifySession(ownerID, map[string]any{}), 404, "not_found")

	// A stranger proving its own number gets a token for nothing.
	hs.deliver(whatsApp(strangerWA, offer(t, strangerStart, "whatsapp")["text"].(string), "wamid.stranger"))
	empty := status(t, a.verifySession(strangerID, map[string]any{}), 200, "")
	if v, ok := empty["venues"].([]any); !ok || len(v) != 0 || empty["accessToken"] == nil {
		t.Fatalf("a proven contact without venues: %v, want a token and venues []", empty)
	}

	// Unproven in time, a sign-in expires.
	late := status(t, a.signIn(map[string]any{"phone": owner, "proof": "inbound"}, "198.51.100.43"), 202, "")
	hs.clock.Advance(11 * time.Minute)
	hs.deliver(whatsApp(ownerWA, offer(t, late, "whatsapp")["text"].(string), "wamid.late"))
	status(t, a.verifySession(late["sessionId"].(string), map[string]any{}), 410, "code_expired")

	if n := a.outbox.Len(); n != 0 {
		t.Errorf("%d messages sent: inbound sign-in sends nothing", n)
	}
}

// TestSignInRefusalOffersInbound: a sign-in code refused by the destination's
// limits says that proof by message is open, and proof by message then works.
func TestSignInRefusalOffersInbound(t *testing.T) {
	hs := newHarness(t)
	a := newAPI(hs)
	for range 3 {
		status(t, a.signIn(map[string]any{"phone": owner}, "203.0.113.7"), 202, "")
		hs.clock.Advance(61 * time.Second)
	}
	refused := status(t, a.signIn(map[string]any{"phone": owner}, "198.51.100.9"), 429, "rate_limited")
	if refused["error"].(map[string]any)["inboundAvailable"] != true {
		t.Fatalf("the refusal does not offer inbound proof: %v", refused)
	}
	status(t, a.signIn(map[string]any{"phone": owner, "proof": "inbound"}, "198.51.100.9"), 202, "")
	resp := status(t, a.signIn(map[string]any{"phone": owner, "proof": "pigeon"}, "198.51.100.9"), 400, "invalid_request")
	if resp["error"].(map[string]any)["fields"].(map[string]any)["proof"] == nil {
		t.Errorf("fields do not name proof: %v", resp)
	}
}

// TestInboundSignInByEmail: an e-mail sign-in is proven only by an e-mail whose
// DKIM and DMARC verdicts pass; in lockdown a phone's sign-in code is paused,
// and the refusal offers proof by message.
func TestInboundSignInByEmail(t *testing.T) {
	hs := newHarness(t)
	a := newAPI(hs)
	started := status(t, a.signIn(map[string]any{"email": "siti@example.com", "proof": "inbound"}, "198.51.100.50"), 202, "")
	text := offer(t, started, "email")["text"].(string)
	id := started["sessionId"].(string)
	hs.deliver(email("siti@example.com", text, "m-spoof", verdicts{"PASS", "FAIL"}))
	status(t, a.verifySession(id, map[string]any{}), 409, "not_received")
	hs.deliver(email("Siti <SITI@example.com>", text, "m-ok", pass))
	status(t, a.verifySession(id, map[string]any{}), 200, "")

	hs.stack.SetMode(t, "lockdown", hs.clock.Now())
	hs.clock.Advance(time.Minute) // past the mode cache
	refused := status(t, a.signIn(map[string]any{"phone": owner}, "198.51.100.51"), 503, "temporarily_unavailable")
	if refused["error"].(map[string]any)["inboundAvailable"] != true {
		t.Fatalf("the lockdown refusal does not offer inbound proof: %v", refused)
	}
	if n := a.outbox.Len(); n != 0 {
		t.Errorf("%d messages sent", n)
	}
}
