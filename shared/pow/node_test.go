package pow

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"runtime"
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
	var total, worst float64
	for b.Loop() {
		ch, _ := c.New(time.Now())
		in, _ := json.Marshal(ch)
		cmd := exec.Command(node, script)
		cmd.Stdin = bytes.NewReader(in)
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("node: %v", err)
		}
		var res struct {
			Payload string
			Ms      float64
		}
		if err := json.Unmarshal(out, &res); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.Verify(res.Payload, time.Now()); err != nil {
			b.Fatalf("node's solution refused: %v", err)
		}
		total += res.Ms
		worst = max(worst, res.Ms)
	}
	b.ReportMetric(total/float64(b.N), "solve-ms/op")
	b.ReportMetric(worst, "worst-solve-ms")
}
