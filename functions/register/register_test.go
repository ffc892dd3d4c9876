package register_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact/policy"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/store"
)

func TestRegisterSendsOneFixedMessage(t *testing.T) {
	hs := newHarness(t, nil)
	body := registration("012-345 6789", "")
	body["businessName"] = "Visit http://evil.example now"
	body["address"] = "Call 1-300-EVIL for your prize"
	resp := hs.register("198.51.100.7", body)
	wantStatus(t, resp, 202, "")
	got := apitest.Decode(t, resp)
	if got["channel"] != "sms" || got["destination"] != "+60•••••6789" || len(got["registrationId"].(string)) != 26 {
		t.Fatalf("response = %v", got)
	}
	exp, _ := time.Parse(time.RFC3339, got["expiresAt"].(string))
	resendAfter, _ := time.Parse(time.RFC3339, got["resendAfter"].(string))
	if !exp.Equal(start.Add(5*time.Minute)) || !resendAfter.Equal(start.Add(time.Minute)) {
		t.Fatalf("expiresAt=%v resendAfter=%v", exp, resendAfter)
	}
	msgs := hs.outbox.To("+60123456789")
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	for _, typed := range []string{"evil", "EVIL", "Ampang", "prize", "http"} {
		if strings.Contains(msgs[0].Body, typed) {
			t.Fatalf("message carries requester text %q: %q", typed, msgs[0].Body)
		}
	}
	if hs.lastCode("+60123456789") == "" {
		t.Fatal("no code")
	}
}

// Names are stored in normalisation form C: one spelling for what looks alike,
// as the QR payload signs it.
func TestRegisterStoresNamesNFC(t *testing.T) {
	hs := newHarness(t, nil)
	body := registration(phone(1), "")
	body["businessName"] = "  Cafe\u0301 Ali  "
	body["address"] = "12 Jalan Pe\u0301kan, Kuala Lumpur"
	resp := hs.register("198.51.100.8", body)
	wantStatus(t, resp, 202, "")
	regs := hs.items("reg#" + apitest.Decode(t, resp)["registrationId"].(string))
	if len(regs) != 1 || regs[0]["businessName"] != "Caf\u00e9 Ali" || regs[0]["address"] != "12 Jalan P\u00e9kan, Kuala Lumpur" {
		t.Fatalf("stored %v, want the NFC forms", regs)
	}
}

func TestRegisterEmailCarriesOptOutLink(t *testing.T) {
	hs := newHarness(t, nil)
	wantStatus(t, hs.register("198.51.100.7", registration("", "Ali@Example.com")), 202, "")
	msgs := hs.outbox.To("Ali@example.com")
	if len(msgs) != 1 || msgs[0].Subject == "" || !strings.Contains(msgs[0].Body, "/v1/optout?token=") || msgs[0].Unsubscribe == "" {
		t.Fatalf("messages = %+v", msgs)
	}
}

func TestRegisterRejectsBadInputAndTouchesNothing(t *testing.T) {
	hs := newHarness(t, nil)
	long := strings.Repeat("x", 101)
	tests := []struct {
		name   string
		body   any
		ctype  string
		status int
		code   string
		field  string
	}{
		{"malformed json", `{"businessName":`, "", 400, "invalid_request", ""},
		{"not an object", `[1,2]`, "", 400, "invalid_request", ""},
		{"two objects", `{} {}`, "", 400, "invalid_request", ""},
		{"unknown field", map[string]any{"businessName": "Kedai", "address": "12 Jalan", "phone": "0123456789", "admin": true}, "", 400, "invalid_request", "admin"},
		{"name missing", map[string]any{"address": "12 Jalan Ampang", "phone": "0123456789"}, "", 400, "invalid_request", "businessName"},
		{"name too short", map[string]any{"businessName": "K", "address": "12 Jalan Ampang", "phone": "0123456789"}, "", 400, "invalid_request", "businessName"},
		{"name too long", map[string]any{"businessName": long, "address": "12 Jalan Ampang", "phone": "0123456789"}, "", 400, "invalid_request", "businessName"},
		{"control character", map[string]any{"businessName": "Kedai\u0007Ali", "address": "12 Jalan Ampang", "phone": "0123456789"}, "", 400, "invalid_request", "businessName"},
		{"right-to-left override in the name", map[string]any{"businessName": "Kedai \u202eilA", "address": "12 Jalan Ampang", "phone": "0123456789"}, "", 400, "invalid_request", "businessName"},
		{"bidi isolate in the name", map[string]any{"businessName": "Kedai \u2067Ali\u2069", "address": "12 Jalan Ampang", "phone": "0123456789"}, "", 400, "invalid_request", "businessName"},
		{"zero-width space in the name", map[string]any{"businessName": "Ked\u200bai Ali", "address": "12 Jalan Ampang", "phone": "0123456789"}, "", 400, "invalid_request", "businessName"},
		{"zero-width joiner in the name", map[string]any{"businessName": "Kedai\u200dAli", "address": "12 Jalan Ampang", "phone": "0123456789"}, "", 400, "invalid_request", "businessName"},
		{"soft hyphen in the name", map[string]any{"businessName": "Ke\u00addai Ali", "address": "12 Jalan Ampang", "phone": "0123456789"}, "", 400, "invalid_request", "businessName"},
		{"byte order mark in the address", map[string]any{"businessName": "Kedai Ali", "address": "\ufeff12 Jalan Ampang", "phone": "0123456789"}, "", 400, "invalid_request", "address"},
		{"line separator in the address", map[string]any{"businessName": "Kedai Ali", "address": "12 Jalan\u2028Ampang", "phone": "0123456789"}, "", 400, "invalid_request", "address"},
		{"paragraph separator in the address", map[string]any{"businessName": "Kedai Ali", "address": "12 Jalan\u2029Ampang", "phone": "0123456789"}, "", 400, "invalid_request", "address"},
		{"address too short", map[string]any{"businessName": "Kedai", "address": "12", "phone": "0123456789"}, "", 400, "invalid_request", "address"},
		{"name not a string", map[string]any{"businessName": 5, "address": "12 Jalan Ampang", "phone": "0123456789"}, "", 400, "invalid_request", "businessName"},
		{"no contact", map[string]any{"businessName": "Kedai", "address": "12 Jalan Ampang"}, "", 400, "invalid_request", "phone"},
		{"both contacts", registration("0123456789", "ali@example.com"), "", 400, "invalid_request", "email"},
		{"phone garbage", registration("call me", ""), "", 400, "invalid_request", "phone"},
		{"landline", registration("03-2161 1111", ""), "", 422, "destination_not_allowed", "phone"},
		{"foreign mobile", registration("+65 8123 4567", ""), "", 422, "destination_not_allowed", "phone"},
		{"premium rate", registration("+601600123456", ""), "", 422, "destination_not_allowed", "phone"},
		{"disposable e-mail", registration("", "x@mailinator.com"), "", 422, "destination_not_allowed", "email"},
		{"ip literal e-mail", registration("", "x@[10.0.0.1]"), "", 400, "invalid_request", "email"},
		{"header injection e-mail", registration("", "x@example.com\nBcc: y@example.com"), "", 400, "invalid_request", "email"},
		{"wrong media type", registration("0123456789", ""), "text/plain", 415, "unsupported_media_type", ""},
		{"too large", map[string]any{"businessName": strings.Repeat("a", 9000)}, "", 413, "payload_too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs.db.Reset()
			req := apitest.Request("POST", "/v1/registrations", nil, tt.body, "198.51.100.7")
			if tt.ctype != "" {
				req.Headers["Content-Type"] = tt.ctype
			}
			resp := hs.call(hs.h, req)
			wantStatus(t, resp, tt.status, tt.code)
			if tt.field != "" {
				fields, _ := apitest.Decode(t, resp)["error"].(map[string]any)["fields"].(map[string]any)
				if fields[tt.field] == nil {
					t.Fatalf("fields = %v, want %q named", fields, tt.field)
				}
			}
			if n, by := hs.db.Calls(); n != 0 {
				t.Fatalf("a rejected request made %d DynamoDB calls: %v", n, by)
			}
		})
	}
	if hs.outbox.Len() != 0 {
		t.Fatalf("%d messages sent for rejected requests", hs.outbox.Len())
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	hs := newHarness(t, nil)
	resp := hs.call(hs.h, apitest.Request("GET", "/v1/registrations", nil, nil, "198.51.100.7"))
	wantStatus(t, resp, 405, "method_not_allowed")
	if got := resp.Headers["Allow"]; got != "POST" {
		t.Errorf("Allow = %q, want POST", got)
	}
	wantStatus(t, hs.call(hs.h, apitest.Request("GET", "/v1/nothing", nil, nil, "198.51.100.7")), 404, "not_found")
	wantStatus(t, hs.resend("not-an-id", "198.51.100.7", map[string]any{}), 404, "not_found")
	wantStatus(t, hs.resend("aaaaaaaaaaaaaaaaaaaaaaaaaa", "198.51.100.7", map[string]any{}), 404, "not_found")
}

func TestResendRules(t *testing.T) {
	hs := newHarness(t, map[string]string{"POW_SOFT_THRESHOLD": "100"})
	const to = "+60123456789"
	resp := hs.register("198.51.100.7", registration(to, ""))
	wantStatus(t, resp, 202, "")
	id := apitest.Decode(t, resp)["registrationId"].(string)
	first := hs.lastCode(to)

	hs.clock.Advance(30 * time.Second)
	resp = hs.resend(id, "198.51.100.7", map[string]any{})
	wantStatus(t, resp, 429, "rate_limited")
	if resp.Headers["Retry-After"] != "30" {
		t.Fatalf("Retry-After = %q, want 30", resp.Headers["Retry-After"])
	}

	hs.clock.Advance(30 * time.Second)
	resp = hs.resend(id, "198.51.100.7", map[string]any{})
	wantStatus(t, resp, 202, "")
	if got := apitest.Decode(t, resp)["resendAfter"]; got != hs.clock.Now().Add(2*time.Minute).Format(time.RFC3339) {
		t.Fatalf("resendAfter = %v, want the wait doubled to 2m", got)
	}
	if second := hs.lastCode(to); len(hs.outbox.To(to)) != 2 || second == "" {
		t.Fatalf("after resend: %d messages", len(hs.outbox.To(to)))
	}
	_ = first

	hs.clock.Advance(119 * time.Second)
	wantStatus(t, hs.resend(id, "198.51.100.7", map[string]any{}), 429, "rate_limited")
	hs.clock.Advance(time.Second)
	wantStatus(t, hs.resend(id, "198.51.100.7", map[string]any{}), 202, "")

	// A third resend would be the fourth message in 24 h to this number: the
	// destination's cap refuses it even though the registration has one left.
	hs.clock.Advance(4 * time.Minute)
	resp = hs.resend(id, "198.51.100.7", map[string]any{})
	wantStatus(t, resp, 429, "rate_limited")
	if len(hs.outbox.To(to)) != 3 {
		t.Fatalf("%d messages, want 3", len(hs.outbox.To(to)))
	}
}

func TestResendCountIsCapped(t *testing.T) {
	hs := newHarness(t, map[string]string{"DEST_MAX_SENDS": "10", "MAX_RESENDS": "2"})
	resp := hs.register("198.51.100.7", registration("0123456789", ""))
	id := apitest.Decode(t, resp)["registrationId"].(string)
	for i, wait := range []time.Duration{time.Minute, 2 * time.Minute} {
		hs.clock.Advance(wait)
		if resp := hs.resend(id, "198.51.100.7", map[string]any{}); resp.StatusCode != 202 {
			t.Fatalf("resend %d: %d %s", i+1, resp.StatusCode, resp.Body)
		}
	}
	hs.clock.Advance(time.Hour)
	wantStatus(t, hs.resend(id, "198.51.100.7", map[string]any{}), 429, "rate_limited")
}

func TestOptOut(t *testing.T) {
	hs := newHarness(t, nil)
	const to = "victim@example.com"
	wantStatus(t, hs.register("198.51.100.7", registration("", to)), 202, "")
	body := hs.outbox.To(to)[0].Body
	i := strings.Index(body, "token=")
	tok, _ := url.QueryUnescape(strings.Fields(body[i+len("token="):])[0])

	// GET only asks: a mail scanner following the link changes nothing.
	page := hs.call(hs.h, apitest.Request("GET", "/v1/optout", nil, nil, "198.51.100.8"))
	wantStatus(t, page, 400, "")
	req := apitest.Request("GET", "/v1/optout", nil, nil, "198.51.100.8")
	req.QueryStringParameters = map[string]string{"token": tok}
	page = hs.call(hs.h, req)
	if page.StatusCode != 200 || !strings.Contains(page.Headers["Content-Type"], "text/html") || !strings.Contains(page.Body, `method="post"`) {
		t.Fatalf("GET page: %d %s", page.StatusCode, page.Body)
	}
	if len(hs.items("supp#")) != 0 {
		t.Fatal("GET suppressed the address")
	}

	wantStatus(t, hs.call(hs.h, apitest.Request("POST", "/v1/optout", nil, map[string]any{"token": tok + "x"}, "198.51.100.8")), 400, "invalid_request")
	wantStatus(t, hs.call(hs.h, apitest.Request("POST", "/v1/optout", nil, map[string]any{"token": tok}, "198.51.100.8")), 200, "")
	// A form post (the page's own button) works too, and twice is harmless.
	form := apitest.Request("POST", "/v1/optout", nil, nil, "198.51.100.8")
	form.Headers["Content-Type"], form.Body = "application/x-www-form-urlencoded", "token="+url.QueryEscape(tok)
	if resp := hs.call(hs.h, form); resp.StatusCode != 200 || !strings.Contains(resp.Body, "Done") {
		t.Fatalf("form post: %d %s", resp.StatusCode, resp.Body)
	}

	// Later requests for that inbox, however spelled, answer as usual and send nothing.
	hs.clock.Advance(2 * time.Hour)
	for _, spelling := range []string{to, "Victim+shop@EXAMPLE.com"} {
		resp := hs.register("198.51.100.9", registration("", spelling))
		wantStatus(t, resp, 202, "")
		if got := apitest.Decode(t, resp)["destination"]; got == "" {
			t.Fatalf("response reveals the block: %s", resp.Body)
		}
		hs.clock.Advance(2 * time.Minute)
	}
	if n := len(hs.outbox.To(to)) + len(hs.outbox.To("Victim+shop@example.com")); n != 1 {
		t.Fatalf("%d messages after opt-out, want only the first", n)
	}
}

func TestAuditHoldsNoRawIdentifiers(t *testing.T) {
	hs := newHarness(t, nil)
	wantStatus(t, hs.register("198.51.100.7", registration("0123456789", "")), 202, "")
	hs.clock.Advance(10 * time.Second)
	wantStatus(t, hs.register("198.51.100.7", registration("0123456789", "")), 429, "rate_limited")
	audits := hs.items("audit#")
	if len(audits) != 2 {
		t.Fatalf("%d audit records, want 2", len(audits))
	}
	outcomes := map[string]bool{}
	for _, a := range audits {
		outcomes[a["outcome"].(string)] = true
		if a["ttl"] == nil || a["destHash"] == "" || a["ipHash"] == "" {
			t.Fatalf("audit = %v", a)
		}
		for _, v := range a {
			if s, ok := v.(string); ok && (strings.Contains(s, "123456789") || strings.Contains(s, "198.51.100")) {
				t.Fatalf("audit holds a raw identifier: %v", a)
			}
		}
	}
	if !outcomes["sent"] || !outcomes["destination_cooldown"] {
		t.Fatalf("outcomes = %v", outcomes)
	}
	metrics := hs.stack.Metrics.String()
	for _, want := range []string{`"CodeSent":1`, `"SendBlocked":1`, `"Limit":"destination_cooldown"`, `"Namespace":"CheckinRegistry"`} {
		if !strings.Contains(metrics, want) {
			t.Fatalf("metrics lack %s:\n%s", want, metrics)
		}
	}
	if strings.Contains(hs.stack.Logs.String(), "123456789") {
		t.Fatal("a log line holds the phone number")
	}
}

func TestSuppressionRacingTheCommitStaysSilent(t *testing.T) {
	hs := newHarness(t, nil)
	const to = "+60123456789"
	dest, _ := policy.FromEnv(config.FromMap(nil)).Phone.Phone(to)
	hash := identity.New(hs.keys).Destination(dest)
	s := store.New(hs.stack.Clients.DynamoDB, hs.stack.Tables["RegistryTable"])
	hs.beforeCommit = func() error {
		hs.beforeCommit = nil
		return s.Suppress(context.Background(), hash, store.Suppression{Reason: "optout"}, start)
	}
	resp := hs.register("198.51.100.7", registration(to, ""))
	wantStatus(t, resp, 202, "")
	if hs.outbox.Len() != 0 {
		t.Fatalf("%d messages sent to a destination suppressed before the commit", hs.outbox.Len())
	}
	if got := apitest.Decode(t, resp)["destination"]; got != "+60•••••6789" {
		t.Fatalf("response = %s", resp.Body)
	}
}
