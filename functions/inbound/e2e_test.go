package inbound_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/functions/register"
	"github.com/checkin-registry/registry/functions/verify"
	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/pow"
	"github.com/checkin-registry/registry/shared/pow/powtest"
	"github.com/checkin-registry/registry/shared/store"
)

// api is the register and verify functions over the harness's table, as their
// Lambdas would be, with DynamoDB calls counted.
type api struct {
	hs     *harness
	db     *apitest.CountingDB
	outbox *apitest.Outbox
	reg    *register.Handler
	ver    *verify.Handler
}

func newAPI(hs *harness) *api { return newAPIWith(hs, nil) }

// newAPIWith is newAPI with vars added to the register function's environment.
func newAPIWith(hs *harness, vars map[string]string) *api {
	hs.t.Helper()
	a := &api{hs: hs, outbox: &apitest.Outbox{}}
	a.db = &apitest.CountingDB{Client: dynamodb.NewFromConfig(hs.stack.AWS)}
	st, keys := store.New(a.db, hs.stack.Store().Table()), hs.stack.Keys(hs.t)
	all := map[string]string{"POW_SOFT_THRESHOLD": "100"}
	for k, v := range vars {
		all[k] = v
	}
	renv := hs.stack.Config("RegisterFunction", all)
	rt := hs.stack.Runtime("RegisterFunction")
	rt.Now, rt.Sleep, rt.WrapSender = hs.clock.Now, hs.clock.Sleep, a.outbox.Wrap
	rcfg, err := register.LoadConfig(renv)
	if err != nil {
		hs.t.Fatal(err)
	}
	a.reg = register.New(rcfg, st, register.Senders(renv, hs.stack.AWS, rt), keys, rt)
	venv := hs.stack.Config("VerifyFunction", nil)
	vrt := hs.stack.Runtime("VerifyFunction")
	vrt.Now = hs.clock.Now
	vcfg, err := verify.LoadConfig(venv)
	if err != nil {
		hs.t.Fatal(err)
	}
	a.ver = verify.New(vcfg, st, keys, vrt)
	return a
}

func (a *api) call(h apitest.Handler, method, resource string, params map[string]string, body any, ip string) events.APIGatewayProxyResponse {
	a.hs.t.Helper()
	return apitest.Call(a.hs.t, h, apitest.Request(method, resource, params, body, ip))
}

func (a *api) register(body map[string]any, ip string) events.APIGatewayProxyResponse {
	a.hs.t.Helper()
	full := map[string]any{"businessName": "Kedai Runcit Ali", "address": "12 Jalan Ampang, 50450 Kuala Lumpur"}
	for k, v := range body {
		full[k] = v
	}
	return a.call(a.reg, "POST", "/v1/registrations", nil, full, ip)
}

func (a *api) verify(id string, body any) events.APIGatewayProxyResponse {
	a.hs.t.Helper()
	return a.call(a.ver, "POST", "/v1/registrations/{registrationId}/verify", map[string]string{"registrationId": id}, body, "192.0.2.50")
}

func status(t *testing.T, resp events.APIGatewayProxyResponse, want int, code string) map[string]any {
	t.Helper()
	if resp.StatusCode != want || (code != "" && apitest.ErrorCode(t, resp) != code) {
		t.Fatalf("status=%d body=%s, want %d %s", resp.StatusCode, resp.Body, want, code)
	}
	return apitest.Decode(t, resp)
}

// offer is the 202's inbound entry for via.
func offer(t *testing.T, body map[string]any, via string) map[string]any {
	t.Helper()
	for _, o := range body["inbound"].([]any) {
		if m := o.(map[string]any); m["via"] == via {
			return m
		}
	}
	t.Fatalf("no %s in %v", via, body["inbound"])
	return nil
}

// TestLockout: three requests by an attacker use up a number's codes for the
// day, yet its owner proves it by WhatsApp and gets a venue; nothing is sent to
// the number after the attacker's codes.
func TestLockout(t *testing.T) {
	hs := newHarness(t)
	a := newAPI(hs)
	for range 3 {
		status(t, a.register(map[string]any{"phone": "012-345 6789"}, "203.0.113.7"), 202, "")
		hs.clock.Advance(61 * time.Second)
	}
	sentToOwner := len(a.outbox.To(owner))
	refused := status(t, a.register(map[string]any{"phone": owner}, "198.51.100.9"), 429, "rate_limited")
	if refused["error"].(map[string]any)["inboundAvailable"] != true {
		t.Fatalf("the refusal does not offer inbound proof: %v", refused)
	}
	a.db.Reset()
	started := status(t, a.register(map[string]any{"phone": owner, "proof": "inbound"}, "198.51.100.9"), 202, "")
	calls, by := a.db.Calls()
	t.Logf("DynamoDB calls per inbound registration: %d %v", calls, by)
	if calls != 2 || by["BatchGetItem"] != 1 || by["TransactWriteItems"] != 1 {
		t.Errorf("an inbound registration took %d calls %v, want one BatchGetItem and one TransactWriteItems", calls, by)
	}
	wa := offer(t, started, "whatsapp")
	text := wa["text"].(string)
	if wa["to"] != parameters["InboundWhatsAppNumber"] || wa["link"] != "https://wa.me/60380000000?text="+strings.ReplaceAll(url.QueryEscape(text), "+", "%20") {
		t.Errorf("WhatsApp offer %v", wa)
	}
	if sms := offer(t, started, "sms"); sms["text"] != text || sms["to"] != parameters["InboundSmsNumber"] {
		t.Errorf("SMS offer %v", sms)
	}
	if _, ok := started["resendAfter"]; ok {
		t.Errorf("an inbound registration has nothing to resend: %v", started)
	}
	id := started["registrationId"].(string)
	a.db.Reset()
	status(t, a.verify(id, map[string]any{}), 409, "not_received")
	if calls, _ := a.db.Calls(); calls != 1 {
		t.Errorf("a verify before the message took %d calls, want 1", calls)
	}
	hs.deliver(whatsApp(ownerWA, text, "wamid.owner"))
	a.db.Reset()
	venue := status(t, a.verify(id, map[string]any{}), 200, "")
	if venue["venueId"] == nil || venue["accessToken"] == nil {
		t.Fatalf("no venue: %v", venue)
	}
	if calls, _ := a.db.Calls(); calls != 2 {
		t.Errorf("a verify after the message took %d calls, want 2", calls)
	}
	status(t, a.verify(id, map[string]any{}), 410, "code_expired")
	if n := len(a.outbox.To(owner)); n != sentToOwner {
		t.Errorf("%d more messages went to the owner's number", n-sentToOwner)
	}
}

func TestInboundRegistration(t *testing.T) {
	hs := newHarness(t)
	a := newAPI(hs)
	t.Run("e-mail, proven by a passing e-mail", func(t *testing.T) {
		started := status(t, a.register(map[string]any{"email": "Nadia.Rahman+kedai@example.com", "proof": "inbound"}, "198.51.100.10"), 202, "")
		mail := offer(t, started, "email")
		id := started["registrationId"].(string)
		// From another spelling of the same mailbox, as outbound folds them.
		hs.deliver(email("Nadia <nadia.rahman@example.com>", mail["text"].(string), "m-ok", pass))
		status(t, a.verify(id, map[string]any{}), 200, "")
	})
	t.Run("e-mail, a spoofed one is refused", func(t *testing.T) {
		started := status(t, a.register(map[string]any{"email": "siti@example.com", "proof": "inbound"}, "198.51.100.11"), 202, "")
		text := offer(t, started, "email")["text"].(string)
		id := started["registrationId"].(string)
		hs.deliver(email("siti@example.com", text, "m-spoof", verdicts{"FAIL", "FAIL"}))
		status(t, a.verify(id, map[string]any{}), 409, "not_received")
		hs.clock.Advance(11 * time.Minute)
		status(t, a.verify(id, map[string]any{}), 410, "code_expired")
	})
	t.Run("a code is not the proof of an inbound registration", func(t *testing.T) {
		started := status(t, a.register(map[string]any{"phone": "+60191234567", "proof": "inbound"}, "198.51.100.12"), 202, "")
		id := started["registrationId"].(string)
		status(t, a.verify(id, map[string]any{"code": "123456"}), 422, "invalid_code")
		status(t, a.call(a.reg, "POST", "/v1/registrations/{registrationId}/resend", map[string]string{"registrationId": id}, map[string]any{}, "198.51.100.12"), 400, "invalid_request")
	})
	t.Run("a wrong proof is a clear 400", func(t *testing.T) {
		resp := status(t, a.register(map[string]any{"phone": "+60191234568", "proof": "carrier-pigeon"}, "198.51.100.13"), 400, "invalid_request")
		if resp["error"].(map[string]any)["fields"].(map[string]any)["proof"] == nil {
			t.Errorf("fields do not name proof: %v", resp)
		}
	})
	t.Run("a code registration is not verified without its code", func(t *testing.T) {
		started := status(t, a.register(map[string]any{"phone": "+60191234569"}, "198.51.100.14"), 202, "")
		status(t, a.verify(started["registrationId"].(string), map[string]any{}), 400, "invalid_request")
	})
	if len(a.outbox.Messages) != 1 {
		t.Errorf("%d messages sent, want only the code of the last subtest", len(a.outbox.Messages))
	}
}

// TestLockdown: in lockdown SMS codes are paused, and inbound proof is the way in
// for a phone.
func TestLockdown(t *testing.T) {
	hs := newHarness(t)
	a := newAPI(hs)
	hs.stack.SetMode(t, "lockdown", hs.clock.Now())
	refused := status(t, a.register(map[string]any{"phone": owner}, "198.51.100.20"), 503, "temporarily_unavailable")
	if refused["error"].(map[string]any)["inboundAvailable"] != true {
		t.Fatalf("the lockdown refusal does not offer inbound proof: %v", refused)
	}
	// Lockdown asks every request for proof of work; solved, the phone is in.
	status(t, a.register(map[string]any{"phone": owner, "proof": "inbound"}, "198.51.100.20"), 428, "challenge_required")
	started := status(t, a.register(map[string]any{"phone": owner, "proof": "inbound", "altcha": a.solved("198.51.100.20")}, "198.51.100.20"), 202, "")
	hs.deliver(sms(owner, offer(t, started, "sms")["text"].(string), "sms-1"))
	status(t, a.verify(started["registrationId"].(string), map[string]any{}), 200, "")
	if a.outbox.Len() != 0 {
		t.Errorf("%d messages sent in lockdown", a.outbox.Len())
	}
}

// TestStopStopsCodes: after STOP from a number no code goes to it (register answers
// as for any number, silently); after START codes go again.
func TestStopStopsCodes(t *testing.T) {
	hs := newHarness(t)
	a := newAPI(hs)
	hs.deliver(whatsApp(ownerWA, "berhenti", "wamid.stop"))
	status(t, a.register(map[string]any{"phone": owner}, "198.51.100.30"), 202, "")
	if n := len(a.outbox.To(owner)); n != 0 {
		t.Fatalf("%d messages went to a number that said STOP", n)
	}
	hs.deliver(sms(owner, "START", "sms-start"))
	hs.clock.Advance(61 * time.Second)
	status(t, a.register(map[string]any{"phone": owner}, "198.51.100.31"), 202, "")
	if n := len(a.outbox.To(owner)); n != 1 {
		t.Fatalf("%d messages after START, want the code", n)
	}
}

// solved is a solution to a challenge fetched from ip.
func (a *api) solved(ip string) string {
	a.hs.t.Helper()
	var c pow.Challenge
	if err := json.Unmarshal([]byte(a.call(a.reg, "GET", "/v1/challenge", nil, nil, ip).Body), &c); err != nil {
		a.hs.t.Fatal(err)
	}
	solved, err := powtest.Solve(c)
	if err != nil {
		a.hs.t.Fatal(err)
	}
	return solved
}

// TestProofByMessageBuysNoStanding: a network that proves its own numbers by
// text, which costs it nothing of ours, earns no standing: with the strangers'
// (open) share of SMS spent, its code requests to other numbers are refused as
// a stranger's are, while a network whose code was verified still gets codes.
func TestProofByMessageBuysNoStanding(t *testing.T) {
	hs := newHarness(t)
	a := newAPIWith(hs, map[string]string{"SMS_OPEN_BUDGET": "3"})
	for i := range 6 {
		own := fmt.Sprintf("+6019555%04d", i)
		started := status(t, a.register(map[string]any{"phone": own, "proof": "inbound"}, fmt.Sprintf("203.0.113.%d", 10+i)), 202, "")
		hs.deliver(sms(own, offer(t, started, "sms")["text"].(string), fmt.Sprint("own-", i)))
		status(t, a.verify(started["registrationId"].(string), map[string]any{}), 200, "")
	}
	// One honest code, verified, from another network.
	honest := status(t, a.register(map[string]any{"phone": "+60123400001"}, "198.51.100.20"), 202, "")
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(a.outbox.To("+60123400001")[0].Body)
	status(t, a.verify(honest["registrationId"].(string), map[string]any{"code": code}), 200, "")
	// Strangers, each from a network of its own and solving every challenge,
	// spend the rest of the open share.
	spent := false
	for i := range 5 {
		ip := fmt.Sprintf("192.0.%d.9", 10+i)
		if resp := a.register(map[string]any{"phone": fmt.Sprintf("+6012350%04d", i), "altcha": a.solved(ip)}, ip); resp.StatusCode == 503 {
			spent = true
			break
		}
	}
	if !spent {
		t.Fatal("five strangers did not spend an open share of 3")
	}
	// The text-proven network is a stranger still.
	ip := "203.0.113.40"
	resp := a.register(map[string]any{"phone": "+60123499999", "altcha": a.solved(ip)}, ip)
	if resp.StatusCode != 503 || len(a.outbox.To("+60123499999")) != 0 {
		t.Fatalf("a network proven only by its own texts was sent a stranger's code: %d %s", resp.StatusCode, resp.Body)
	}
	// The network with a verified code draws on the rest of the budget.
	status(t, a.register(map[string]any{"phone": "+60123488888"}, "198.51.100.21"), 202, "")
	if len(a.outbox.To("+60123488888")) != 1 {
		t.Fatal("a network with a verified code got no code once the open share was spent")
	}
}

// TestProofByMessageKeepsASharedAddressServed: behind one carrier-grade-NAT
// address, businesses whose codes go unverified alternate with businesses that
// prove themselves by text; the proofs grow the address's allowance as verified
// codes would, so the text route stays open to the twelfth of them.
func TestProofByMessageKeepsASharedAddressServed(t *testing.T) {
	hs := newHarness(t)
	a := newAPI(hs)
	const cgnat = "203.0.113.99"
	for i := range 12 {
		hs.clock.Advance(time.Minute)
		if resp := a.register(map[string]any{"phone": fmt.Sprintf("+6012360%04d", i)}, cgnat); resp.StatusCode != 202 {
			t.Fatalf("business %d's code: status=%d %s", i, resp.StatusCode, resp.Body)
		}
		own := fmt.Sprintf("+6019666%04d", i)
		resp := a.register(map[string]any{"phone": own, "proof": "inbound"}, cgnat)
		if resp.StatusCode != 202 {
			t.Fatalf("business %d's proof by text refused: status=%d %s", i, resp.StatusCode, resp.Body)
		}
		started := apitest.Decode(t, resp)
		hs.deliver(sms(own, offer(t, started, "sms")["text"].(string), fmt.Sprint("cgnat-", i)))
		status(t, a.verify(started["registrationId"].(string), map[string]any{}), 200, "")
	}
}
