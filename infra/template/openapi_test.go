package template_test

// web/src/openapi.json, which the site serves at /openapi.json, against the
// template's routes and the contract's error codes, in both directions: a route or
// code added on one side only fails here until the other has it.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/shared/api"
)

// Routes and codes of the contract's Additions that the spec documents before the
// template routes them (or shared/api names them). Drop an entry once it is there.
var (
	pendingRoutes = []string{}
	pendingCodes  = map[string]int{}
)

type openAPI struct {
	Paths      map[string]map[string]operation `json:"paths"`
	Components struct {
		Schemas map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

type operation struct {
	RequestBody *struct {
		Content map[string]struct {
			Schema map[string]any `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Description string `json:"description"`
		Headers     map[string]any
		Content     map[string]struct {
			Schema map[string]any `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

func loadSpec(t *testing.T) (openAPI, []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moto.Root(), "web", "src", "openapi.json"))
	if err != nil {
		t.Fatal(err)
	}
	var spec openAPI
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return spec, b
}

// codeStatus is the contract's status of an error code.
func codeStatus(code string) (int, bool) {
	if s, ok := pendingCodes[code]; ok {
		return s, true
	}
	if !slices.Contains(api.Codes(), code) {
		return 0, false
	}
	return api.Status(code), true
}

func TestOpenAPIMatchesTheRoutes(t *testing.T) {
	tpl := load(t)
	spec, raw := loadSpec(t)
	routed := map[string]bool{}
	for _, fn := range tpl.Functions {
		for _, r := range fn.Routes {
			routed[r.Method+" "+r.Path] = true
		}
	}
	documented := map[string]bool{}
	for path, ops := range spec.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+path] = true
		}
	}
	for r := range routed {
		if !documented[r] {
			t.Errorf("%s is routed by the template but not in web/src/openapi.json", r)
		}
		if slices.Contains(pendingRoutes, r) {
			t.Errorf("%s is routed now: drop it from pendingRoutes", r)
		}
	}
	for r := range documented {
		if !routed[r] && !slices.Contains(pendingRoutes, r) {
			t.Errorf("openapi.json documents %s, which the template does not route", r)
		}
	}
	for _, r := range pendingRoutes {
		if !documented[r] {
			t.Errorf("%s (a contract addition) is not in openapi.json", r)
		}
	}

	// Every $ref resolves.
	for _, m := range regexp.MustCompile(`"#/components/schemas/(\w+)"`).FindAllSubmatch(raw, -1) {
		if _, ok := spec.Components.Schemas[string(m[1])]; !ok {
			t.Errorf("$ref to a missing schema %s", m[1])
		}
	}
}

func TestOpenAPIErrorCodes(t *testing.T) {
	spec, _ := loadSpec(t)
	var errSchema struct {
		Properties struct {
			Error struct {
				Properties struct {
					Code struct {
						Enum []string `json:"enum"`
					} `json:"code"`
				} `json:"properties"`
			} `json:"error"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(spec.Components.Schemas["Error"], &errSchema); err != nil {
		t.Fatal(err)
	}
	enum := slices.Sorted(slices.Values(errSchema.Properties.Error.Properties.Code.Enum))
	want := api.Codes()
	for c := range pendingCodes {
		if slices.Contains(want, c) {
			t.Errorf("shared/api has %s now: drop it from pendingCodes", c)
		}
		want = append(want, c)
	}
	slices.Sort(want)
	if !slices.Equal(enum, want) {
		t.Errorf("openapi.json's error codes %v, want the contract's %v", enum, want)
	}

	// Each error response names its codes in its description, at their status,
	// with the Error schema; each code is answered somewhere; 429 and 503 carry
	// Retry-After and 405 Allow.
	used := map[string]bool{}
	for path, ops := range spec.Paths {
		for m, op := range ops {
			ok := false
			for st, resp := range op.Responses {
				status, _ := strconv.Atoi(st)
				if status < 400 {
					ok = ok || status >= 200 && status < 300
					continue
				}
				if ref, _ := resp.Content["application/json"].Schema["$ref"].(string); ref != "#/components/schemas/Error" {
					t.Errorf("%s %s %s: not the Error schema", m, path, st)
				}
				for _, c := range strings.Split(resp.Description, " or ") {
					used[c] = true
					if s, known := codeStatus(c); !known || s != status {
						t.Errorf("%s %s: %s under %d, the contract answers it with %d", m, path, c, status, s)
					}
				}
				if h := map[int]string{429: "Retry-After", 503: "Retry-After", 405: "Allow"}[status]; h != "" && resp.Headers[h] == nil {
					t.Errorf("%s %s %d: no %s header", m, path, status, h)
				}
			}
			if !ok {
				t.Errorf("%s %s: no 2xx response", m, path)
			}
			if op.RequestBody != nil && op.RequestBody.Content["application/json"].Schema["$ref"] == nil {
				t.Errorf("%s %s: request body without a schema", m, path)
			}
		}
	}
	for _, c := range want {
		if !used[c] {
			t.Errorf("no response documents %s", c)
		}
	}
}

// The README's error table lists every code at the contract's status.
func TestREADMEErrorTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(moto.Root(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| (\\d{3}) \\|").FindAllStringSubmatch(string(b), -1)
	listed := map[string]bool{}
	for _, r := range rows {
		listed[r[1]] = true
		if s, ok := codeStatus(r[1]); !ok || strconv.Itoa(s) != r[2] {
			t.Errorf("README: %s with %s, the contract has %d", r[1], r[2], s)
		}
	}
	for _, c := range api.Codes() {
		if !listed[c] {
			t.Errorf("README's error table does not list %s", c)
		}
	}
}
