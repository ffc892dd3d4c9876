package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/infra/local"
	"github.com/checkin-registry/registry/infra/moto"
)

// wantStatus is what each sample API event answers on a fresh stack: every API
// event must have one.
var wantStatus = map[string]int{
	"qr.json":                   401, // its token is a placeholder
	"qr-venue.json":             401,
	"qr-verify.json":            200,
	"qr-keys.json":              200,
	"helpdesk.json":             201,
	"helpdesk-status.json":      401,
	"register.json":             202,
	"register-email.json":       202,
	"register-challenge.json":   200,
	"register-resend.json":      404,
	"register-optout-page.json": 400,
	"register-optout.json":      400,
	"verify.json":               404,
}

// TestSampleEvents replays every events/*.json, the files `sam local invoke -e`
// takes, through the Lambda runtime's decoding: API events must name a route of
// template.yaml and decode into the REST proxy event with no unknown field; the
// others go to the function their file is named for.
func TestSampleEvents(t *testing.T) {
	s := startServer(t, local.Options{Env: map[string]string{"POW_SOFT_THRESHOLD": "100"}})
	files, _ := filepath.Glob(filepath.Join(moto.Root(), "events", "*.json"))
	if len(files) < 7 {
		t.Fatalf("%d sample events, want one per route at least", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var probe map[string]any
			if err := json.Unmarshal(raw, &probe); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			if _, ok := probe["httpMethod"]; !ok {
				function := strings.SplitN(strings.TrimSuffix(name, ".json"), "-", 2)[0]
				if _, err := s.Invoke(context.Background(), function, raw); err != nil {
					t.Fatalf("invoke %s: %v", function, err)
				}
				return
			}
			var ev events.APIGatewayProxyRequest
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&ev); err != nil {
				t.Fatalf("not a REST API proxy event: %v", err)
			}
			id := s.FunctionFor(ev.HTTPMethod, ev.Resource)
			if id == "" {
				t.Fatalf("%s %s is no route of template.yaml", ev.HTTPMethod, ev.Resource)
			}
			if want := strings.ToLower(strings.TrimSuffix(id, "Function")); !strings.HasPrefix(name, want) {
				t.Fatalf("event for %s should be named %s*.json", id, want)
			}
			out, err := s.Invoke(context.Background(), id, raw)
			if err != nil {
				t.Fatalf("invoke: %v", err)
			}
			var resp events.APIGatewayProxyResponse
			if err := json.Unmarshal(out, &resp); err != nil {
				t.Fatal(err)
			}
			want, known := wantStatus[name]
			if !known {
				t.Fatalf("no wantStatus for %s: say what it answers (it answered %d %s)", name, resp.StatusCode, resp.Body)
			}
			if resp.StatusCode != want {
				t.Fatalf("status=%d body=%s, want %d", resp.StatusCode, resp.Body, want)
			}
		})
	}
}
