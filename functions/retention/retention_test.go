package retention

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/notify/ses"
	"github.com/checkin-registry/registry/shared/notify/sns"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/secret"
	"github.com/checkin-registry/registry/shared/store"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

var start = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

type harness struct {
	t      *testing.T
	clock  *apitest.Clock
	outbox *apitest.Outbox
	store  *store.Store
	keys   secret.Keys
	rt     process.Runtime
	h      *Handler
	keep   store.Retention
}

func newHarness(t *testing.T) *harness {
	st := mototest.NewTestStack(t, nil)
	hs := &harness{t: t, clock: apitest.NewClock(start), outbox: &apitest.Outbox{}}
	env := st.Config("RetentionFunction", map[string]string{"PUBLIC_BASE_URL": "https://checkin.example"})
	hs.rt = st.Runtime("RetentionFunction")
	hs.rt.Now, hs.rt.WrapSender = hs.clock.Now, hs.outbox.Wrap
	cfg, err := LoadConfig(env)
	if err != nil {
		t.Fatal(err)
	}
	hs.store, hs.keys, hs.keep = st.Store(), st.Keys(t), store.RetentionFromEnv(env)
	sender := notify.Channels{contact.SMS: hs.rt.Sender(sns.SMSFromEnv(env, st.AWS)), contact.Email: hs.rt.Sender(ses.FromEnv(env, st.AWS))}
	hs.h = New(cfg, hs.store, sender, hs.keys, hs.rt)
	return hs
}

// venue creates a venue of the contact, as a registration does.
func (hs *harness) venue(address, hash string) store.Venue {
	hs.t.Helper()
	ctx, now := context.Background(), hs.clock.Now()
	id, _ := store.NewID(hs.rt.Rand)
	tx := hs.store.Tx()
	reg := store.Registration{ID: id, Channel: "email", Destination: address, DestinationHash: hash, Sends: 1,
		Status: store.Pending, CreatedAt: now.Unix(), TTL: now.Add(time.Hour).Unix()}
	if err := tx.PutRegistration(reg); err != nil {
		hs.t.Fatal(err)
	}
	if err := hs.store.Commit(ctx, tx); err != nil {
		hs.t.Fatal(err)
	}
	v := store.Venue{ID: id, BusinessName: "Kedai", Address: "12 Jalan Ampang", Channel: "email", Contact: address,
		ContactHash: hash, RegistrationID: id, CreatedAt: now.Unix(), TTL: hs.keep.Until(now)}
	if err := hs.store.CompleteVerification(ctx, reg, v, hs.keep); err != nil {
		hs.t.Fatal(err)
	}
	return v
}

func (hs *harness) pass() Result {
	hs.t.Helper()
	res, err := hs.h.Handle(context.Background(), nil)
	if err != nil {
		hs.t.Fatal(err)
	}
	return res
}

func TestOneReminderBeforeErasure(t *testing.T) {
	hs := newHarness(t)
	a := hs.venue("ali@example.my", "hash-a")
	hs.venue("ali@example.my", "hash-a")
	hs.venue("bee@example.my", "hash-b")
	// bee@ opted out: by its exact address, as a bounce suppresses it.
	bee := identity.New(hs.keys).Address("Bee@example.my")
	if err := hs.store.Suppress(context.Background(), bee, store.Suppression{Reason: "bounce"}, hs.clock.Now()); err != nil {
		t.Fatal(err)
	}

	// Nothing is due for 18 months.
	hs.clock.Advance(hs.keep.Keep - hs.keep.RemindBefore - time.Hour)
	if res := hs.pass(); res != (Result{}) || len(hs.outbox.Messages) != 0 {
		t.Fatalf("before due: %+v, %d messages", res, len(hs.outbox.Messages))
	}
	hs.clock.Advance(time.Hour)
	if res := hs.pass(); res.Sent != 1 || res.Suppressed != 1 {
		t.Fatalf("due: %+v, want one sent and one suppressed", res)
	}
	msgs := hs.outbox.To("ali@example.my")
	erases := time.Unix(a.TTL, 0).UTC().Format("2 January 2006")
	if len(msgs) != 1 || !strings.Contains(msgs[0].Body, "2 venue record(s)") || !strings.Contains(msgs[0].Body, erases) ||
		!strings.Contains(msgs[0].Body, "https://checkin.example/signin.html") {
		t.Fatalf("reminder = %+v, want one naming 2 venues, %s and the sign-in page", msgs, erases)
	}
	if len(hs.outbox.To("bee@example.my")) != 0 {
		t.Fatal("a reminder went to a suppressed contact")
	}
	// Once only, however many passes follow.
	hs.clock.Advance(24 * time.Hour)
	if res := hs.pass(); res != (Result{}) || len(hs.outbox.Messages) != 1 {
		t.Fatalf("second pass: %+v, %d messages", res, len(hs.outbox.Messages))
	}

	// A sign-in renews the account and every venue; the reminder is due again
	// 18 months after it.
	ctx := context.Background()
	c, err := hs.store.GetContact(ctx, "hash-a", hs.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	venues, err := hs.store.Venues(ctx, c.VenueIDs, hs.clock.Now())
	if err != nil || len(venues) != 2 {
		t.Fatalf("venues = %v, %v", venues, err)
	}
	signIn := hs.clock.Now()
	if err := hs.store.RenewAccount(ctx, c, "hash-a", venues, signIn, hs.keep); err != nil {
		t.Fatal(err)
	}
	hs.clock.Advance(hs.keep.Keep - hs.keep.RemindBefore - time.Hour)
	if res := hs.pass(); res.Sent != 0 {
		t.Fatalf("after the sign-in, before due again: %+v", res)
	}
	hs.clock.Advance(time.Hour)
	if res := hs.pass(); res.Sent != 1 {
		t.Fatalf("due again: %+v", res)
	}
	// The venues outlive the first term: the sign-in renewed them too.
	hs.clock.Advance(hs.keep.RemindBefore - time.Hour)
	if got, err := hs.store.Venues(ctx, c.VenueIDs, hs.clock.Now()); err != nil || len(got) != 2 {
		t.Fatalf("venues just before the renewed erasure = %d, %v", len(got), err)
	}
	hs.clock.Advance(time.Hour)
	if got, _ := hs.store.Venues(ctx, c.VenueIDs, hs.clock.Now()); len(got) != 0 {
		t.Fatalf("venues after the renewed erasure = %d, want 0", len(got))
	}
	if _, err := hs.store.GetContact(ctx, "hash-a", hs.clock.Now()); err == nil {
		t.Fatal("the contact outlived its retention")
	}
}
