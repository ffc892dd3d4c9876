package register_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/checkin-registry/registry/functions/register"
	"github.com/checkin-registry/registry/functions/verify"
	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/pow"
	"github.com/checkin-registry/registry/shared/pow/powtest"
	"github.com/checkin-registry/registry/shared/store"
)

// learning is a harness with the limits that learn at their defaults, but for
// vars, and a verify handler over the same table.
func learning(t *testing.T, vars map[string]string) (*harness, *verify.Handler) {
	t.Helper()
	all := map[string]string{"UNVERIFIED_SHRINKS": "1", "SMS_OPEN_BUDGET": "60", "EMAIL_OPEN_BUDGET": "400",
		"PREFIX_MAX_UNVERIFIED": "20", "POW_NETWORK_FLOOR": "5"}
	for k, v := range vars {
		all[k] = v
	}
	hs := newHarness(t, all)
	cfg, err := verify.LoadConfig(hs.stack.Config("VerifyFunction", nil))
	if err != nil {
		t.Fatal(err)
	}
	rt := hs.stack.Runtime("VerifyFunction")
	rt.Now = hs.clock.Now
	return hs, verify.New(cfg, store.New(hs.db, hs.stack.Store().Table()), hs.keys, rt)
}

func (hs *harness) verified(v *verify.Handler, id, number string) {
	hs.t.Helper()
	req := apitest.Request("POST", "/v1/registrations/{registrationId}/verify", map[string]string{"registrationId": id},
		map[string]any{"code": hs.lastCode(number)}, "192.0.2.200")
	if resp := apitest.Call(hs.t, v, req); resp.StatusCode != 200 {
		hs.t.Fatalf("verify: %d %s", resp.StatusCode, resp.Body)
	}
}

func registrationID(t *testing.T, body string) string {
	var r struct {
		RegistrationID string `json:"registrationId"`
	}
	json.Unmarshal([]byte(body), &r)
	return r.RegistrationID
}

// An address whose codes are never verified has 5 (of a base of 10); one whose
// codes are keeps going, and verify credits it in the transaction it already
// makes.
func TestVerifiedCodesEarnAllowance(t *testing.T) {
	hs, ver := learning(t, map[string]string{"POW_SOFT_THRESHOLD": "1000", "POW_NETWORK_FLOOR": "1000", "SMS_OPEN_BUDGET": "100000"})
	bomber, shop := "203.0.113.9", "198.51.100.20"
	for i := 0; i < 5; i++ {
		wantStatus(t, hs.register(bomber, registration(phone(i), "")), 202, "")
	}
	wantStatus(t, hs.register(bomber, registration(phone(5), "")), 429, "rate_limited")
	for i := 0; i < 30; i++ {
		resp := hs.register(shop, registration(phone(100+i), ""))
		wantStatus(t, resp, 202, "")
		hs.db.Reset()
		hs.verified(ver, registrationID(t, resp.Body), phone(100+i))
		if calls, by := hs.db.Calls(); calls != 2 || by["TransactWriteItems"] != 1 {
			t.Fatalf("verify made %d DynamoDB calls (%v), want 2 as before", calls, by)
		}
	}
}

// Strangers share the open part of the SMS budget: past two thirds of it they
// solve a challenge, past it 503; a client with verified codes is not a stranger.
func TestStrangersShareTheOpenBudget(t *testing.T) {
	hs, ver := learning(t, map[string]string{"SMS_OPEN_BUDGET": "6", "POW_SOFT_THRESHOLD": "1000"})
	shop := "198.51.100.20"
	resp := hs.register(shop, registration(phone(100), ""))
	wantStatus(t, resp, 202, "")
	hs.verified(ver, registrationID(t, resp.Body), phone(100))
	for i := 1; i < 4; i++ {
		wantStatus(t, hs.register(spread(i), registration(phone(i), "")), 202, "")
	}
	wantStatus(t, hs.register(spread(4), registration(phone(4), "")), 428, "challenge_required")
	body := registration(phone(4), "")
	body["altcha"] = hs.solve()
	wantStatus(t, hs.register(spread(4), body), 202, "")
	body = registration(phone(5), "")
	body["altcha"] = hs.solve()
	wantStatus(t, hs.register(spread(5), body), 202, "")
	body = registration(phone(6), "")
	body["altcha"] = hs.solve()
	wantStatus(t, hs.register(spread(6), body), 503, "temporarily_unavailable")
	// The shop's address has a verified code: the rest of the budget is its.
	wantStatus(t, hs.register(shop, registration(phone(101), "")), 202, "")
}

// A network's challenges grow harder with its unverified codes, and a solution
// to an easier one is refused.
func TestChallengesGrowHarderWithUnverifiedCodes(t *testing.T) {
	hs, _ := learning(t, map[string]string{"POW_SOFT_THRESHOLD": "1000", "POW_NETWORK_FLOOR": "3", "SMS_OPEN_BUDGET": "100000"})
	for i := 0; i < 4; i++ {
		wantStatus(t, hs.register(sameNet(i), registration(phone(i), "")), 202, "")
	}
	wantStatus(t, hs.register(sameNet(4), registration(phone(4), "")), 428, "challenge_required")
	challenge := func(ip string) pow.Challenge {
		resp := hs.call(hs.h, apitest.Request("GET", "/v1/challenge", nil, nil, ip))
		var c pow.Challenge
		json.Unmarshal([]byte(resp.Body), &c)
		return c
	}
	if c := challenge(sameNet(4)); c.MaxNumber != 2*2000 {
		t.Fatalf("challenge for a network 1 past its floor: maxnumber %d, want 4000", c.MaxNumber)
	}
	body := registration(phone(4), "")
	body["altcha"] = hs.solve() // another network's, as hard as the base
	resp := hs.register(sameNet(4), body)
	wantStatus(t, resp, 428, "challenge_required")
	if !strings.Contains(resp.Body, "harder") {
		t.Fatalf("refusal %s: want it to ask for a harder challenge", resp.Body)
	}
	solved, err := powtest.Solve(challenge(sameNet(4)))
	if err != nil {
		t.Fatal(err)
	}
	body["altcha"] = solved
	wantStatus(t, hs.register(sameNet(4), body), 202, "")
	if c := challenge(sameNet(5)); c.MaxNumber != 4*2000 {
		t.Fatalf("2 past the floor: maxnumber %d, want 8000", c.MaxNumber)
	}
}

// A number range that takes 20 unverified codes is blocked for 12 hours, with a
// metric; other ranges are not.
func TestPumpedRangeIsBlocked(t *testing.T) {
	hs, _ := learning(t, map[string]string{"PREFIX_MAX_UNVERIFIED": "3", "POW_SOFT_THRESHOLD": "1000", "POW_NETWORK_FLOOR": "1000", "SMS_OPEN_BUDGET": "100000"})
	inRange := func(i int) string { return "+6012345" + strings.Repeat("0", 3) + string(rune('0'+i)) }
	for i := 0; i < 3; i++ {
		wantStatus(t, hs.register(spread(i), registration(inRange(i), "")), 202, "")
	}
	resp := hs.register(spread(3), registration(inRange(3), ""))
	wantStatus(t, resp, 429, "rate_limited")
	if !strings.Contains(hs.stack.Metrics.String(), `"PrefixBlocked"`) {
		t.Fatalf("no PrefixBlocked metric:\n%s", hs.stack.Metrics.String())
	}
	hs.clock.Advance(time.Hour)
	resp = hs.register(spread(4), registration(inRange(4), ""))
	wantStatus(t, resp, 429, "rate_limited")
	if resp.Headers["Retry-After"] != "39600" {
		t.Fatalf("Retry-After = %q, want 39600 (the block's last 11 h)", resp.Headers["Retry-After"])
	}
	wantStatus(t, hs.register(spread(5), registration("+60123460001", "")), 202, "")
	if got := len(hs.items("blk#")); got != 1 {
		t.Fatalf("%d blocks, want 1", got)
	}
}

// A challenge asked for right after a refusal that wants one costs no
// DynamoDB call: its hardness is the one the refusal read. Where this
// instance has not read the network lately, or counted a request of it since,
// the challenge reads its counts. A hardness another instance has since
// outdated lowers no one's bar: the send checks the solution against the
// counts it reads.
func TestChallengeTakesTheRefusalsHardness(t *testing.T) {
	hs, _ := learning(t, map[string]string{"POW_SOFT_THRESHOLD": "1000", "POW_NETWORK_FLOOR": "3", "SMS_OPEN_BUDGET": "100000"})
	challenge := func(h *register.Handler, ip string) (pow.Challenge, int) {
		t.Helper()
		hs.db.Reset()
		resp := hs.call(h, apitest.Request("GET", "/v1/challenge", nil, nil, ip))
		calls, _ := hs.db.Calls()
		var c pow.Challenge
		if err := json.Unmarshal([]byte(resp.Body), &c); err != nil || resp.StatusCode != 200 {
			t.Fatalf("challenge: %d %s", resp.StatusCode, resp.Body)
		}
		return c, calls
	}
	if _, calls := challenge(hs.h, sameNet(0)); calls != 1 {
		t.Fatalf("first challenge of a network: %d DynamoDB calls, want its one read", calls)
	}
	for i := 0; i < 4; i++ {
		wantStatus(t, hs.register(sameNet(i), registration(phone(i), "")), 202, "")
	}
	wantStatus(t, hs.register(sameNet(4), registration(phone(4), "")), 428, "challenge_required")
	c, calls := challenge(hs.h, sameNet(4))
	if calls != 0 || c.MaxNumber != 2*2000 {
		t.Fatalf("challenge after the refusal: %d DynamoDB calls, maxnumber %d; want none and 4000", calls, c.MaxNumber)
	}
	hs.clock.Advance(31 * time.Second)
	if c, calls := challenge(hs.h, sameNet(4)); calls != 1 || c.MaxNumber != 2*2000 {
		t.Fatalf("challenge past POW_HARDNESS_TTL: %d DynamoDB calls, maxnumber %d; want 1 and 4000", calls, c.MaxNumber)
	}

	// Another instance counts a solved request of the network: this one's
	// hardness is out of date, and a solution to it is refused.
	other := hs.instance(map[string]string{"UNVERIFIED_SHRINKS": "1", "SMS_OPEN_BUDGET": "60", "EMAIL_OPEN_BUDGET": "400",
		"PREFIX_MAX_UNVERIFIED": "20", "POW_SOFT_THRESHOLD": "1000", "POW_NETWORK_FLOOR": "3"})
	wantStatus(t, hs.register(sameNet(5), registration(phone(5), "")), 428, "challenge_required")
	stale, _ := challenge(hs.h, sameNet(5))
	solved, err := powtest.Solve(stale)
	if err != nil {
		t.Fatal(err)
	}
	body := registration(phone(5), "")
	body["altcha"] = solved
	wantStatus(t, hs.call(other, apitest.Request("POST", "/v1/registrations", nil, body, sameNet(5))), 202, "")
	body = registration(phone(6), "")
	body["altcha"], _ = powtest.Solve(challengeOf(t, hs, hs.h, sameNet(6)))
	resp := hs.register(sameNet(6), body)
	wantStatus(t, resp, 428, "challenge_required")
	if !strings.Contains(resp.Body, "harder") {
		t.Fatalf("refusal %s: want it to ask for a harder challenge", resp.Body)
	}
	c, calls = challenge(hs.h, sameNet(6))
	if calls != 0 || c.MaxNumber != 4*2000 {
		t.Fatalf("challenge after the refusal: %d DynamoDB calls, maxnumber %d; want none and 8000", calls, c.MaxNumber)
	}
	body["altcha"], _ = powtest.Solve(c)
	wantStatus(t, hs.register(sameNet(6), body), 202, "")
}

func challengeOf(t *testing.T, hs *harness, h *register.Handler, ip string) pow.Challenge {
	t.Helper()
	var c pow.Challenge
	json.Unmarshal([]byte(hs.call(h, apitest.Request("GET", "/v1/challenge", nil, nil, ip)).Body), &c)
	return c
}
