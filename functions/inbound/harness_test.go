package inbound_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/functions/inbound"
	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/contact/policy"
	"github.com/checkin-registry/registry/shared/identity"
	sharedinbound "github.com/checkin-registry/registry/shared/inbound"
	"github.com/checkin-registry/registry/shared/store"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

var start = time.Date(2026, 11, 24, 3, 15, 0, 0, time.UTC)

// The sources' addresses, as the sample events name them.
var parameters = map[string]string{
	"InboundWhatsAppNumber":        "+60380000000",
	"InboundWhatsAppPhoneNumberId": "100000000000001",
	"InboundSmsNumber":             "+60380000001",
	"InboundEmailAddress":          "daftar@checkin.example",
}

type harness struct {
	t      testing.TB
	stack  *mototest.TestStack
	clock  *apitest.Clock
	db     *apitest.CountingDB
	store  *store.Store
	ids    identity.Hasher
	cfg    sharedinbound.Config
	invoke lambda.Handler
	// beforeCommit, if set, runs before each TransactWriteItems reaches the table.
	beforeCommit func()
}

type hookedDB struct {
	store.Client
	hs *harness
}

func (d hookedDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if d.hs.beforeCommit != nil {
		d.hs.beforeCommit()
	}
	return d.Client.TransactWriteItems(ctx, in, o...)
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	st := mototest.NewTestStack(t, parameters)
	hs := &harness{t: t, stack: st, clock: apitest.NewClock(start)}
	env := st.Config("InboundFunction", nil)
	rt := st.Runtime("InboundFunction")
	rt.Now = hs.clock.Now
	hs.db = &apitest.CountingDB{Client: hookedDB{Client: dynamodb.NewFromConfig(st.AWS), hs: hs}}
	hs.store = store.New(hs.db, st.Store().Table())
	keys := st.Keys(t)
	hs.ids = identity.New(keys)
	var err error
	if hs.cfg, err = sharedinbound.FromEnv(env); err != nil {
		t.Fatal(err)
	}
	cfg, err := inbound.LoadConfig(env)
	if err != nil {
		t.Fatal(err)
	}
	hs.invoke = lambda.NewHandler(inbound.New(cfg, hs.store, keys, rt).Handle)
	return hs
}

var destPolicy = contact.Policy{Phone: policy.Phone{DefaultRegion: "MY", Regions: []string{"MY"}, Types: []policy.PhoneType{policy.Mobile}}}

// destination normalises a contact as register does.
func (hs *harness) destination(raw string) contact.Destination {
	hs.t.Helper()
	var d contact.Destination
	var err error
	if strings.Contains(raw, "@") {
		d, err = destPolicy.Email.Email(raw)
	} else {
		d, err = destPolicy.Phone.Phone(raw)
	}
	if err != nil {
		hs.t.Fatalf("destination %q: %v", raw, err)
	}
	return d
}

// pending writes an inbound registration for contact and its proof, as register
// does, and answers the text to send and the registration's id. A text given is
// used instead of a fresh one.
func (hs *harness) pending(raw string, text ...string) (string, string) {
	hs.t.Helper()
	d := hs.destination(raw)
	now := hs.clock.Now()
	id, _ := store.NewID(rand.Reader)
	destHash := hs.ids.Destination(d)
	reg := store.Registration{ID: id, BusinessName: "Kedai Runcit Ali", Address: "12 Jalan Ampang", Channel: string(d.Channel),
		Destination: d.Address, DestinationHash: destHash, Status: store.Pending, Inbound: true,
		CreatedAt: now.Unix(), TTL: now.Add(24 * time.Hour).Unix()}
	t, th, p, err := hs.cfg.Pending(rand.Reader, hs.ids, sharedinbound.RegisterWord, store.RegistrationKey(id), d.Channel, destHash, now, now.Add(24*time.Hour))
	if err != nil {
		hs.t.Fatal(err)
	}
	if len(text) > 0 {
		t, th = text[0], sharedinbound.TextHash(hs.ids, text[0])
	}
	tx := hs.store.Tx()
	if err := tx.PutRegistration(reg); err != nil {
		hs.t.Fatal(err)
	}
	if err := tx.PutProof(th, p); err != nil {
		hs.t.Fatal(err)
	}
	if err := hs.store.Commit(context.Background(), tx); err != nil {
		hs.t.Fatal(err)
	}
	return t, id
}

// proven says whether registration id was proven, and by which source.
func (hs *harness) proven(id string) (bool, string) {
	hs.t.Helper()
	r, err := hs.store.GetRegistration(context.Background(), id, hs.clock.Now())
	if err != nil {
		hs.t.Fatal(err)
	}
	return r.InboundProvenAt != 0, r.InboundVia
}

// suppressed reads the suppression register would find for a contact.
func (hs *harness) suppressed(raw string) (store.Suppression, bool) {
	hs.t.Helper()
	key := store.SuppressionKey(hs.ids.Destination(hs.destination(raw)))
	items, err := hs.store.GetMany(context.Background(), []string{key}, hs.clock.Now())
	if err != nil {
		hs.t.Fatal(err)
	}
	var s store.Suppression
	ok, err := items.Decode(key, &s)
	if err != nil {
		hs.t.Fatal(err)
	}
	return s, ok
}

// deliver hands SNS messages to the function as Lambda does.
func (hs *harness) deliver(messages ...string) {
	hs.t.Helper()
	if _, err := hs.invoke.Invoke(context.Background(), snsEvent(messages...)); err != nil {
		hs.t.Fatalf("invoke: %v", err)
	}
}

func snsEvent(messages ...string) []byte {
	var ev events.SNSEvent
	for i, m := range messages {
		ev.Records = append(ev.Records, events.SNSEventRecord{EventSource: "aws:sns", SNS: events.SNSEntity{MessageID: fmt.Sprint("sns-", i), Message: m}})
	}
	b, _ := json.Marshal(ev)
	return b
}

// count is the value of metric name with dimension value dim in what the
// function wrote.
func (hs *harness) count(name, dim string) int {
	n := 0
	for _, line := range strings.Split(hs.stack.Metrics.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil || m[name] == nil {
			continue
		}
		for _, v := range m {
			if v == dim {
				n += int(m[name].(float64))
				break
			}
		}
	}
	return n
}

// The three sources' notifications, built as AWS publishes them (see the sample
// events and the documentation cited in events_test.go).

func whatsApp(from, text, id string) string {
	entry, _ := json.Marshal(map[string]any{"id": "102290129340398", "changes": []any{map[string]any{
		"field": "messages",
		"value": map[string]any{
			"messaging_product": "whatsapp",
			"metadata":          map[string]string{"display_phone_number": "60380000000", "phone_number_id": parameters["InboundWhatsAppPhoneNumberId"]},
			"contacts":          []any{map[string]any{"profile": map[string]string{"name": "Ali"}, "wa_id": from}},
			"messages":          []any{map[string]any{"from": from, "id": id, "timestamp": "1795490441", "type": "text", "text": map[string]string{"body": text}}},
		},
	}}})
	b, _ := json.Marshal(map[string]any{"whatsAppWebhookEntry": string(entry), "aws_account_id": "123456789012", "messageId": "aws-" + id,
		"context": map[string]any{"MetaPhoneNumberIds": []any{map[string]string{"metaPhoneNumberId": parameters["InboundWhatsAppPhoneNumberId"]}}}})
	return string(b)
}

func sms(from, text, id string) string {
	b, _ := json.Marshal(map[string]string{"originationNumber": from, "destinationNumber": parameters["InboundSmsNumber"],
		"messageKeyword": "", "messageBody": text, "inboundMessageId": id, "previousPublishedMessageId": ""})
	return string(b)
}

type verdicts struct{ dkim, dmarc string }

var pass = verdicts{"PASS", "PASS"}

func email(from, subject, id string, v verdicts) string {
	b, _ := json.Marshal(map[string]any{
		"notificationType": "Received",
		"receipt": map[string]any{
			"recipients":  []string{parameters["InboundEmailAddress"]},
			"spamVerdict": map[string]string{"status": "PASS"}, "virusVerdict": map[string]string{"status": "PASS"},
			"spfVerdict": map[string]string{"status": "PASS"}, "dkimVerdict": map[string]string{"status": v.dkim},
			"dmarcVerdict": map[string]string{"status": v.dmarc},
			"action":       map[string]string{"type": "SNS", "topicArn": "arn:aws:sns:us-east-1:123456789012:inbound"},
		},
		"mail": map[string]any{
			"messageId": id, "source": "bounce@example.com", "destination": []string{parameters["InboundEmailAddress"]},
			"commonHeaders": map[string]any{"from": []string{from}, "to": []string{parameters["InboundEmailAddress"]}, "subject": subject},
		},
	})
	return string(b)
}

// barrier makes n concurrent deliveries all read the proof before any commits.
func (hs *harness) barrier(n int) {
	var mu sync.Mutex
	arrived := 0
	all := make(chan struct{})
	hs.beforeCommit = func() {
		mu.Lock()
		arrived++
		if arrived == n {
			close(all)
		}
		mu.Unlock()
		select {
		case <-all:
		case <-time.After(5 * time.Second):
		}
	}
}
