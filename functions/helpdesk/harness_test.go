package helpdesk_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/functions/helpdesk"
	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/identity"
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
	t      *testing.T
	stack  *mototest.TestStack
	clock  *apitest.Clock
	outbox *apitest.Outbox
	db     *apitest.CountingDB
	store  *store.Store
	keys   secret.Keys
	topic  string
	h      *helpdesk.Handler
}

// newHarness provisions a private table and topic and builds the helpdesk handler
// as its Lambda would, with vars added to its environment.
func newHarness(t *testing.T, vars map[string]string) *harness {
	t.Helper()
	st := mototest.NewTestStack(t, nil)
	hs := &harness{t: t, stack: st, clock: apitest.NewClock(start), outbox: &apitest.Outbox{}, topic: st.Refs["StaffTopic"]}
	if !strings.HasPrefix(hs.topic, "arn:") {
		t.Fatalf("StaffTopic ref = %q, want a topic ARN", hs.topic)
	}
	hs.h = hs.instance(vars)
	return hs
}

// instance is another handler over the same table, as a second Lambda instance.
func (hs *harness) instance(vars map[string]string) *helpdesk.Handler {
	hs.t.Helper()
	all := map[string]string{"POW_MAX_NUMBER": "2000"}
	for k, v := range vars {
		all[k] = v
	}
	env := hs.stack.Config("HelpdeskFunction", all)
	rt := hs.stack.Runtime("HelpdeskFunction")
	rt.Now, rt.WrapSender = hs.clock.Now, hs.outbox.Wrap
	if hs.db == nil {
		hs.db = &apitest.CountingDB{Client: dynamodb.NewFromConfig(hs.stack.AWS)}
		hs.store = store.New(hs.db, hs.stack.Store().Table())
		hs.keys = hs.stack.Keys(hs.t)
	}
	cfg, err := helpdesk.LoadConfig(env)
	if err != nil {
		hs.t.Fatal(err)
	}
	return helpdesk.New(cfg, hs.store, helpdesk.Senders(env, hs.stack.AWS, rt), hs.keys, rt)
}

func (hs *harness) call(h *helpdesk.Handler, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	hs.t.Helper()
	return apitest.Call(hs.t, h, req)
}

// ticket is a valid request body naming email (or phone, where it starts with "+").
func ticket(who, message string) map[string]any {
	body := map[string]any{"name": "Ali bin Abu", "topic": "registration", "message": message}
	if strings.HasPrefix(who, "+") {
		body["phone"] = who
	} else {
		body["email"] = who
	}
	return body
}

func (hs *harness) open(ip string, body any) events.APIGatewayProxyResponse {
	hs.t.Helper()
	return hs.call(hs.h, apitest.Request("POST", "/v1/helpdesk/tickets", nil, body, ip))
}

func (hs *harness) status(id, bearer string) events.APIGatewayProxyResponse {
	hs.t.Helper()
	req := apitest.Request("GET", "/v1/helpdesk/tickets/{ticketId}", map[string]string{"ticketId": id}, nil, "198.51.100.7")
	if bearer != "" {
		req.Headers["Authorization"] = "Bearer " + bearer
	}
	return hs.call(hs.h, req)
}

type opened struct {
	TicketID    string `json:"ticketId"`
	TicketToken string `json:"ticketToken"`
	Status      string `json:"status"`
}

func decodeOpened(t *testing.T, resp events.APIGatewayProxyResponse) opened {
	t.Helper()
	wantStatus(t, resp, 201, "")
	var o opened
	if err := json.Unmarshal([]byte(resp.Body), &o); err != nil || !store.ValidID(o.TicketID) || o.TicketToken == "" || o.Status != "received" {
		t.Fatalf("body %s: want ticketId, ticketToken and status received", resp.Body)
	}
	return o
}

// sampleEvent is events/<name>, the file `sam local invoke -e` takes.
func sampleEvent(t *testing.T, name string) events.APIGatewayProxyRequest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(moto.Root(), "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// solve makes a challenge with the key GET /v1/challenge signs with (the register
// function's "pow" key) and solves it, as the ALTCHA widget would.
func (hs *harness) solve() string {
	hs.t.Helper()
	c, err := pow.Challenger{Key: hs.keys.Derive("pow"), MaxNumber: 2000, TTL: 10 * time.Minute, Rand: rand.Reader}.New(hs.clock.Now())
	if err != nil {
		hs.t.Fatal(err)
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

// venue makes a venue whose contact was proven, as the verify function does.
func (hs *harness) venue(d contact.Destination) string {
	hs.t.Helper()
	ctx := context.Background()
	regID, _ := store.NewID(rand.Reader)
	venueID, _ := store.NewID(rand.Reader)
	hash := identity.New(hs.keys).Destination(d)
	reg := store.Registration{ID: regID, BusinessName: "Kedai Runcit Ali", Address: "12 Jalan Ampang", Channel: string(d.Channel),
		Destination: d.Address, DestinationHash: hash, Sends: 1, Status: store.Pending, CreatedAt: start.Unix(), TTL: start.Add(24 * time.Hour).Unix()}
	tx := hs.store.Tx()
	if err := tx.PutRegistration(reg); err != nil {
		hs.t.Fatal(err)
	}
	if err := hs.store.Commit(ctx, tx); err != nil {
		hs.t.Fatal(err)
	}
	v := store.Venue{ID: venueID, BusinessName: reg.BusinessName, Address: reg.Address, Channel: reg.Channel,
		Contact: d.Address, ContactHash: hash, RegistrationID: regID, CreatedAt: start.Unix()}
	if err := hs.store.CompleteVerification(ctx, reg, v); err != nil {
		hs.t.Fatal(err)
	}
	return venueID
}

// suppress blocks the destination as an opt-out would.
func (hs *harness) suppress(d contact.Destination) {
	hs.t.Helper()
	hash := identity.New(hs.keys).Destination(d)
	if err := hs.store.Suppress(context.Background(), hash, store.Suppression{Reason: "optout", CreatedAt: start.Unix()}, start); err != nil {
		hs.t.Fatal(err)
	}
}

// notTopic is every message that went anywhere but the staff topic.
func (hs *harness) notTopic() []notify.Message {
	var out []notify.Message
	for _, m := range hs.outbox.Messages {
		if m.To != hs.topic {
			out = append(out, m)
		}
	}
	return out
}

func wantStatus(t *testing.T, resp events.APIGatewayProxyResponse, status int, code string) {
	t.Helper()
	if resp.StatusCode != status || (code != "" && apitest.ErrorCode(t, resp) != code) {
		t.Fatalf("status=%d body=%s, want %d %s", resp.StatusCode, resp.Body, status, code)
	}
}

// stranger is the i-th of many addresses of people who never used the service.
func stranger(i int) string { return fmt.Sprintf("victim%d@gmail.com", i) }

// spread is the i-th of many client addresses, each in a /24 of its own.
func spread(i int) string { return fmt.Sprintf("198.%d.%d.9", 18+i/250, i%250) }
