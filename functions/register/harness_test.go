package register_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/functions/register"
	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/pow"
	"github.com/checkin-registry/registry/shared/pow/powtest"
	"github.com/checkin-registry/registry/shared/secret"
	"github.com/checkin-registry/registry/shared/store"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

// start is 10:00:00 UTC, the start of an hourly window.
var start = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

type harness struct {
	t      testing.TB
	stack  *mototest.TestStack
	clock  *apitest.Clock
	outbox *apitest.Outbox
	db     *apitest.CountingDB
	h      *register.Handler
	keys   secret.Keys
	// beforeCommit, if set, runs before each TransactWriteItems reaches the table;
	// an error it answers is the call's answer instead.
	beforeCommit func() error
	// calls, where not nil, records each batch read's and transaction's size.
	calls *[]string
	// commits, if set, is told of each TransactWriteItems as it starts and
	// answers what to tell when it ends.
	commits func(in *dynamodb.TransactWriteItemsInput) func(error)
	// sendTime is the virtual time each message takes to send, and sendErr,
	// if set, what every send answers instead of sending.
	sendTime time.Duration
	sendErr  error
}

// slowSender is next, taking hs.sendTime on the harness's clock and failing
// with hs.sendErr where it is set.
func (hs *harness) slowSender(next notify.Sender) notify.Sender {
	return notify.SenderFunc(func(ctx context.Context, m notify.Message) error {
		hs.clock.Advance(hs.sendTime)
		if hs.sendErr != nil {
			return hs.sendErr
		}
		return next.Send(ctx, m)
	})
}

type hookedDB struct {
	store.Client
	hs *harness
}

func (d hookedDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if d.hs.calls != nil {
		n := 0
		for _, ka := range in.RequestItems {
			n += len(ka.Keys)
		}
		*d.hs.calls = append(*d.hs.calls, fmt.Sprintf("BatchGetItem(%d keys)", n))
	}
	return d.Client.BatchGetItem(ctx, in, o...)
}

func (d hookedDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if d.hs.calls != nil {
		var kinds []string
		for _, it := range in.TransactItems {
			switch {
			case it.Put != nil:
				kinds = append(kinds, "put")
			case it.Update != nil:
				kinds = append(kinds, "update")
			case it.ConditionCheck != nil:
				kinds = append(kinds, "check")
			case it.Delete != nil:
				kinds = append(kinds, "delete")
			}
		}
		*d.hs.calls = append(*d.hs.calls, fmt.Sprintf("TransactWriteItems(%v)", kinds))
	}
	if d.hs.beforeCommit != nil {
		if err := d.hs.beforeCommit(); err != nil {
			return nil, err
		}
	}
	var done func(error)
	if d.hs.commits != nil {
		done = d.hs.commits(in)
	}
	out, err := d.Client.TransactWriteItems(ctx, in, o...)
	if done != nil {
		done(err)
	}
	return out, err
}

// newHarness provisions a private table and builds the register handler as its
// Lambda would, with vars added to its environment.
func newHarness(t testing.TB, vars map[string]string) *harness {
	t.Helper()
	st := mototest.NewTestStack(t, nil)
	hs := &harness{t: t, stack: st, clock: apitest.NewClock(start), outbox: &apitest.Outbox{}}
	hs.h = hs.instance(vars)
	return hs
}

// instance is another handler over the same table, as a second Lambda instance.
func (hs *harness) instance(vars map[string]string) *register.Handler {
	hs.t.Helper()
	// The flat limits these tests were written for: no code is ever verified
	// here, so unverified sends do not shrink the allowances, strangers have the
	// whole budget, no number range is pumped and no network's challenges grow
	// harder (learning_test.go tests those).
	all := map[string]string{"POW_MAX_NUMBER": "2000", "UNVERIFIED_SHRINKS": "0", "SMS_OPEN_BUDGET": "1000000", "EMAIL_OPEN_BUDGET": "1000000",
		"PREFIX_MAX_UNVERIFIED": "100000", "POW_NETWORK_FLOOR": "100000"}
	for k, v := range vars {
		all[k] = v
	}
	env := hs.stack.Config("RegisterFunction", all)
	rt := hs.stack.Runtime("RegisterFunction")
	rt.Now, rt.Sleep = hs.clock.Now, hs.clock.Sleep
	rt.WrapSender = func(s notify.Sender) notify.Sender { return hs.slowSender(hs.outbox.Wrap(s)) }
	if hs.db == nil {
		hs.db = &apitest.CountingDB{Client: hookedDB{Client: dynamodb.NewFromConfig(hs.stack.AWS), hs: hs}}
	}
	hs.keys = hs.stack.Keys(hs.t)
	cfg, err := register.LoadConfig(env)
	if err != nil {
		hs.t.Fatal(err)
	}
	return register.New(cfg, store.New(hs.db, hs.stack.Store().Table()), register.Senders(env, hs.stack.AWS, rt), hs.keys, rt)
}

func (hs *harness) call(h *register.Handler, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	hs.t.Helper()
	return apitest.Call(hs.t, h, req)
}

func registration(phone, email string) map[string]any {
	body := map[string]any{"businessName": "Kedai Runcit Ali", "address": "12 Jalan Ampang, 50450 Kuala Lumpur"}
	if phone != "" {
		body["phone"] = phone
	}
	if email != "" {
		body["email"] = email
	}
	return body
}

func (hs *harness) register(ip string, body map[string]any) events.APIGatewayProxyResponse {
	hs.t.Helper()
	return hs.call(hs.h, apitest.Request("POST", "/v1/registrations", nil, body, ip))
}

func (hs *harness) resend(id, ip string, body map[string]any) events.APIGatewayProxyResponse {
	hs.t.Helper()
	return hs.call(hs.h, apitest.Request("POST", "/v1/registrations/{registrationId}/resend", map[string]string{"registrationId": id}, body, ip))
}

// solve fetches a challenge and solves it, as a client would.
func (hs *harness) solve() string {
	hs.t.Helper()
	resp := hs.call(hs.h, apitest.Request("GET", "/v1/challenge", nil, nil, "198.51.100.1"))
	var c pow.Challenge
	if err := json.Unmarshal([]byte(resp.Body), &c); err != nil || resp.StatusCode != 200 {
		hs.t.Fatalf("challenge: %d %s", resp.StatusCode, resp.Body)
	}
	payload, err := powtest.Solve(c)
	if err != nil {
		hs.t.Fatal(err)
	}
	return payload
}

// setMode writes the protection mode item as the alarm responder would.
func (hs *harness) setMode(mode string) { hs.stack.SetMode(hs.t, mode, hs.clock.Now()) }

// items is every item in the table whose key starts with prefix.
func (hs *harness) items(prefix string) []map[string]any { return hs.stack.Items(hs.t, prefix) }

var codeRE = regexp.MustCompile(`code is (\d{6})|:\s+(\d{6})\s`)

// lastCode is the code in the last message sent to address.
func (hs *harness) lastCode(address string) string {
	hs.t.Helper()
	msgs := hs.outbox.To(address)
	if len(msgs) == 0 {
		hs.t.Fatalf("no message to %s", address)
	}
	m := codeRE.FindStringSubmatch(msgs[len(msgs)-1].Body)
	if m == nil {
		hs.t.Fatalf("no code in %q", msgs[len(msgs)-1].Body)
	}
	return m[1] + m[2]
}

// spread is the i-th of many client addresses, each in a /24 of its own.
func spread(i int) string { return fmt.Sprintf("198.%d.%d.9", 18+i/250, i%250) }

// sameNet is the i-th address in one /24.
func sameNet(i int) string { return fmt.Sprintf("203.0.113.%d", 1+i) }

// phone is the i-th of many distinct Malaysian mobile numbers.
func phone(i int) string { return fmt.Sprintf("+6012%07d", 3000000+i) }

func wantStatus(t *testing.T, resp events.APIGatewayProxyResponse, status int, code string) {
	t.Helper()
	if resp.StatusCode != status || (code != "" && apitest.ErrorCode(t, resp) != code) {
		t.Fatalf("status=%d body=%s, want %d %s", resp.StatusCode, resp.Body, status, code)
	}
}
