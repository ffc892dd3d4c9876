package register_test

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/apitest"
)

// The attacks of the contract's threat model, tried as a new user would.

func TestOneVictimFromTwentyIPsGetsOneMessage(t *testing.T) {
	hs := newHarness(t, nil)
	const victim = "+60123456789"
	for i := 0; i < 20; i++ {
		resp := hs.register(spread(i), registration(victim, ""))
		if i == 0 {
			wantStatus(t, resp, 202, "")
			continue
		}
		wantStatus(t, resp, 429, "rate_limited")
		if ra, _ := strconv.Atoi(resp.Headers["Retry-After"]); ra < 1 || ra > 60 {
			t.Fatalf("Retry-After = %q, want 1..60", resp.Headers["Retry-After"])
		}
		hs.clock.Advance(time.Second)
	}
	if n := len(hs.outbox.To(victim)); n != 1 {
		t.Fatalf("victim received %d messages, want 1", n)
	}
	// Kept up for a day, from ever-new addresses, it reaches three in all: the
	// window slides, so the fourth comes only when the first is a day old.
	for i := 20; i < 66; i++ {
		hs.clock.Advance(30 * time.Minute)
		hs.register(spread(i), registration(victim, ""))
	}
	if n := len(hs.outbox.To(victim)); n != 3 {
		t.Fatalf("victim received %d messages in 23 hours, want 3", n)
	}
	hs.clock.Advance(time.Hour)
	wantStatus(t, hs.register(spread(70), registration(victim, "")), 202, "")
}

func TestThirtySimultaneousRequestsToOneDestinationSendOne(t *testing.T) {
	hs := newHarness(t, nil)
	const victim = "+60123456780"
	resps := parallel(30, func(i int) events.APIGatewayProxyResponse {
		return hs.register(spread(i), registration(victim, ""))
	})
	ok := 0
	for _, r := range resps {
		switch r.StatusCode {
		case 202:
			ok++
		case 429:
		default:
			t.Fatalf("status %d: %s", r.StatusCode, r.Body)
		}
	}
	if ok != 1 || len(hs.outbox.To(victim)) != 1 {
		t.Fatalf("%d accepted, %d messages; want 1 and 1", ok, len(hs.outbox.To(victim)))
	}
}

func TestOneIPSprayingThirtyNumbersSendsAtMostTen(t *testing.T) {
	hs := newHarness(t, nil)
	sent := 0
	for i := 0; i < 30; i++ {
		resp := hs.register("192.0.2.77", registration(phone(i), ""))
		if resp.StatusCode == 428 { // the attacker pays the proof of work
			body := registration(phone(i), "")
			body["altcha"] = hs.solve()
			resp = hs.register("192.0.2.77", body)
		}
		switch resp.StatusCode {
		case 202:
			sent++
		case 429:
			// The window fills at 10:00, so it slides enough only at 11:06.
			if apitest.ErrorCode(t, resp) != "rate_limited" || resp.Headers["Retry-After"] != "3960" {
				t.Fatalf("refusal %d: %v %s", i, resp.Headers, resp.Body)
			}
		default:
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, resp.Body)
		}
	}
	if sent != 10 || hs.outbox.Len() != 10 {
		t.Fatalf("%d accepted, %d sent; want 10", sent, hs.outbox.Len())
	}
	// The limit slides: at 11:00 the ten of 10:00 still count; by 11:06 one has
	// slid out of the last hour.
	hs.clock.Advance(time.Hour)
	body := registration(phone(98), "")
	body["altcha"] = hs.solve()
	wantStatus(t, hs.register("192.0.2.77", body), 429, "rate_limited")
	hs.clock.Advance(6 * time.Minute)
	body = registration(phone(99), "")
	body["altcha"] = hs.solve()
	wantStatus(t, hs.register("192.0.2.77", body), 202, "")
	body = registration(phone(100), "")
	body["altcha"] = hs.solve()
	wantStatus(t, hs.register("192.0.2.77", body), 429, "rate_limited")
}

func TestSixtyIPsInOneNetworkSendAtMostThirty(t *testing.T) {
	hs := newHarness(t, nil)
	sent := 0
	for i := 0; i < 60; i++ {
		resp := hs.register(sameNet(i), registration(phone(i), ""))
		if resp.StatusCode == 202 {
			sent++
		} else {
			wantStatus(t, resp, 429, "rate_limited")
		}
	}
	if sent != 30 || hs.outbox.Len() != 30 {
		t.Fatalf("%d accepted, %d sent; want 30", sent, hs.outbox.Len())
	}
	// IPv6: a /56 is one network.
	hs2 := newHarness(t, map[string]string{"NETWORK_MAX_REQUESTS": "3"})
	for i, ip := range []string{"2001:db8:0:1::1", "2001:db8:0:2::1", "2001:db8:0:ff::1", "2001:db8:0:3::1"} {
		resp := hs2.register(ip, registration(phone(i), ""))
		if want := 202; i == 3 {
			wantStatus(t, resp, 429, "rate_limited")
		} else {
			wantStatus(t, resp, want, "")
		}
	}
	wantStatus(t, hs2.register("2001:db8:1::1", registration(phone(9), "")), 202, "")
}

func TestGlobalBudgetClosesTheChannel(t *testing.T) {
	hs := newHarness(t, map[string]string{"SMS_HOURLY_BUDGET": "5", "EMAIL_HOURLY_BUDGET": "1"})
	hs.clock.Advance(20 * time.Minute)
	for i := 0; i < 5; i++ {
		wantStatus(t, hs.register(spread(i), registration(phone(i), "")), 202, "")
	}
	resp := hs.register(spread(5), registration(phone(5), ""))
	wantStatus(t, resp, 503, "temporarily_unavailable")
	// The budget slides: one more fits at 11:12, when the five of 10:20 weigh four.
	if resp.Headers["Retry-After"] != "3120" {
		t.Fatalf("Retry-After = %q, want 3120 (11:12)", resp.Headers["Retry-After"])
	}
	// E-mail has its own budget.
	wantStatus(t, hs.register(spread(6), registration("", "ali@example.com")), 202, "")
	wantStatus(t, hs.register(spread(7), registration("", "abu@example.com")), 503, "temporarily_unavailable")
	if hs.outbox.Len() != 6 {
		t.Fatalf("%d sent, want 6", hs.outbox.Len())
	}
	if m := hs.stack.Metrics.String(); !strings.Contains(m, `"BudgetExhausted":1`) {
		t.Fatalf("no BudgetExhausted metric:\n%s", m)
	}
	hs.clock.Advance(40 * time.Minute) // 11:00: no clock-hour reset
	wantStatus(t, hs.register(spread(8), registration(phone(8), "")), 503, "temporarily_unavailable")
	hs.clock.Advance(12 * time.Minute)
	wantStatus(t, hs.register(spread(8), registration(phone(8), "")), 202, "")
}

func TestLimitsHoldAcrossTwoInstances(t *testing.T) {
	hs := newHarness(t, map[string]string{"POW_SOFT_THRESHOLD": "1000"})
	other := hs.instance(map[string]string{"POW_SOFT_THRESHOLD": "1000"})
	sent := 0
	for i := 0; i < 16; i++ {
		h := hs.h
		if i%2 == 1 {
			h = other
		}
		resp := hs.call(h, apitest.Request("POST", "/v1/registrations", nil, registration(phone(i), ""), "192.0.2.10"))
		if resp.StatusCode == 202 {
			sent++
		}
	}
	if sent != 10 {
		t.Fatalf("%d sent through two instances, want 10", sent)
	}
	// And a destination's cooldown, claimed by one, binds the other.
	wantStatus(t, hs.call(other, apitest.Request("POST", "/v1/registrations", nil, registration(phone(0), ""), "192.0.2.11")), 429, "rate_limited")
}

func TestConcurrentSprayFromOneIPSendsTen(t *testing.T) {
	hs := newHarness(t, map[string]string{"POW_SOFT_THRESHOLD": "1000"})
	other := hs.instance(map[string]string{"POW_SOFT_THRESHOLD": "1000"})
	resps := parallel(24, func(i int) events.APIGatewayProxyResponse {
		h := hs.h
		if i%2 == 1 {
			h = other
		}
		return hs.call(h, apitest.Request("POST", "/v1/registrations", nil, registration(phone(i), ""), "192.0.2.20"))
	})
	sent := 0
	for _, r := range resps {
		if r.StatusCode == 202 {
			sent++
		} else if r.StatusCode != 429 {
			t.Fatalf("status %d: %s", r.StatusCode, r.Body)
		}
	}
	if sent != 10 || hs.outbox.Len() != 10 {
		t.Fatalf("%d accepted and %d sent concurrently, want 10 and 10", sent, hs.outbox.Len())
	}
}

func TestProtectionModes(t *testing.T) {
	hs := newHarness(t, map[string]string{"MODE_CACHE_TTL": "0s"})
	hs.setMode("elevated")
	wantStatus(t, hs.register("192.0.2.30", registration(phone(1), "")), 428, "challenge_required")
	body := registration(phone(1), "")
	body["altcha"] = "bm90IGEgc29sdXRpb24="
	wantStatus(t, hs.register("192.0.2.30", body), 428, "challenge_required")
	body["altcha"] = hs.solve()
	wantStatus(t, hs.register("192.0.2.30", body), 202, "")
	// A solution is good once.
	replay := registration(phone(2), "")
	replay["altcha"] = body["altcha"]
	wantStatus(t, hs.register("192.0.2.31", replay), 428, "challenge_required")

	hs.setMode("lockdown")
	wantStatus(t, hs.register("192.0.2.32", registration(phone(3), "")), 503, "temporarily_unavailable")
	wantStatus(t, hs.register("192.0.2.32", registration("", "ali@example.com")), 428, "challenge_required")
	email := registration("", "ali@example.com")
	email["altcha"] = hs.solve()
	wantStatus(t, hs.register("192.0.2.32", email), 202, "")

	hs.setMode("normal")
	wantStatus(t, hs.register("192.0.2.33", registration(phone(4), "")), 202, "")
	if hs.outbox.Len() != 3 {
		t.Fatalf("%d sent, want 3", hs.outbox.Len())
	}
}

func TestModeIsCached(t *testing.T) {
	hs := newHarness(t, nil) // MODE_CACHE_TTL defaults to 5s
	wantStatus(t, hs.register("192.0.2.40", registration(phone(1), "")), 202, "")
	hs.setMode("elevated")
	hs.clock.Advance(4 * time.Second)
	wantStatus(t, hs.register("192.0.2.41", registration(phone(2), "")), 202, "")
	hs.clock.Advance(2 * time.Second)
	wantStatus(t, hs.register("192.0.2.42", registration(phone(3), "")), 428, "challenge_required")
}

func TestSoftThresholdDemandsProofOfWork(t *testing.T) {
	hs := newHarness(t, nil)
	for i := 0; i < 3; i++ {
		wantStatus(t, hs.register("192.0.2.50", registration(phone(i), "")), 202, "")
	}
	wantStatus(t, hs.register("192.0.2.50", registration(phone(3), "")), 428, "challenge_required")
	wantStatus(t, hs.register("192.0.2.51", registration(phone(4), "")), 202, "")
}

func TestDynamoDBCallsPerRegister(t *testing.T) {
	hs := newHarness(t, nil)
	wantStatus(t, hs.register("192.0.2.60", registration(phone(0), "")), 202, "")
	first, _ := hs.db.Calls()
	hs.db.Reset()
	wantStatus(t, hs.register("192.0.2.61", registration(phone(1), "")), 202, "")
	steady, by := hs.db.Calls()
	hs.db.Reset()
	wantStatus(t, hs.register("192.0.2.62", registration(phone(1), "")), 429, "rate_limited")
	refused, _ := hs.db.Calls()
	t.Logf("DynamoDB calls per register: first %d (mode read), then %d %v; refused by a limit %d", first, steady, by, refused)
	if first != 3 || steady != 2 || by["BatchGetItem"] != 1 || by["TransactWriteItems"] != 1 || refused != 2 {
		t.Fatalf("calls: first %d, steady %d %v, refused %d; want 3, 2 (one BatchGetItem, one TransactWriteItems), 2", first, steady, by, refused)
	}
}

// A resend reads its registration in the same batch as the limits.
func TestDynamoDBCallsPerResend(t *testing.T) {
	hs := newHarness(t, map[string]string{"MODE_CACHE_TTL": "1h", "DEST_MAX_SENDS": "2"}) // the mode read is not the resend's
	resp := hs.register("192.0.2.63", registration(phone(2), ""))
	wantStatus(t, resp, 202, "")
	id := apitest.Decode(t, resp)["registrationId"].(string)
	hs.clock.Advance(time.Minute)
	hs.db.Reset()
	wantStatus(t, hs.resend(id, "192.0.2.63", map[string]any{}), 202, "")
	n, by := hs.db.Calls()
	t.Logf("DynamoDB calls per resend: %d %v", n, by)
	if n != 2 || by["BatchGetItem"] != 1 || by["TransactWriteItems"] != 1 {
		t.Fatalf("resend made %d calls %v, want 2 (one BatchGetItem, one TransactWriteItems)", n, by)
	}
	if len(hs.outbox.To(phone(2))) != 2 {
		t.Fatalf("%d messages, want 2", len(hs.outbox.To(phone(2))))
	}
	// Its destination's limits were not read: the transaction finds the cap, and
	// one more records the request against its client.
	hs.clock.Advance(2 * time.Minute)
	hs.db.Reset()
	wantStatus(t, hs.resend(id, "192.0.2.63", map[string]any{}), 429, "rate_limited")
	n, by = hs.db.Calls()
	t.Logf("DynamoDB calls per resend refused by a destination limit: %d %v", n, by)
	if n != 3 || by["TransactWriteItems"] != 2 {
		t.Fatalf("refused resend made %d calls %v, want 3", n, by)
	}
	if audits := hs.items("audit#"); len(audits) != 3 {
		t.Fatalf("%d audit records, want 3 (the refusal's too)", len(audits))
	}
}

func parallel(n int, f func(i int) events.APIGatewayProxyResponse) []events.APIGatewayProxyResponse {
	out := make([]events.APIGatewayProxyResponse, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			out[i] = f(i)
		}()
	}
	close(gate)
	wg.Wait()
	return out
}

func TestBehindCloudFrontTheViewerIsTheClient(t *testing.T) {
	const secret = "0123456789abcdef0123456789abcdef"
	hs := newHarness(t, map[string]string{"ORIGIN_VERIFY_SECRET": secret, "IP_MAX_REQUESTS": "1"})
	via := func(viewer, secretSent string, n int) events.APIGatewayProxyResponse {
		req := apitest.Request("POST", "/v1/registrations", nil, registration(phone(n), ""), "130.176.1.1") // an edge
		req.Headers["CloudFront-Viewer-Address"] = viewer
		if secretSent != "" {
			req.Headers["X-Origin-Verify"] = secretSent
		}
		return hs.call(hs.h, req)
	}
	wantStatus(t, via("198.51.100.1:40000", secret, 1), 202, "")
	wantStatus(t, via("198.51.100.1:40001", secret, 2), 429, "rate_limited") // same viewer, new port
	wantStatus(t, via("2001:db8::7:40002", secret, 3), 202, "")              // another viewer, same edge
	wantStatus(t, via("203.0.113.9:1", "", 4), 403, "forbidden")             // straight to the API
	wantStatus(t, via("203.0.113.9:1", "guess", 5), 403, "forbidden")
	if hs.outbox.Len() != 2 {
		t.Fatalf("%d sent, want 2", hs.outbox.Len())
	}
}

// conflict is DynamoDB cancelling a transaction because another one held an item,
// here the channel's budget counter, the busiest item of all.
func conflict() error {
	reasons := make([]types.CancellationReason, 12)
	for i := range reasons {
		reasons[i].Code = aws.String("None")
	}
	reasons[5].Code = aws.String("TransactionConflict") // the budget counter, in the order send.go claims
	return &types.TransactionCanceledException{Message: aws.String("Transaction cancelled"), CancellationReasons: reasons}
}

func TestTransactionConflictsAreNeitherLimitsNorAlarms(t *testing.T) {
	hs := newHarness(t, nil)
	conflicts := 2
	hs.beforeCommit = func() error {
		if conflicts > 0 {
			conflicts--
			return conflict()
		}
		return nil
	}
	wantStatus(t, hs.register("192.0.2.70", registration(phone(0), "")), 202, "")
	if hs.outbox.Len() != 1 {
		t.Fatalf("%d sent after two conflicts, want 1", hs.outbox.Len())
	}
	hs.beforeCommit = func() error { return conflict() }
	resp := hs.register("192.0.2.71", registration(phone(1), ""))
	wantStatus(t, resp, 503, "temporarily_unavailable")
	if resp.Headers["Retry-After"] != "1" {
		t.Fatalf("Retry-After = %q, want 1", resp.Headers["Retry-After"])
	}
	if m := hs.stack.Metrics.String(); strings.Contains(m, "BudgetExhausted") || strings.Contains(m, "SendBlocked") {
		t.Fatalf("contention was counted as a limit:\n%s", m)
	}
}

// DynamoDB deletes expired items late (and the emulator never): a destination
// whose send log has expired but still exists must be sendable again.
func TestExpiredSendLogDoesNotLockTheDestinationOut(t *testing.T) {
	hs := newHarness(t, nil)
	wantStatus(t, hs.register("192.0.2.80", registration(phone(0), "")), 202, "")
	hs.clock.Advance(25 * time.Hour)
	wantStatus(t, hs.register("192.0.2.81", registration(phone(0), "")), 202, "")
	if n := len(hs.outbox.To(phone(0))); n != 2 {
		t.Fatalf("%d messages, want 2", n)
	}
}

// An IPv6 subscriber chooses the host half of its /64: the whole /64 is one client.
func TestIPv6ClientIsItsSlash64(t *testing.T) {
	hs := newHarness(t, map[string]string{"POW_SOFT_THRESHOLD": "1000"})
	sent := 0
	for i := 1; i <= 12; i++ {
		if hs.register(fmt.Sprintf("2001:db8:0:1::%x", i), registration(phone(i), "")).StatusCode == 202 {
			sent++
		}
	}
	if sent != 10 {
		t.Fatalf("%d sent from one /64, want 10", sent)
	}
	wantStatus(t, hs.register("2001:db8:0:2::1", registration(phone(20), "")), 202, "")
}

// The soft threshold is claimed in the send transaction: simultaneous requests
// cannot all read the count below it and slip past the challenge.
func TestSimultaneousRequestsWithoutASolutionGetTheSoftThreshold(t *testing.T) {
	hs := newHarness(t, nil) // POW_SOFT_THRESHOLD 3
	resps := parallel(30, func(i int) events.APIGatewayProxyResponse {
		return hs.register("192.0.2.90", registration(phone(i), ""))
	})
	ok := 0
	for _, r := range resps {
		switch r.StatusCode {
		case 202:
			ok++
		case 428:
			if apitest.ErrorCode(t, r) != "challenge_required" {
				t.Fatalf("428 with %s", r.Body)
			}
		case 429, 503: // the client's limit, or contention on its counter: not a 202 either
		default:
			t.Fatalf("status %d: %s", r.StatusCode, r.Body)
		}
	}
	if ok > 3 || hs.outbox.Len() != ok {
		t.Fatalf("%d accepted and %d sent without a solution, want at most 3", ok, hs.outbox.Len())
	}
	// The threshold still lets a solved request through.
	body := registration(phone(40), "")
	body["altcha"] = hs.solve()
	wantStatus(t, hs.register("192.0.2.90", body), 202, "")
}

// 40 spellings of one Proton inbox and 40 of one Fastmail inbox, from 40
// networks over a day, reach each inbox at most three times.
func TestFortySpellingsOfOneInboxGetThreeADay(t *testing.T) {
	hs := newHarness(t, nil)
	proton := []string{"proton.me", "protonmail.com", "protonmail.ch", "pm.me"}
	locals := []string{"victim", "vic.tim", "v-ictim", "vic_tim", "V.i-C_t.I.m", "VICTIM"}
	for _, tt := range []struct {
		name     string
		spelling func(i int) string
	}{
		{"proton", func(i int) string { return fmt.Sprintf("%s+%d@%s", locals[i%len(locals)], i, proton[i%len(proton)]) }},
		{"fastmail", func(i int) string {
			if i%2 == 0 {
				return fmt.Sprintf("x%d@victim.fastmail.com", i)
			}
			return fmt.Sprintf("Victim+%d@fastmail.com", i)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := hs.outbox.Len()
			for i := 0; i < 40; i++ {
				resp := hs.register(spread(i+100*len(tt.name)), registration("", tt.spelling(i)))
				if resp.StatusCode != 202 && resp.StatusCode != 429 {
					t.Fatalf("%s: %d %s", tt.spelling(i), resp.StatusCode, resp.Body)
				}
				hs.clock.Advance(30 * time.Minute) // 40 in 20 hours
			}
			if n := hs.outbox.Len() - before; n != 3 {
				t.Fatalf("one %s inbox got %d codes in 20 hours, want 3", tt.name, n)
			}
		})
	}
}

// A catch-all domain: 40 addresses at it, from 40 networks, get 10 codes an hour
// and 30 a day; the big providers' domains have no such limit.
func TestOneCustomDomainGetsTenCodesAnHour(t *testing.T) {
	hs := newHarness(t, nil)
	sent := func(domain string, from, n int) int {
		before := hs.outbox.Len()
		for i := from; i < from+n; i++ {
			resp := hs.register(spread(i), registration("", fmt.Sprintf("user%d@mail.%s", i, domain)))
			if resp.StatusCode != 202 {
				wantStatus(t, resp, 429, "rate_limited")
			}
		}
		return hs.outbox.Len() - before
	}
	if n := sent("catchall.example", 0, 40); n != 10 {
		t.Fatalf("%d codes to one domain in an hour, want 10", n)
	}
	total := 10
	for h := 1; h < 5; h++ {
		hs.clock.Advance(time.Hour)
		total += sent("catchall.example", 40*h, 12)
	}
	if total != 30 {
		t.Fatalf("%d codes to one domain in 5 hours, want 30: 10 an hour, 30 a day", total)
	}
	if n := sent("other.example", 500, 5); n != 5 {
		t.Fatalf("another domain got %d of 5", n)
	}
	before := hs.outbox.Len()
	for i := 0; i < 40; i++ {
		wantStatus(t, hs.register(spread(600+i), registration("", fmt.Sprintf("someone%d@gmail.com", i))), 202, "")
	}
	if n := hs.outbox.Len() - before; n != 40 {
		t.Fatalf("%d codes to 40 Gmail users, want 40: a big provider has no domain limit", n)
	}
}

func TestDomainLimitsAreConfigurable(t *testing.T) {
	hs := newHarness(t, map[string]string{"DOMAIN_HOURLY_MAX": "2"})
	for i := 0; i < 3; i++ {
		resp := hs.register(spread(i), registration("", fmt.Sprintf("u%d@shop.my", i)))
		if i < 2 {
			wantStatus(t, resp, 202, "")
		} else {
			wantStatus(t, resp, 429, "rate_limited")
			if resp.Headers["Retry-After"] != "3600" {
				t.Fatalf("Retry-After = %q, want 3600", resp.Headers["Retry-After"])
			}
		}
	}
}
