package verify_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/functions/register"
	"github.com/checkin-registry/registry/functions/verify"
	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/shared/token"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

var start = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

type harness struct {
	t      testing.TB
	clock  *apitest.Clock
	outbox *apitest.Outbox
	db     *apitest.CountingDB
	store  *store.Store
	reg    *register.Handler
	ver    *verify.Handler
	tokens token.Issuer
	stack  *mototest.TestStack
}

func newHarness(t testing.TB, verifyVars ...string) *harness {
	t.Helper()
	st := mototest.NewTestStack(t, nil)
	hs := &harness{t: t, clock: apitest.NewClock(start), outbox: &apitest.Outbox{}, stack: st}
	vars := map[string]string{"POW_SOFT_THRESHOLD": "1000000", "DEST_MAX_SENDS": "100", "IP_MAX_REQUESTS": "1000000", "NETWORK_MAX_REQUESTS": "1000000",
		"POW_NETWORK_FLOOR": "1000000", "SMS_OPEN_BUDGET": "1000000", "EMAIL_OPEN_BUDGET": "1000000", "PREFIX_MAX_UNVERIFIED": "1000000"}
	rrt := st.Runtime("RegisterFunction")
	rrt.Now, rrt.WrapSender = hs.clock.Now, hs.outbox.Wrap
	reg, err := register.Wire(context.Background(), st.Config("RegisterFunction", vars), st.AWS, rrt)
	if err != nil {
		t.Fatal(err)
	}
	hs.reg = reg
	venvVars := map[string]string{}
	for i := 0; i+1 < len(verifyVars); i += 2 {
		venvVars[verifyVars[i]] = verifyVars[i+1]
	}
	hs.db = &apitest.CountingDB{Client: dynamodb.NewFromConfig(st.AWS)}
	hs.store = store.New(hs.db, st.Store().Table())
	vcfg, err := verify.LoadConfig(st.Config("VerifyFunction", venvVars))
	if err != nil {
		t.Fatal(err)
	}
	vrt := st.Runtime("VerifyFunction")
	vrt.Now = hs.clock.Now
	keys := st.Keys(t)
	hs.ver = verify.New(vcfg, hs.store, keys, vrt)
	hs.tokens = token.VenueIssuer(keys)
	return hs
}

var codeRE = regexp.MustCompile(`code is (\d{6})`)

// registered starts a registration for a fresh number and answers its id and code.
func (hs *harness) registered(phone string) (string, string) {
	hs.t.Helper()
	resp, _ := hs.reg.Handle(context.Background(), apitest.Request("POST", "/v1/registrations", nil,
		map[string]any{"businessName": "Kedai Runcit Ali", "address": "12 Jalan Ampang, Kuala Lumpur", "phone": phone}, "192.0.2.1"))
	if resp.StatusCode != 202 {
		hs.t.Fatalf("register: %d %s", resp.StatusCode, resp.Body)
	}
	return apitest.Decode(hs.t, resp)["registrationId"].(string), hs.code(phone)
}

func (hs *harness) code(phone string) string {
	hs.t.Helper()
	msgs := hs.outbox.To(phone)
	return codeRE.FindStringSubmatch(msgs[len(msgs)-1].Body)[1]
}

func (hs *harness) verify(id string, body any) events.APIGatewayProxyResponse {
	hs.t.Helper()
	return hs.verifyFrom("192.0.2.2", id, body)
}

func (hs *harness) verifyFrom(ip, id string, body any) events.APIGatewayProxyResponse {
	hs.t.Helper()
	resp, err := hs.ver.Handle(context.Background(), apitest.Request("POST", "/v1/registrations/{registrationId}/verify", map[string]string{"registrationId": id}, body, ip))
	if err != nil {
		hs.t.Fatal(err)
	}
	return resp
}

func want(t *testing.T, resp events.APIGatewayProxyResponse, status int, code string) {
	t.Helper()
	if resp.StatusCode != status || (code != "" && apitest.ErrorCode(t, resp) != code) {
		t.Fatalf("status=%d body=%s, want %d %s", resp.StatusCode, resp.Body, status, code)
	}
}

func wrong(code string) string { return fmt.Sprintf("%06d", (atoi(code)+1)%1000000) }

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestVerifyCreatesVenueAndToken(t *testing.T) {
	hs := newHarness(t)
	id, code := hs.registered("+60123456789")
	hs.db.Reset()
	resp := hs.verify(id, map[string]any{"code": code})
	want(t, resp, 200, "")
	calls, by := hs.db.Calls()
	t.Logf("DynamoDB calls per successful verify: %d %v", calls, by)
	if calls != 2 || by["UpdateItem"] != 1 || by["TransactWriteItems"] != 1 {
		t.Fatalf("calls = %d %v, want one UpdateItem and one TransactWriteItems", calls, by)
	}
	got := apitest.Decode(t, resp)
	venueID := got["venueId"].(string)
	subject, err := hs.tokens.Check(got["accessToken"].(string), token.Venue, hs.clock.Now())
	if err != nil || subject != venueID {
		t.Fatalf("token: subject %q, %v", subject, err)
	}
	if exp, _ := time.Parse(time.RFC3339, got["tokenExpiresAt"].(string)); !exp.Equal(start.Add(24 * time.Hour)) {
		t.Fatalf("tokenExpiresAt = %v", got["tokenExpiresAt"])
	}
	v, err := hs.store.GetVenue(context.Background(), venueID, hs.clock.Now())
	if err != nil || v.BusinessName != "Kedai Runcit Ali" || v.Contact != "+60123456789" || v.RegistrationID != id || v.ContactHash == "" {
		t.Fatalf("venue = %+v, %v", v, err)
	}
	// Single use: the same code again does nothing more.
	want(t, hs.verify(id, map[string]any{"code": code}), 410, "code_expired")
	// The conversion alarm divides this by CodeSent of the same channel.
	if n := strings.Count(hs.stack.Metrics.String(), `"Channel":"sms","Function":"verify","VerifySucceeded":1`); n != 1 {
		t.Errorf("VerifySucceeded with Channel sms counted %d times, want 1:\n%s", n, hs.stack.Metrics.String())
	}
}

func TestVerifyInput(t *testing.T) {
	hs := newHarness(t)
	id, _ := hs.registered("+60123456789")
	tests := []struct {
		name   string
		id     string
		body   any
		status int
		code   string
	}{
		{"missing code", id, map[string]any{}, 400, "invalid_request"},
		{"short code", id, map[string]any{"code": "12345"}, 400, "invalid_request"},
		{"letters", id, map[string]any{"code": "12345a"}, 400, "invalid_request"},
		{"number not string", id, map[string]any{"code": 123456}, 400, "invalid_request"},
		{"unknown field", id, map[string]any{"code": "123456", "x": 1}, 400, "invalid_request"},
		{"unknown registration", "aaaaaaaaaaaaaaaaaaaaaaaaaa", map[string]any{"code": "123456"}, 404, "not_found"},
		{"malformed id", "../../etc", map[string]any{"code": "123456"}, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { want(t, hs.verify(tt.id, tt.body), tt.status, tt.code) })
	}
}

func TestFiveWrongAttemptsInAllEvenAcrossResends(t *testing.T) {
	hs := newHarness(t)
	id, code := hs.registered("+60123456789")
	for left := 4; left >= 3; left-- {
		resp := hs.verify(id, map[string]any{"code": wrong(code)})
		want(t, resp, 422, "invalid_code")
		if got := apitest.Decode(t, resp)["error"].(map[string]any)["attemptsRemaining"]; got != float64(left) {
			t.Fatalf("attemptsRemaining = %v, want %d", got, left)
		}
	}
	hs.clock.Advance(time.Minute)
	resp, _ := hs.reg.Handle(context.Background(), apitest.Request("POST", "/v1/registrations/{registrationId}/resend", map[string]string{"registrationId": id}, map[string]any{}, "192.0.2.1"))
	if resp.StatusCode != 202 {
		t.Fatalf("resend: %d %s", resp.StatusCode, resp.Body)
	}
	fresh := hs.code("+60123456789")
	if fresh != code {
		want(t, hs.verify(id, map[string]any{"code": code}), 422, "invalid_code") // the old code no longer works
	} else {
		want(t, hs.verify(id, map[string]any{"code": wrong(code)}), 422, "invalid_code")
	}
	want(t, hs.verify(id, map[string]any{"code": wrong(fresh)}), 422, "invalid_code")
	want(t, hs.verify(id, map[string]any{"code": wrong(fresh)}), 429, "too_many_attempts")
	want(t, hs.verify(id, map[string]any{"code": fresh}), 429, "too_many_attempts")
}

func TestExpiredCodeCostsNoAttempt(t *testing.T) {
	hs := newHarness(t)
	id, code := hs.registered("+60123456789")
	hs.clock.Advance(5 * time.Minute)
	for i := 0; i < 7; i++ {
		want(t, hs.verify(id, map[string]any{"code": code}), 410, "code_expired")
	}
	reg, err := hs.store.GetRegistration(context.Background(), id, hs.clock.Now())
	if err != nil || reg.Attempts != 0 {
		t.Fatalf("attempts = %d, %v; want 0", reg.Attempts, err)
	}
	// The registration itself expires after a day; TTL deletion is lazy, reads check.
	hs.clock.Advance(24 * time.Hour)
	want(t, hs.verify(id, map[string]any{"code": code}), 404, "not_found")
}

func TestConcurrentVerifiesOfOneCodeOneSucceeds(t *testing.T) {
	hs := newHarness(t)
	id, code := hs.registered("+60123456789")
	resps := parallel(20, func() events.APIGatewayProxyResponse { return hs.verify(id, map[string]any{"code": code}) })
	ok := 0
	for _, r := range resps {
		if r.StatusCode == 200 {
			ok++
		} else if r.StatusCode != 410 && r.StatusCode != 429 {
			t.Fatalf("status %d: %s", r.StatusCode, r.Body)
		}
	}
	if ok != 1 {
		t.Fatalf("%d verifies succeeded, want exactly 1", ok)
	}
}

func TestConcurrentGuessesNeverExceedTheLimit(t *testing.T) {
	hs := newHarness(t)
	id, code := hs.registered("+60123456789")
	resps := parallel(40, func() events.APIGatewayProxyResponse { return hs.verify(id, map[string]any{"code": wrong(code)}) })
	wrongs := 0
	for _, r := range resps {
		switch apitest.ErrorCode(t, r) {
		case "invalid_code":
			wrongs++
		case "too_many_attempts":
		default:
			t.Fatalf("status %d: %s", r.StatusCode, r.Body)
		}
	}
	reg, _ := hs.store.GetRegistration(context.Background(), id, hs.clock.Now())
	if wrongs > 5 || reg.Attempts != 5 {
		t.Fatalf("%d guesses compared, attempts recorded %d; want at most 5 and 5", wrongs, reg.Attempts)
	}
	want(t, hs.verify(id, map[string]any{"code": code}), 429, "too_many_attempts")
}

func parallel(n int, f func() events.APIGatewayProxyResponse) []events.APIGatewayProxyResponse {
	out := make([]events.APIGatewayProxyResponse, n)
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			out[i] = f()
		}()
	}
	close(gate)
	wg.Wait()
	return out
}

func TestNoCodeIsSentOnceTheAttemptsAreUsedUp(t *testing.T) {
	hs := newHarness(t)
	id, code := hs.registered("+60123456789")
	for i := 0; i < 5; i++ {
		hs.verify(id, map[string]any{"code": wrong(code)})
	}
	resp := hs.verify(id, map[string]any{"code": code})
	want(t, resp, 429, "too_many_attempts")
	if ra := resp.Headers["Retry-After"]; ra != "86400" {
		t.Fatalf("Retry-After = %q, want the registration's remaining life, 86400", ra)
	}
	hs.clock.Advance(time.Minute)
	resend, _ := hs.reg.Handle(context.Background(), apitest.Request("POST", "/v1/registrations/{registrationId}/resend", map[string]string{"registrationId": id}, map[string]any{}, "192.0.2.1"))
	want(t, resend, 429, "too_many_attempts")
	if resend.Headers["Retry-After"] == "" || len(hs.outbox.To("+60123456789")) != 1 {
		t.Fatalf("resend after the attempts: %v, %d messages; want a Retry-After and still one message", resend.Headers, len(hs.outbox.To("+60123456789")))
	}
}

// One client guessing across many registrations gets 30 wrong codes an hour;
// past them every code, right or wrong, is refused alike, so guessing learns
// nothing, while other clients are unaffected.
func TestWrongCodesPerClientAcrossRegistrations(t *testing.T) {
	hs := newHarness(t)
	const guesser = "198.51.100.66"
	var last, lastCode string
	for i := 0; i < 30; i++ {
		if i%5 == 0 {
			last, lastCode = hs.registered(fmt.Sprintf("+6012%07d", 4000000+i))
		}
		// the fifth on each registration uses up its attempts
		if r := hs.verifyFrom(guesser, last, map[string]any{"code": wrong(lastCode)}); r.StatusCode != 422 && apitest.ErrorCode(t, r) != "too_many_attempts" {
			t.Fatalf("wrong code %d: %d %s", i, r.StatusCode, r.Body)
		}
		hs.clock.Advance(time.Minute)
	}
	id, code := hs.registered("+60127777777")
	hs.db.Reset()
	resp := hs.verifyFrom(guesser, id, map[string]any{"code": wrong(code)})
	want(t, resp, 429, "rate_limited")
	calls, by := hs.db.Calls()
	t.Logf("DynamoDB calls per verify refused by the wrong-code limit: %d %v", calls, by)
	// The first wrong code was at 10:00, the 31st is at 10:30: an hour after the first.
	if resp.Headers["Retry-After"] != "1800" || calls != 2 {
		t.Fatalf("Retry-After %q, %d calls %v; want 1800 and 2", resp.Headers["Retry-After"], calls, by)
	}
	want(t, hs.verifyFrom(guesser, id, map[string]any{"code": code}), 429, "rate_limited")
	// Another client verifies as ever, and the guesser may again once its wrong
	// codes slide out of the hour.
	id2, code2 := hs.registered("+60127777778")
	want(t, hs.verifyFrom("203.0.113.5", id2, map[string]any{"code": code2}), 200, "")
	hs.clock.Advance(30 * time.Minute)
	id3, code3 := hs.registered("+60127777779")
	want(t, hs.verifyFrom(guesser, id3, map[string]any{"code": code3}), 200, "")
}

func TestWrongCodeLimitIsConfigurableAndCostsTwoCalls(t *testing.T) {
	hs := newHarness(t, "VERIFY_IP_MAX_WRONG", "2")
	id, code := hs.registered("+60128888888")
	for i := 0; i < 2; i++ {
		hs.db.Reset()
		want(t, hs.verify(id, map[string]any{"code": wrong(code)}), 422, "invalid_code")
		if calls, by := hs.db.Calls(); calls != 2 || by["UpdateItem"] != 1 || by["TransactWriteItems"] != 1 {
			t.Fatalf("a wrong code made %d calls %v, want one UpdateItem and one TransactWriteItems", calls, by)
		}
	}
	want(t, hs.verify(id, map[string]any{"code": code}), 429, "rate_limited")
}

// TestSecretDownAnswers503: the master secret is read on the first request, not
// at start-up, so a function wired while SSM cannot serve it starts, answers 503
// temporarily_unavailable with Retry-After, and spends no attempt; once it can
// be read, the same handler serves.
func TestSecretDownAnswers503(t *testing.T) {
	hs := newHarness(t)
	id, code := hs.registered("+60123456788")
	env := hs.stack.Config("VerifyFunction", map[string]string{"SECRET_PARAMETER": "/no/such/parameter"})
	rt := hs.stack.Runtime("VerifyFunction")
	rt.Now = hs.clock.Now
	h, err := verify.Wire(context.Background(), env, hs.stack.AWS, rt)
	if err != nil {
		t.Fatalf("Wire with an unreadable secret: %v (it must not read it)", err)
	}
	req := apitest.Request("POST", "/v1/registrations/{registrationId}/verify", map[string]string{"registrationId": id}, map[string]any{"code": code}, "192.0.2.2")
	resp, _ := h.Handle(context.Background(), req)
	want(t, resp, 503, "temporarily_unavailable")
	if resp.Headers["Retry-After"] == "" {
		t.Error("a 503 without Retry-After")
	}
	resp = hs.verify(id, map[string]any{"code": wrong(code)})
	want(t, resp, 422, "invalid_code")
	if left := apitest.Decode(t, resp)["error"].(map[string]any)["attemptsRemaining"]; left != float64(4) {
		t.Fatalf("attemptsRemaining=%v after one wrong code, want 4: the 503 spent an attempt", left)
	}
	want(t, hs.verify(id, map[string]any{"code": code}), 200, "")
}
