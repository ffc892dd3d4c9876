package policy

import (
	"fmt"
	"os"
	"os/exec"
	"sort"
	"testing"
	"time"
)

// BenchmarkFirstPhone is what a fresh process pays for phone numbers, which
// libphonenumber unpacks on first use: each iteration starts this test binary
// anew (firstPhoneChild), which checks the policy as Wire does, then parses two
// numbers. validate-ms, first-ms and second-ms are the medians of each step.
func BenchmarkFirstPhone(b *testing.B) {
	var validate, first, second []float64
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFirstPhoneChild$", "-test.bench=^$", "-test.count=1")
		cmd.Env = append(os.Environ(), "POLICY_FIRST_PHONE_CHILD=1")
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
		var v, f, s float64
		if _, err := fmt.Sscanf(string(out), "%g %g %g", &v, &f, &s); err != nil {
			b.Fatalf("child said %q: %v", out, err)
		}
		validate, first, second = append(validate, v), append(first, f), append(second, s)
	}
	b.ReportMetric(medianOf(validate), "validate-ms")
	b.ReportMetric(medianOf(first), "first-ms")
	b.ReportMetric(medianOf(second), "second-ms")
}

func medianOf(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
}

// TestFirstPhoneChild times, in a process where nothing has parsed a number
// yet, the policy check and the first two numbers, in milliseconds on stdout.
func TestFirstPhoneChild(t *testing.T) {
	if os.Getenv("POLICY_FIRST_PHONE_CHILD") == "" {
		t.Skip("run by BenchmarkFirstPhone")
	}
	ms := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
	t0 := time.Now()
	if err := myMobiles.Validate(); err != nil {
		t.Fatal(err)
	}
	t1 := time.Now()
	if _, err := myMobiles.Phone("012-345 6789"); err != nil {
		t.Fatal(err)
	}
	t2 := time.Now()
	if _, err := myMobiles.Phone("013-456 7890"); err != nil {
		t.Fatal(err)
	}
	t3 := time.Now()
	fmt.Printf("%g %g %g\n", ms(t1.Sub(t0)), ms(t2.Sub(t1)), ms(t3.Sub(t2)))
}
