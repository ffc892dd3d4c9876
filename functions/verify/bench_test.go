package verify_test

import (
	"fmt"
	"testing"
)

// BenchmarkVerify is one successful verification against moto_server; the
// registration it needs is made outside the timer.
func BenchmarkVerify(b *testing.B) {
	hs := newHarness(b)
	hs.db.Reset()
	i := 0
	for b.Loop() {
		b.StopTimer()
		id, code := hs.registered(fmt.Sprintf("+6012%07d", 4000000+i))
		i++
		b.StartTimer()
		if resp := hs.verify(id, map[string]any{"code": code}); resp.StatusCode != 200 {
			b.Fatalf("status=%d body=%s", resp.StatusCode, resp.Body)
		}
	}
	calls, _ := hs.db.Calls()
	b.ReportMetric(float64(calls)/float64(b.N), "ddb-calls/op")
}
