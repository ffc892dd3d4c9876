package register_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

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

// BenchmarkConcurrentSenders is 50 senders registering at once, each to a fresh
// number from a fresh address, against moto_server. Every code sent updates the
// channel budget's counters in its transaction: the hot items. conflicts/op is
// the share of transactions DynamoDB-style cancelled on a budget item (a
// TransactionConflict, or a condition that lost a race while the budget had
// room); overlap/op the share that started while another one on the same
// budget item was still in flight, which is what DynamoDB would cancel if its
// transactions took as long as the emulator's (see README, Scaling).
func BenchmarkConcurrentSenders(b *testing.B) {
	for _, shards := range []string{"1", "4"} {
		b.Run("shards="+shards, func(b *testing.B) { concurrentSenders(b, shards) })
	}
}

func concurrentSenders(b *testing.B, shards string) {
	hs := newHarness(b, map[string]string{"SMS_HOURLY_BUDGET": "1000000", "BUDGET_SHARDS": shards})
	hs.register(spread(0), registration(phone(0), "")) // the mode read, cached after
	var mu sync.Mutex
	inFlight := map[string]int{}
	var txs, overlaps, conflicts int
	hs.commits = func(in *dynamodb.TransactWriteItemsInput) func(error) {
		var hot []string
		for _, it := range in.TransactItems {
			if u := it.Update; u != nil {
				if pk := u.Key["pk"].(*types.AttributeValueMemberS).Value; strings.HasPrefix(pk, "rl#channel") {
					hot = append(hot, pk)
				}
			}
		}
		if len(hot) == 0 {
			return nil
		}
		mu.Lock()
		txs++
		over := false
		for _, k := range hot {
			over = over || inFlight[k] > 0
			inFlight[k]++
		}
		if over {
			overlaps++
		}
		mu.Unlock()
		return func(err error) {
			mu.Lock()
			defer mu.Unlock()
			for _, k := range hot {
				inFlight[k]--
			}
			var cancelled *types.TransactionCanceledException
			if errors.As(err, &cancelled) {
				for i, r := range cancelled.CancellationReasons {
					if c := aws.ToString(r.Code); c != "None" && i < len(in.TransactItems) && in.TransactItems[i].Update != nil &&
						strings.HasPrefix(in.TransactItems[i].Update.Key["pk"].(*types.AttributeValueMemberS).Value, "rl#channel") {
						conflicts++
						break
					}
				}
			}
		}
	}
	var next atomic.Int64
	next.Store(1)
	b.SetParallelism(max(1, 50/runtime.GOMAXPROCS(0)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(next.Add(1))
			req := apitest.Request("POST", "/v1/registrations", nil, registration(phone(i), ""), spread(i))
			if resp, err := hs.h.Handle(context.Background(), req); err != nil || resp.StatusCode != 202 {
				b.Errorf("status=%d body=%s", resp.StatusCode, resp.Body)
			}
		}
	})
	b.ReportMetric(float64(conflicts)/float64(max(txs, 1)), "conflicts/op")
	b.ReportMetric(float64(overlaps)/float64(max(txs, 1)), "overlap/op")
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

// BenchmarkSignIn is one sign-in by code through the handler against
// moto_server, for a contact that owns a venue (a code is sent) and for one that
// owns none (nothing is), each from a fresh address. ddb-calls/op must be the
// same for both, and virtual-ms/op, the time the injected clock moved (the
// padding, with the send inside it), too.
func BenchmarkSignIn(b *testing.B) {
	for _, who := range []string{"owner", "stranger"} {
		b.Run(who, func(b *testing.B) {
			hs := newHarness(b, map[string]string{"DEST_MAX_SENDS": "1000000", "DEST_COOLDOWN": "1s", "MODE_CACHE_TTL": "8760h"})
			contact := phone(9000)
			hs.owns(hs.verifier(), phone(9001))
			if who == "owner" {
				contact = phone(9001)
			}
			hs.sendTime = 200 * time.Millisecond
			hs.clock.Advance(time.Minute)
			hs.db.Reset()
			began, i := hs.clock.Now(), 0
			for b.Loop() {
				hs.clock.Advance(time.Second) // past the cooldown
				if resp := hs.signIn(spread(i), map[string]any{"phone": contact}); resp.StatusCode != 202 {
					b.Fatalf("status=%d body=%s", resp.StatusCode, resp.Body)
				}
				i++
			}
			calls, _ := hs.db.Calls()
			b.ReportMetric(float64(calls)/float64(b.N), "ddb-calls/op")
			b.ReportMetric(float64((hs.clock.Now().Sub(began)-time.Duration(b.N)*time.Second).Milliseconds())/float64(b.N), "virtual-ms/op")
		})
	}
}
