package config

import (
	"strings"
	"testing"
	"time"
)

func TestEnv(t *testing.T) {
	e := FromMap(map[string]string{"N": "7", "D": "90s", "B": "true", "L": " a, b ,,c ", "BADN": "x", "NEG": "-1", "BADD": "soon", "S": "  v "})
	if e.Int("N", 1, 0) != 7 || e.Int("MISSING", 3, 0) != 3 || e.Duration("D", 0, 0) != 90*time.Second || !e.Bool("B", false) || e.String("S", "") != "v" {
		t.Fatal("values not read")
	}
	if got := e.List("L", nil); strings.Join(got, "|") != "a|b|c" {
		t.Fatalf("List = %q", got)
	}
	if e.Err() != nil {
		t.Fatalf("Err = %v before any bad value", e.Err())
	}
	e.Int("BADN", 1, 0)
	e.Int("NEG", 1, 0)
	e.Duration("BADD", time.Second, 0)
	e.Required("NOPE")
	err := e.Err()
	for _, name := range []string{"BADN", "NEG", "BADD", "NOPE"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("Err = %v, want it to name %s", err, name)
		}
	}
}
