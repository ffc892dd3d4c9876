package plan_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/plan"
	"github.com/checkin-registry/registry/shared/ratelimit"
	"github.com/checkin-registry/registry/shared/store"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

var start = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

var limits = plan.Plan{Metric: "Refused", Limits: []plan.Limit{
	{Name: "ip", Of: identity.Client, Scope: "ip", Side: plan.EveryRequest, Rule: ratelimit.Sliding{Max: 4, Window: time.Hour}},
	{Name: "soft", Of: identity.Client, Scope: "ip", Side: plan.EveryRequest, Rule: ratelimit.Sliding{Max: 2, Window: time.Hour}, Answer: plan.Answer{Status: 428}},
	{Name: "cooldown", Of: identity.Destination, Scope: "dest", Side: plan.Sent, Rule: ratelimit.Bound{N: 1, Window: time.Minute}},
	{Name: "cap", Of: identity.Destination, Scope: "dest", Side: plan.Sent, Rule: ratelimit.Bound{N: 3, Window: 24 * time.Hour}},
	{Name: "budget", Of: identity.Channel, Channel: contact.SMS, Scope: "channel", Side: plan.Sent, Rule: ratelimit.Fixed{Max: 100, Window: time.Hour}},
}}

func TestValidate(t *testing.T) {
	if err := limits.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := plan.Plan{Limits: append([]plan.Limit{}, limits.Limits...)}
	bad.Limits[1].Rule = ratelimit.Sliding{Max: 2, Window: 2 * time.Hour} // shares "ip" at another window
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "share scope") {
		t.Fatalf("Validate = %v, want a shared scope refused", err)
	}
	bad.Limits[1].Rule = "three a day"
	if err := bad.Validate(); err == nil {
		t.Fatal("an unknown rule passed")
	}
}

type fixture struct {
	t      *testing.T
	store  *store.Store
	limits plan.Plan
	subj   identity.Subject
	learnt int
}

// send reads the plan for what (the full subject, or only the client's part)
// and claims every limit for the full subject, as a request does.
func (f *fixture) send(what identity.Subject, now time.Time, waive bool) (*plan.Refusal, error) {
	f.t.Helper()
	ctx := context.Background()
	items, err := f.store.GetMany(ctx, f.limits.Keys(what, now), now)
	if err != nil {
		f.t.Fatal(err)
	}
	rd := f.limits.Read(items, what, now)
	if waive {
		rd.Waive()
	}
	for _, side := range []plan.Side{plan.EveryRequest, plan.Sent} {
		if ref, err := rd.Check(f.subj, side); ref != nil || err != nil {
			return ref, err
		}
	}
	for try := 0; ; try++ {
		tx := f.store.Tx()
		if err := rd.Claim(tx, f.subj, plan.EveryRequest, plan.Sent); err != nil {
			f.t.Fatal(err)
		}
		err = f.store.Commit(ctx, tx)
		var failed *store.ConditionFailed
		if !errors.As(err, &failed) {
			return nil, err
		}
		if try == 0 && rd.Learn(failed, f.subj) {
			f.learnt++
			continue
		}
		ref, err := rd.Explain(failed, f.subj)
		if ref == nil && err == nil {
			err = errors.New("a claim failed that no limit explains")
		}
		return ref, err
	}
}

func newFixture(t *testing.T) *fixture {
	st := mototest.NewTestStack(t, nil)
	return &fixture{t: t, store: store.New(st.Clients.DynamoDB, st.Tables["RegistryTable"]), limits: limits,
		subj: identity.Subject{Destination: "d1", Address: "a1", Channel: contact.SMS, Client: "c1", Network: "n1"}}
}

func want(t *testing.T, ref *plan.Refusal, err error, name string, retry time.Duration) {
	t.Helper()
	switch {
	case err != nil:
		t.Fatal(err)
	case name == "" && ref != nil:
		t.Fatalf("refused by %s, want allowed", ref.Limit.Name)
	case name != "" && (ref == nil || ref.Limit.Name != name || ref.RetryAfter != retry):
		t.Fatalf("refusal %s after %s, want %s after %s", ref.Limit.Name, ref.RetryAfter, name, retry)
	}
}

func TestLimitsReadOrNotHoldTheSame(t *testing.T) {
	for _, tt := range []struct {
		name string
		read func(identity.Subject) identity.Subject
	}{
		{"read with the request", func(s identity.Subject) identity.Subject { return s }},
		// A resend learns its destination from the read: its destination's and
		// channel's limits are claimed on conditions alone, and a refusal is
		// explained from the item the failed condition found.
		{"claimed unread", func(s identity.Subject) identity.Subject {
			return identity.Subject{Client: s.Client, Network: s.Network}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			read := tt.read(f.subj)
			now := start
			ref, err := f.send(read, now, false)
			want(t, ref, err, "", 0)
			ref, err = f.send(read, now.Add(20*time.Second), false)
			want(t, ref, err, "cooldown", 40*time.Second)
			now = now.Add(time.Minute)
			ref, err = f.send(read, now, false)
			want(t, ref, err, "", 0)
			// Two counted (the refused one was never claimed): the soft limit binds.
			f.subj.Destination = "d2"
			ref, err = f.send(read, now, false)
			want(t, ref, err, "soft", 89*time.Minute) // until the two of 10:00 weigh one
			// Solved: the soft limit is waived; the ip limit of 4 still holds.
			ref, err = f.send(read, now, true)
			want(t, ref, err, "", 0)
			f.subj.Destination = "d1"
			now = now.Add(time.Minute)
			ref, err = f.send(read, now, true)
			want(t, ref, err, "", 0)
			ref, err = f.send(read, now.Add(time.Minute), true)
			want(t, ref, err, "ip", 72*time.Minute) // 11:15, when the four weigh three
		})
	}
}

func TestLogCapAndTrim(t *testing.T) {
	f := newFixture(t)
	f.limits = plan.Plan{Limits: limits.Limits[2:4]}
	send := func(read identity.Subject, now time.Time) *plan.Refusal {
		ref, err := f.send(read, now, false)
		if err != nil {
			t.Fatal(err)
		}
		return ref
	}
	unread := identity.Subject{}
	now := start
	for i := 0; i < 3; i++ {
		if ref := send(unread, now); ref != nil {
			t.Fatalf("send %d refused by %s", i, ref.Limit.Name)
		}
		now = now.Add(time.Hour)
	}
	if ref := send(unread, now); ref == nil || ref.Limit.Name != "cap" || ref.RetryAfter != 21*time.Hour {
		t.Fatalf("fourth in a day: %+v, want cap after 21h", ref)
	}
	// Kept up for days, unread claims prepend until the log holds twice its
	// bounds' reach; the failed claim then learns the log and trims it.
	now = now.Add(12 * time.Hour)
	for i := 0; i < 6; i++ {
		now = now.Add(12 * time.Hour)
		if ref := send(unread, now); ref != nil {
			t.Fatalf("day-spaced send %d refused by %s", i, ref.Limit.Name)
		}
	}
	items, err := f.store.GetMany(context.Background(), f.limits.Keys(f.subj, now), now)
	if err != nil {
		t.Fatal(err)
	}
	log, _ := store.DecodeLog(items[store.LogKey("dest", "d1")])
	if f.learnt != 1 || len(log.At) > 6 || log.At[0] != now.Unix() {
		t.Fatalf("log after 9 unread claims = %v (%d trims), want at most 6, newest first, after one trim", log.At, f.learnt)
	}
	// A read that finds the log longer than twice its bounds' reach trims it too.
	for len(log.At) < 7 {
		now = now.Add(12 * time.Hour)
		send(unread, now)
		items, _ = f.store.GetMany(context.Background(), f.limits.Keys(f.subj, now), now)
		log, _ = store.DecodeLog(items[store.LogKey("dest", "d1")])
	}
	now = now.Add(12 * time.Hour)
	if ref := send(f.subj, now); ref != nil {
		t.Fatalf("read send refused by %s", ref.Limit.Name)
	}
	items, _ = f.store.GetMany(context.Background(), f.limits.Keys(f.subj, now), now)
	log, _ = store.DecodeLog(items[store.LogKey("dest", "d1")])
	if len(log.At) != 3 || log.At[0] != now.Unix() {
		t.Fatalf("log after a read = %v, want the newest 3, newest first", log.At)
	}
}
