package alarm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/checkin-registry/registry/infra/local"
	"github.com/checkin-registry/registry/infra/moto"
)

// TestLocalStack is the done-when: on the local stack, the sample
// "-elevated" alarm sent to /_local/invoke/alarm makes the next registration need
// proof of work, and the alarm's OK lifts that. Then an SES bounce sent to
// /_local/invoke/feedback silences the bounced address for register.
func TestLocalStack(t *testing.T) {
	srv, err := local.Start(context.Background(), local.Options{
		Root: moto.Root(), Addr: "127.0.0.1:0", Env: map[string]string{"MODE_CACHE_TTL": "0s"},
		Log: discardLog(), Metrics: io.Discard,
	})
	if err != nil {
		t.Fatalf("start local stack: %v", err)
	}
	defer srv.Close()

	register := func(email string) (int, string) {
		t.Helper()
		body := `{"businessName":"Kedai Runcit Ali","address":"12 Jalan Ampang, 50450 Kuala Lumpur","email":"` + email + `"}`
		return post(t, srv.URL()+"/v1/registrations", "application/json", body)
	}
	invoke := func(function, file string) {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(moto.Root(), "events", file))
		if err != nil {
			t.Fatal(err)
		}
		if status, out := post(t, srv.URL()+"/_local/invoke/"+function, "application/json", string(b)); status != http.StatusOK {
			t.Fatalf("invoke %s with %s: status=%d, want 200: %s", function, file, status, out)
		}
	}

	if status, out := register("first@example.com"); status != http.StatusAccepted {
		t.Fatalf("before the alarm: status=%d, want 202: %s", status, out)
	}
	invoke("alarm", "alarm.json")
	status, out := register("second@example.com")
	if status != http.StatusPreconditionRequired || !strings.Contains(out, `"challenge_required"`) {
		t.Fatalf("in the alarm: status=%d, want 428 challenge_required: %s", status, out)
	}
	invoke("alarm", "alarm-ok.json")
	if status, out := register("third@example.com"); status != http.StatusAccepted {
		t.Fatalf("after the OK: status=%d, want 202: %s", status, out)
	}

	// The sample bounce is for Nadia.Rahman+shop@Example.com: register then still
	// answers 202 (it tells no one what is suppressed) but sends nothing to that
	// address (the bounce suppresses the address SES reported, case aside).
	invoke("feedback", "feedback.json")
	if status, out := register("nadia.rahman+shop@example.com"); status != http.StatusAccepted {
		t.Fatalf("bounced address: status=%d, want 202: %s", status, out)
	}
	var box struct {
		Messages []struct{ Channel, To, Subject string } `json:"messages"`
	}
	resp, err := http.Get(srv.URL() + "/_local/outbox")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&box); err != nil {
		t.Fatal(err)
	}
	var to, notices []string
	for _, m := range box.Messages {
		switch m.Channel {
		case "email":
			to = append(to, m.To)
		case "topic":
			if !strings.Contains(m.To, "AlarmTopic") {
				t.Errorf("operator notice to %s, want the AlarmTopic", m.To)
			}
			notices = append(notices, m.Subject)
		}
	}
	if got, want := strings.Join(to, ","), "first@example.com,third@example.com"; got != want {
		t.Errorf("e-mail to %s, want %s: nothing in the alarm, nothing to the bounced address", got, want)
	}
	// Operators heard of both changes of mode, through the alarm topic.
	if len(notices) != 2 || !strings.Contains(notices[0], "mode elevated (was normal)") || !strings.Contains(notices[1], "mode normal (was elevated)") {
		t.Errorf("operator notices %q, want elevated then normal", notices)
	}
}

func post(t *testing.T, url, contentType, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewBufferString(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
