package register_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/functions/register"
	"github.com/checkin-registry/registry/functions/verify"
	"github.com/checkin-registry/registry/infra/template"
	"github.com/checkin-registry/registry/shared/apitest"
)

// verifier is the verify function over the harness's table and clock.
func (hs *harness) verifier() *verify.Handler {
	hs.t.Helper()
	rt := hs.stack.Runtime("VerifyFunction")
	rt.Now = hs.clock.Now
	cfg, err := verify.LoadConfig(hs.stack.Config("VerifyFunction", nil))
	if err != nil {
		hs.t.Fatal(err)
	}
	return verify.New(cfg, hs.stack.Store(), hs.keys, rt)
}

func (hs *harness) signIn(ip string, body map[string]any) events.APIGatewayProxyResponse {
	hs.t.Helper()
	return hs.call(hs.h, apitest.Request("POST", "/v1/sessions", nil, body, ip))
}

// owns registers a venue for phone and verifies it, as its owner once did.
func (hs *harness) owns(ver *verify.Handler, phone string) {
	hs.t.Helper()
	resp := hs.register("192.0.2.200", registration(phone, ""))
	if resp.StatusCode != 202 {
		hs.t.Fatalf("register: status=%d body=%s, want 202", resp.StatusCode, resp.Body)
	}
	id := apitest.Decode(hs.t, resp)["registrationId"].(string)
	resp = apitest.Call(hs.t, ver, apitest.Request("POST", "/v1/registrations/{registrationId}/verify",
		map[string]string{"registrationId": id}, map[string]string{"code": hs.lastCode(phone)}, "192.0.2.200"))
	if resp.StatusCode != 200 {
		hs.t.Fatalf("verify: status=%d body=%s, want 200", resp.StatusCode, resp.Body)
	}
}

// pastModeCache moves the clock past the mode cache, so that the next request
// reads the mode as any other does, and on to a whole second, as the answers'
// times are: it answers the time it moved to.
func (hs *harness) pastModeCache() time.Time {
	now := hs.clock.Now()
	hs.clock.Advance(time.Minute + now.Truncate(time.Second).Add(time.Second).Sub(now))
	return hs.clock.Now()
}

// shape is a 202's fields with the values that differ by request (ids, the
// times, which move with the clock, and the random part of inbound texts)
// replaced by what they must be.
func shape(t *testing.T, resp events.APIGatewayProxyResponse, now time.Time) map[string]any {
	t.Helper()
	m := apitest.Decode(t, resp)
	for _, k := range []string{"expiresAt", "resendAfter"} {
		if _, ok := m[k]; !ok && k == "resendAfter" && m["inbound"] != nil {
			continue // nothing to resend
		}
		at, err := time.Parse(time.RFC3339, m[k].(string))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		m[k] = at.Sub(now)
	}
	if id, _ := m["sessionId"].(string); len(id) != 26 {
		t.Fatalf("sessionId %q", id)
	}
	m["sessionId"] = "…"
	offers, _ := m["inbound"].([]any)
	for _, o := range offers {
		o := o.(map[string]any)
		word, random, _ := strings.Cut(o["text"].(string), " ")
		if len(random) != 9 {
			t.Fatalf("inbound text %q", o["text"])
		}
		o["text"] = word + " …"
		if link, ok := o["link"].(string); ok {
			o["link"], _, _ = strings.Cut(link, "?")
		}
	}
	return m
}

// signInTrace is what one sign-in shows from outside and costs inside: its
// status, headers and shape, how long it took on the harness's clock, and its
// DynamoDB calls in order.
type signInTrace struct {
	status  int
	headers map[string]string
	shape   map[string]any
	took    time.Duration
	calls   []string
	sent    int
}

// traceSignIn signs in phone from ip, with the other fields of body.
func (hs *harness) traceSignIn(t *testing.T, phone, ip string, body ...map[string]any) signInTrace {
	t.Helper()
	began := hs.pastModeCache()
	var calls []string
	hs.calls = &calls
	defer func() { hs.calls = nil }()
	hs.db.Reset()
	sent := len(hs.outbox.Messages)
	in := map[string]any{"phone": phone}
	for _, b := range body {
		for k, v := range b {
			in[k] = v
		}
	}
	resp := hs.signIn(ip, in)
	n, _ := hs.db.Calls()
	calls = append(calls, fmt.Sprint("total ", n))
	tr := signInTrace{status: resp.StatusCode, took: hs.clock.Now().Sub(began), calls: calls, sent: len(hs.outbox.Messages) - sent, headers: map[string]string{}}
	for k, v := range resp.Headers {
		if k == "X-Request-Id" {
			v = "…"
		}
		tr.headers[k] = v
	}
	if resp.StatusCode == 202 {
		tr.shape = shape(t, resp, began)
		tr.shape["destination"] = "masked"
	} else {
		tr.shape = apitest.Decode(t, resp)
	}
	return tr
}

// TestSignInNeverRevealsAnOwner: a sign-in for a contact that owns a venue and
// one for a contact that owns nothing get the same answer, after the same
// DynamoDB calls of the same sizes; only the owner is sent a code.
func TestSignInNeverRevealsAnOwner(t *testing.T) {
	hs := newHarness(t, nil)
	ver := hs.verifier()
	const owner, stranger = "+60123000001", "+60123000091"
	hs.owns(ver, owner)
	hs.clock.Advance(2 * time.Minute)

	o, s := hs.traceSignIn(t, owner, "198.51.100.1"), hs.traceSignIn(t, stranger, "198.51.100.2")
	if o.status != 202 || s.status != 202 || !reflect.DeepEqual(o.shape, s.shape) {
		t.Fatalf("answers differ:\n owner    %d %v\n stranger %d %v", o.status, o.shape, s.status, s.shape)
	}
	if !slices.Equal(o.calls, s.calls) {
		t.Fatalf("DynamoDB calls differ:\n owner    %v\n stranger %v", o.calls, s.calls)
	}
	ownerSent, strangerSent := o.sent, s.sent
	if ownerSent != 1 || strangerSent != 0 || len(hs.outbox.To(stranger)) != 0 {
		t.Fatalf("sent %d to the owner and %d to the stranger, want 1 and 0", ownerSent, strangerSent)
	}

	// The same limits hold for both: a stranger's number is claimed against
	// like an owner's, so a fourth sign-in in a day is refused alike.
	for i := 0; i < 2; i++ {
		hs.clock.Advance(2 * time.Minute)
		wantStatus(t, hs.signIn(spread(10+i), map[string]any{"phone": stranger}), 202, "")
	}
	hs.clock.Advance(2 * time.Minute)
	wantStatus(t, hs.signIn(spread(20), map[string]any{"phone": stranger}), 429, "rate_limited")
	// The owner has had a registration code and one sign-in code: one more,
	// then the same refusal.
	wantStatus(t, hs.signIn(spread(21), map[string]any{"phone": owner}), 202, "")
	hs.clock.Advance(2 * time.Minute)
	wantStatus(t, hs.signIn(spread(22), map[string]any{"phone": owner}), 429, "rate_limited")
	if len(hs.outbox.To(stranger)) != 0 {
		t.Fatal("a stranger was sent a message")
	}
}

// TestSignInVerify: the owner's code opens every venue of the contact; a
// stranger's sign-in answers as a wrong code does, whatever is tried.
func TestSignInVerify(t *testing.T) {
	hs := newHarness(t, nil)
	ver := hs.verifier()
	const owner, stranger = "+60123000001", "+60123000091"
	hs.owns(ver, owner)
	hs.clock.Advance(2 * time.Minute)
	hs.owns(ver, owner)
	hs.clock.Advance(24 * time.Hour)

	verifySession := func(id, code string) events.APIGatewayProxyResponse {
		return apitest.Call(t, ver, apitest.Request("POST", "/v1/sessions/{sessionId}/verify",
			map[string]string{"sessionId": id}, map[string]string{"code": code}, "198.51.100.1"))
	}
	resp := hs.signIn("198.51.100.1", map[string]any{"phone": owner})
	ownerID := apitest.Decode(t, resp)["sessionId"].(string)
	code := hs.lastCode(owner)
	resp = hs.signIn("198.51.100.2", map[string]any{"phone": stranger})
	strangerID := apitest.Decode(t, resp)["sessionId"].(string)

	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	a, b := verifySession(ownerID, wrong), verifySession(strangerID, wrong)
	if a.StatusCode != 422 || a.Body != b.Body || a.StatusCode != b.StatusCode {
		t.Fatalf("a wrong code: owner %d %s, stranger %d %s; want the same 422", a.StatusCode, a.Body, b.StatusCode, b.Body)
	}
	if resp := verifySession(strangerID, code); resp.StatusCode != 422 {
		t.Fatalf("the owner's code on the stranger's sign-in: status=%d, want 422", resp.StatusCode)
	}
	// A sign-in id is no registration id, and the other way round.
	if resp := apitest.Call(t, ver, apitest.Request("POST", "/v1/registrations/{registrationId}/verify",
		map[string]string{"registrationId": ownerID}, map[string]string{"code": code}, "198.51.100.1")); resp.StatusCode != 404 {
		t.Fatalf("a sign-in verified as a registration: status=%d, want 404", resp.StatusCode)
	}
	if resp := hs.resend(ownerID, "198.51.100.1", map[string]any{}); resp.StatusCode != 404 {
		t.Fatalf("a sign-in resent as a registration: status=%d, want 404", resp.StatusCode)
	}

	resp = verifySession(ownerID, code)
	wantStatus(t, resp, 200, "")
	body := apitest.Decode(t, resp)
	venues, _ := body["venues"].([]any)
	tok, _ := body["accessToken"].(string)
	if len(venues) != 2 || tok == "" || body["tokenExpiresAt"] == nil {
		t.Fatalf("sign-in answer %v, want a token and both venues", body)
	}
	kept := venues[0].(map[string]any)["keptUntil"]
	if want := hs.clock.Now().Add(17520 * time.Hour).UTC().Format(time.RFC3339); kept != want {
		t.Fatalf("keptUntil %v, want %s: a sign-in renews the retention", kept, want)
	}
	// A used sign-in is gone: it held the contact.
	if resp := verifySession(ownerID, code); resp.StatusCode != 404 {
		t.Fatalf("the code again: status=%d, want 404", resp.StatusCode)
	}
}

// TestSignInTakesTheSameTime: whether the SES or SNS call is quick, slow past the
// padding, or fails, a sign-in for an owner and one for a contact that owns
// nothing end at the same instant of the injected clock (SIGNIN_PAD after they
// began, or where the send overran it, later, with a metric), with the same
// status, headers and shape, after the same DynamoDB calls.
func TestSignInTakesTheSameTime(t *testing.T) {
	hs := newHarness(t, nil)
	ver := hs.verifier()
	const owner, stranger = "+60123000001", "+60123000091"
	hs.owns(ver, owner)
	const pad = 1500 * time.Millisecond // the default

	for i, tt := range []struct {
		name     string
		sendTime time.Duration
		sendErr  error
		took     time.Duration // the owner's; the stranger's is always pad
		sent     int
	}{
		{name: "a quick send", sendTime: 300 * time.Millisecond, took: pad, sent: 1},
		{name: "a send that fails", sendTime: 200 * time.Millisecond, sendErr: errors.New("sns down"), took: pad},
		{name: "a send slower than the padding", sendTime: 2 * time.Second, took: 2 * time.Second, sent: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hs.sendTime, hs.sendErr = tt.sendTime, tt.sendErr
			defer func() { hs.sendTime, hs.sendErr = 0, nil }()
			hs.clock.Advance(24 * time.Hour) // past the destination's limits
			o := hs.traceSignIn(t, owner, spread(40+2*i))
			s := hs.traceSignIn(t, stranger, spread(41+2*i))
			if o.status != 202 || s.status != 202 {
				t.Fatalf("status=%d for the owner and %d for the stranger, want 202 both: %v %v", o.status, s.status, o.shape, s.shape)
			}
			if o.took != tt.took || s.took != pad {
				t.Errorf("took %v for the owner and %v for the stranger, want %v and %v", o.took, s.took, tt.took, pad)
			}
			if !reflect.DeepEqual(o.shape, s.shape) || !reflect.DeepEqual(o.headers, s.headers) {
				t.Errorf("answers differ:\n owner    %v %v\n stranger %v %v", o.headers, o.shape, s.headers, s.shape)
			}
			if !slices.Equal(o.calls, s.calls) || len(o.calls) == 0 {
				t.Errorf("DynamoDB calls differ:\n owner    %v\n stranger %v", o.calls, s.calls)
			}
			if o.sent != tt.sent || s.sent != 0 {
				t.Errorf("sent %d to the owner and %d to the stranger, want %d and 0", o.sent, s.sent, tt.sent)
			}
		})
	}
	if m := hs.stack.Metrics.String(); !strings.Contains(m, `"SignInPadOverrun":1`) || !strings.Contains(m, `"SendFailed":1`) {
		t.Errorf("want one SignInPadOverrun and one SendFailed metric:\n%s", m)
	}
}

// TestSignInPadFitsTheLambda: the padding, with time for the calls before it,
// fits well inside RegisterFunction's timeout in template.yaml, and a context
// whose deadline comes sooner cuts the wait short rather than letting Lambda
// answer 502 for an owner only.
func TestSignInPadFitsTheLambda(t *testing.T) {
	hs := newHarness(t, nil)
	cfg, err := register.LoadConfig(hs.stack.Config("RegisterFunction", nil))
	if err != nil {
		t.Fatal(err)
	}
	root := hs.stack.Template.Root
	timeout := template.Get(root, "Resources", "RegisterFunction", "Properties", "Timeout")
	if timeout.Value == "" {
		timeout = template.Get(root, "Globals", "Function", "Timeout")
	}
	secs, err := strconv.Atoi(timeout.Value)
	if err != nil {
		t.Fatalf("RegisterFunction's Timeout %q: %v", timeout.Value, err)
	}
	// Three seconds for the mode, the read, the transaction and the send's
	// context, beyond the pad.
	if limit := time.Duration(secs)*time.Second - 3*time.Second; cfg.SignInPad > limit {
		t.Errorf("SIGNIN_PAD %v leaves less than 3 s of the Lambda's %d s", cfg.SignInPad, secs)
	}

	// A padding longer than the time left: the wait ends before the deadline.
	hs.h = hs.instance(map[string]string{"SIGNIN_PAD": "1h"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	began := hs.clock.Now()
	resp, err := hs.h.Handle(ctx, apitest.Request("POST", "/v1/sessions", nil, map[string]any{"phone": "+60123000091"}, "198.51.100.7"))
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("status=%d err=%v body=%s, want 202", resp.StatusCode, err, resp.Body)
	}
	if took := hs.clock.Now().Sub(began); took > 2*time.Second {
		t.Errorf("waited %v of a context with 2 s left", took)
	}
}

// TestInboundSignInNeverRevealsAnOwner: with proof by message, an owner's and a
// stranger's sign-in get the same answer at once, after the same DynamoDB calls
// of the same sizes, and nothing is sent to either.
func TestInboundSignInNeverRevealsAnOwner(t *testing.T) {
	hs := newHarness(t, nil)
	hs.h = hs.instance(map[string]string{"INBOUND_WHATSAPP_NUMBER": "+60380000000", "INBOUND_WHATSAPP_PHONE_NUMBER_ID": "100000000000001"})
	ver := hs.verifier()
	const owner, stranger = "+60123000001", "+60123000091"
	hs.owns(ver, owner)
	hs.sendTime = 300 * time.Millisecond
	inbound := map[string]any{"proof": "inbound"}
	o, s := hs.traceSignIn(t, owner, "198.51.100.1", inbound), hs.traceSignIn(t, stranger, "198.51.100.2", inbound)
	if o.status != 202 || !reflect.DeepEqual(o.shape, s.shape) || !reflect.DeepEqual(o.headers, s.headers) {
		t.Fatalf("answers differ:\n owner    %d %v %v\n stranger %d %v %v", o.status, o.headers, o.shape, s.status, s.headers, s.shape)
	}
	if o.shape["inbound"] == nil {
		t.Fatalf("no inbound offers: %v", o.shape)
	}
	if !slices.Equal(o.calls, s.calls) {
		t.Fatalf("DynamoDB calls differ:\n owner    %v\n stranger %v", o.calls, s.calls)
	}
	if o.took != 0 || s.took != 0 || o.sent != 0 || s.sent != 0 {
		t.Errorf("took %v and %v, sent %d and %d; want nothing sent, at once", o.took, s.took, o.sent, s.sent)
	}
}
