package pow

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// BenchmarkSolveInNode is what the default difficulty costs a browser: Node runs
// the widget's algorithm with Web Crypto, and the server checks every answer.
func BenchmarkSolveInNode(b *testing.B) {
	node, err := exec.LookPath("node")
	if err != nil {
		b.Fatal("node is needed for this benchmark: ", err)
	}
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "infra", "powbench", "solve.mjs")
	c := Challenger{Key: make([]byte, 32), MaxNumber: 100000, TTL: time.Hour, Rand: rand.Reader}
	const perOp = 20 // one solve takes seconds: sample many per op for a mean worth reading
	var times []float64
	for b.Loop() {
		chs := make([]Challenge, perOp)
		for i := range chs {
			chs[i], _ = c.New(time.Now())
		}
		in, _ := json.Marshal(chs)
		cmd := exec.Command(node, script)
		cmd.Stdin = bytes.NewReader(in)
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("node: %v", err)
		}
		var res []struct {
			Payload string
			Ms      float64
		}
		if err := json.Unmarshal(out, &res); err != nil || len(res) != perOp {
			b.Fatalf("node answered %d results: %v", len(res), err)
		}
		for _, r := range res {
			if _, _, err := c.Verify(r.Payload, time.Now()); err != nil {
				b.Fatalf("node's solution refused: %v", err)
			}
			times = append(times, r.Ms)
		}
	}
	slices.Sort(times)
	total := 0.0
	for _, t := range times {
		total += t
	}
	b.ReportMetric(total/float64(len(times)), "mean-solve-ms")
	b.ReportMetric(times[len(times)*9/10], "p90-solve-ms")
	b.ReportMetric(times[len(times)-1], "worst-solve-ms")
}
