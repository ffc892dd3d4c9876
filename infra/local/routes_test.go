package local_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/checkin-registry/registry/infra/local"
	"github.com/checkin-registry/registry/infra/moto"
)

// TestRoutesMatchTemplate checks each route in its three places against the
// others: every function's handler serves exactly the routes its events in
// template.yaml declare (method and path), and events/*.json hold a sample
// event of every route, which TestSampleEvents replays.
func TestRoutesMatchTemplate(t *testing.T) {
	s := startServer(t, local.Options{})
	sampled := sampledRoutes(t)
	for id, r := range s.Routes() {
		declared, served := r[0], r[1]
		for _, route := range declared {
			if !slices.Contains(served, route) {
				t.Errorf("%s: template.yaml declares %s, which its handler's Routes() lacks", id, route)
			}
			if !slices.Contains(sampled, route) {
				t.Errorf("%s: no events/*.json samples %s", id, route)
			}
		}
		for _, route := range served {
			if !slices.Contains(declared, route) {
				t.Errorf("%s: its handler serves %s, which no event of template.yaml declares", id, route)
			}
		}
	}
}

// sampledRoutes are the "METHOD resource" of every API event in events/.
func sampledRoutes(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(moto.Root(), "events", "*.json"))
	var out []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var ev struct{ HTTPMethod, Resource string }
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if ev.HTTPMethod != "" {
			out = append(out, ev.HTTPMethod+" "+ev.Resource)
		}
	}
	return out
}
