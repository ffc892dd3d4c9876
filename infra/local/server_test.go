package local_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/checkin-registry/registry/infra/local"
	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/infra/moto/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

func startServer(t *testing.T, o local.Options) *local.Server {
	t.Helper()
	o.Root, o.Addr, o.MotoURL = moto.Root(), "127.0.0.1:0", mototest.URL(t)
	s, err := local.Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func do(t *testing.T, method, url, body string, header ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(raw, &m)
	if resp.Header.Get("X-Request-Id") == "" {
		t.Fatalf("%s %s: no X-Request-Id", method, url)
	}
	return resp.StatusCode, resp.Header, m
}

// TestRegisterOutboxVerify walks the flow a business takes, over HTTP.
func TestRegisterOutboxVerify(t *testing.T) {
	s := startServer(t, local.Options{})
	base := s.URL()
	if status, _, _ := do(t, "GET", base+"/healthz", ""); status != 200 {
		t.Fatalf("healthz = %d", status)
	}
	status, _, reg := do(t, "POST", base+"/v1/registrations",
		`{"businessName":"Kedai Runcit Ali","address":"12 Jalan Ampang, 50450 Kuala Lumpur","phone":"012-345 6789"}`)
	if status != 202 || reg["destination"] != "+60•••••6789" {
		t.Fatalf("register: %d %v", status, reg)
	}
	_, _, box := do(t, "GET", base+"/_local/outbox", "")
	msgs := box["messages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("outbox = %v", box)
	}
	m := msgs[0].(map[string]any)
	if m["channel"] != "sms" || m["to"] != "+60123456789" || m["sentAt"] == "" {
		t.Fatalf("message = %v", m)
	}
	code := regexp.MustCompile(`\d{6}`).FindString(m["body"].(string))
	id := reg["registrationId"].(string)

	status, _, bad := do(t, "POST", base+"/v1/registrations/"+id+"/verify", `{"code":"abc"}`)
	if status != 400 || bad["error"].(map[string]any)["code"] != "invalid_request" {
		t.Fatalf("bad code: %d %v", status, bad)
	}
	status, _, ok := do(t, "POST", base+"/v1/registrations/"+id+"/verify", `{"code":"`+code+`"}`)
	if status != 200 || ok["venueId"] == "" || !strings.HasPrefix(ok["accessToken"].(string), "v1.") {
		t.Fatalf("verify: %d %v", status, ok)
	}

	if status, _, _ := do(t, "DELETE", base+"/_local/outbox", ""); status != 204 {
		t.Fatalf("delete outbox = %d", status)
	}
	if _, _, box := do(t, "GET", base+"/_local/outbox", ""); len(box["messages"].([]any)) != 0 {
		t.Fatalf("outbox after delete = %v", box)
	}
}

func TestContractEnvelopeAtTheEdge(t *testing.T) {
	s := startServer(t, local.Options{})
	tests := []struct {
		method, path, body string
		status             int
		code, allow        string
	}{
		{"GET", "/v1/nowhere", "", 404, "not_found", ""},
		{"DELETE", "/v1/registrations", "", 405, "method_not_allowed", "POST"},
		{"DELETE", "/v1/optout", "", 405, "method_not_allowed", "GET, POST"},
		{"POST", "/v1/registrations", `{`, 400, "invalid_request", ""},
		{"POST", "/v1/registrations", strings.Repeat(" ", 9000) + "{}", 413, "payload_too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.path, func(t *testing.T) {
			status, h, body := do(t, tt.method, s.URL()+tt.path, tt.body)
			if got := h.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
			if status != tt.status || body["error"].(map[string]any)["code"] != tt.code {
				t.Fatalf("status=%d body=%v, want %d %s", status, body, tt.status, tt.code)
			}
		})
	}
}

func TestTrustForwardedFor(t *testing.T) {
	s := startServer(t, local.Options{TrustForwardedFor: true, Env: map[string]string{"IP_MAX_REQUESTS": "1", "POW_SOFT_THRESHOLD": "100"}})
	body := func(n string) string {
		return `{"businessName":"Kedai Runcit Ali","address":"12 Jalan Ampang, Kuala Lumpur","phone":"+6012300000` + n + `"}`
	}
	if status, _, b := do(t, "POST", s.URL()+"/v1/registrations", body("1"), "X-Forwarded-For", "198.51.100.1, 10.0.0.1"); status != 202 {
		t.Fatalf("first: %d %v", status, b)
	}
	if status, h, _ := do(t, "POST", s.URL()+"/v1/registrations", body("2"), "X-Forwarded-For", "198.51.100.1"); status != 429 || h.Get("Retry-After") == "" {
		t.Fatalf("same forwarded IP: %d", status)
	}
	if status, _, b := do(t, "POST", s.URL()+"/v1/registrations", body("3"), "X-Forwarded-For", "198.51.100.2"); status != 202 {
		t.Fatalf("another forwarded IP: %d %v", status, b)
	}
}
