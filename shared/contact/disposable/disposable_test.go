package disposable

import (
	"strings"
	"testing"
)

// TestListIsSortedAndClean is what the binary search relies on: one lower-case
// domain a line, bytewise ascending, no repeats, ending in a newline.
func TestListIsSortedAndClean(t *testing.T) {
	if !strings.HasSuffix(domains, "\n") {
		t.Fatal("domains.txt does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(domains, "\n"), "\n")
	if len(lines) < 1000 {
		t.Fatalf("%d domains, want the whole list", len(lines))
	}
	for i, l := range lines {
		if l == "" || l != strings.ToLower(strings.TrimSpace(l)) {
			t.Fatalf("line %d: %q is not a trimmed lower-case domain", i+1, l)
		}
		if i > 0 && lines[i-1] >= l {
			t.Fatalf("line %d: %q after %q: not sorted or repeated", i+1, l, lines[i-1])
		}
	}
}

func TestContains(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(domains, "\n"), "\n")
	// Every listed domain is found, and no near miss is.
	for _, l := range lines {
		if !Contains(l) {
			t.Fatalf("Contains(%q) = false for a listed domain", l)
		}
		if Contains(l+"x") && !inList(lines, l+"x") {
			t.Fatalf("Contains(%q) = true, not listed", l+"x")
		}
	}
	for _, d := range []string{"", "gmail.com", "example.com", "a", "zzzzzzzz.zz", "0", "mailinator.com\nx"} {
		if Contains(d) != inList(lines, d) {
			t.Errorf("Contains(%q) = %v", d, Contains(d))
		}
	}
	if !Contains("mailinator.com") || !Contains(lines[0]) || !Contains(lines[len(lines)-1]) {
		t.Error("mailinator.com, the first or the last domain is not found")
	}
}

func inList(lines []string, d string) bool {
	for _, l := range lines {
		if l == d {
			return true
		}
	}
	return false
}

// BenchmarkContains is one lookup; it allocates nothing.
func BenchmarkContains(b *testing.B) {
	for b.Loop() {
		Contains("example.org")
	}
}
