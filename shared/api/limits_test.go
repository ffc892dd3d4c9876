package api

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestSiteLimitsMatch compares the site's field limits with the API's: the
// module the site's scripts check with, and the minlength and maxlength of the
// pages' inputs.
func TestSiteLimitsMatch(t *testing.T) {
	web := filepath.Join("..", "..", "web", "src")
	raw, err := os.ReadFile(filepath.Join(web, "js", "limits.js"))
	if err != nil {
		t.Fatal(err)
	}
	// The module is `export default {JSON};` after its comment lines.
	src := string(raw)
	body := strings.TrimSuffix(strings.TrimSpace(src[strings.Index(src, "export default")+len("export default"):]), ";")
	var site map[string]struct{ Min, Max int }
	if err := json.Unmarshal([]byte(body), &site); err != nil {
		t.Fatalf("web/src/js/limits.js is not `export default {JSON};`: %v", err)
	}
	if len(site) != len(FieldLimits) {
		t.Errorf("limits.js has %d fields, the API %d", len(site), len(FieldLimits))
	}
	for field, want := range FieldLimits {
		if got, ok := site[field]; !ok || got.Min != want[0] || got.Max != want[1] {
			t.Errorf("limits.js %s = %+v, the API checks %d to %d", field, got, want[0], want[1])
		}
	}
	pages := map[string][]string{"index.html": {"businessName", "address"}, "help.html": {"name", "message"}}
	for page, fields := range pages {
		html, err := os.ReadFile(filepath.Join(web, page))
		if err != nil {
			t.Fatal(err)
		}
		for _, field := range fields {
			tag := regexp.MustCompile(`<(?:input|textarea)[^>]*\bid="` + field + `"[^>]*>`).FindString(string(html))
			if tag == "" {
				t.Errorf("%s: no input #%s", page, field)
				continue
			}
			want := FieldLimits[field]
			if got := attr(tag, "maxlength"); got != want[1] {
				t.Errorf("%s #%s maxlength=%d, want %d", page, field, got, want[1])
			}
			if got := attr(tag, "minlength"); want[0] > 1 && got != want[0] {
				t.Errorf("%s #%s minlength=%d, want %d", page, field, got, want[0])
			}
		}
	}
}

func attr(tag, name string) int {
	m := regexp.MustCompile(`\b` + name + `="(\d+)"`).FindStringSubmatch(tag)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
