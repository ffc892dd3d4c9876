package register_test

import (
	"testing"
	"time"

	"github.com/checkin-registry/registry/shared/apitest"
)

// BenchmarkRegister is one registration through the handler against moto_server,
// each to a fresh number from a fresh address, with every limit on. Its time is
// mostly the emulator's; ddb-calls/op is what it costs in DynamoDB.
func BenchmarkRegister(b *testing.B) {
	hs := newHarness(b, map[string]string{"SMS_HOURLY_BUDGET": "1000000"})
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
}

// BenchmarkResend: a resend reads its registration with the limits in one batch.
func BenchmarkResend(b *testing.B) {
	hs := newHarness(b, map[string]string{"SMS_HOURLY_BUDGET": "1000000", "MODE_CACHE_TTL": "1000h", "MAX_RESENDS": "1", "DEST_MAX_SENDS": "1000000"})
	var ids []string
	for i := 0; i < b.N; i++ { // one registration per resend: each may resend once
		resp := hs.register(spread(i), registration(phone(i), ""))
		if resp.StatusCode != 202 {
			b.Fatalf("status=%d body=%s", resp.StatusCode, resp.Body)
		}
		ids = append(ids, apitest.Decode(b, resp)["registrationId"].(string))
	}
	hs.clock.Advance(time.Minute)
	hs.db.Reset()
	b.ResetTimer()
	for i := range b.N {
		if resp := hs.resend(ids[i], spread(i), map[string]any{}); resp.StatusCode != 202 {
			b.Fatalf("status=%d body=%s", resp.StatusCode, resp.Body)
		}
	}
	calls, _ := hs.db.Calls()
	b.ReportMetric(float64(calls)/float64(b.N), "ddb-calls/op")
}
