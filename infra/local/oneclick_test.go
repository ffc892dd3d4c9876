package local_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/checkin-registry/registry/infra/local"
	"github.com/checkin-registry/registry/infra/moto"
)

// A mail provider's one-click unsubscribe, over HTTP as `make run` serves it: the
// POST of List-Unsubscribe=One-Click to the e-mail's opt-out link, its token in
// the query string.
func TestOneClickUnsubscribeOverHTTP(t *testing.T) {
	s := startServer(t, local.Options{})
	to := "oneclick-" + moto.RandomHex(4) + "@example.com"
	status, _, reg := do(t, "POST", s.URL()+"/v1/registrations",
		`{"businessName":"Kedai Runcit Ali","address":"12 Jalan Ampang, 50450 Kuala Lumpur","email":"`+to+`"}`)
	if status != 202 {
		t.Fatalf("register: %d %v", status, reg)
	}
	_, _, box := do(t, "GET", s.URL()+"/_local/outbox", "")
	var link string
	for _, m := range box["messages"].([]any) {
		if m := m.(map[string]any); m["to"] == to {
			link = regexp.MustCompile(`https?://\S+/v1/optout\?token=\S+`).FindString(m["body"].(string))
		}
	}
	u, err := url.Parse(link)
	if link == "" || err != nil {
		t.Fatalf("no opt-out link in the e-mail to %s: %v", to, box)
	}
	post := func(query string) (int, string) {
		t.Helper()
		resp, err := http.Post(s.URL()+u.Path+"?"+query, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := post("token=" + url.QueryEscape(u.Query().Get("token")+"x")); status != 400 {
		t.Fatalf("forged token: %d %s", status, body)
	}
	if status, body := post(u.RawQuery); status != 200 || !strings.Contains(body, "Done") {
		t.Fatalf("one-click: %d %s", status, body)
	}
}
