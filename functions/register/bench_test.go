package register_test

import (
	"fmt"
	"testing"

	"github.com/checkin-registry/registry/shared/apitest"
)

// BenchmarkRegister is one registration through the handler against moto_server,
// each to a fresh number from a fresh address, with every limit on, in a table
// that holds items=N other items first. Its time is mostly the emulator's, and it
// must not grow with the table (the local stack keeps its speed however long it
// runs); ddb-calls/op is what it costs in DynamoDB.
func BenchmarkRegister(b *testing.B) {
	for _, n := range []int{0, 10000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			hs := newHarness(b, map[string]string{"SMS_HOURLY_BUDGET": "1000000"})
			hs.stack.Fill(b, n)
			hs.register(spread(0), registration(phone(0), "")) // the mode read, cached after
			hs.db.Reset()
			i := 1
			for b.Loop() {
				req := apitest.Request("POST", "/v1/registrations", nil, registration(phone(i), ""), spread(i))
				if resp := hs.call(hs.h, req); resp.StatusCode != 202 {
					b.Fatalf("status=%d body=%s", resp.StatusCode, resp.Body)
				}
				i++
			}
			calls, _ := hs.db.Calls()
			b.ReportMetric(float64(calls)/float64(b.N), "ddb-calls/op")
		})
	}
}
