package plan_test

import (
	"context"
	"errors"
	"fmt"
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

// Earned allowances, the open share and blocks, against the emulator: a client's
// verified codes (credited as verify does) lift the open share and raise its
// allowance; a number range that keeps taking unverified codes is blocked.
func TestEarnedOpenAndBlock(t *testing.T) {
	f := newFixture(t)
	f.limits = plan.Plan{Limits: []plan.Limit{
		{Name: "ip", Of: identity.Client, Scope: "ip", Side: plan.EveryRequest,
			Rule: ratelimit.Earned{Base: 6, Earn: 2, Shrink: 1, Floor: 1, Ceiling: 100, Window: time.Hour}},
		{Name: "open", Of: identity.Channel, Channel: contact.SMS, Scope: "open", Side: plan.Sent, Open: true,
			Rule: ratelimit.Sliding{Max: 2, Window: time.Hour}},
	}}
	if err := f.limits.Validate(); err != nil {
		t.Fatal(err)
	}
	credit := func(s identity.Subject, now time.Time) {
		tx := f.store.Tx()
		f.limits.Credit(tx, s, now)
		if err := f.store.Commit(context.Background(), tx); err != nil {
			t.Fatal(err)
		}
	}
	now := start
	for i := 0; i < 2; i++ {
		ref, err := f.send(f.subj, now, false)
		want(t, ref, err, "", 0)
	}
	ref, err := f.send(f.subj, now, false)
	want(t, ref, err, "open", 90*time.Minute) // strangers' share: two an hour, sliding
	// One verified of two sent is not yet good standing; two of two is.
	credit(f.subj, now)
	ref, err = f.send(f.subj, now, false)
	want(t, ref, err, "open", 90*time.Minute)
	credit(f.subj, now)
	for i := 0; i < 2; i++ {
		ref, err = f.send(f.subj, now, false)
		want(t, ref, err, "", 0)
	}
	// 4 sent, 2 verified: 6 + 2·2 − 2 = 8 would allow more, but two unverified
	// lose the standing (2 < 2·2), so the open share binds again.
	ref, err = f.send(f.subj, now, false)
	want(t, ref, err, "open", 90*time.Minute)

	// A number range: 10 − (sends) allows 5 unverified, then blocks for 12 hours.
	f.limits = plan.Plan{Limits: []plan.Limit{{Name: "pumped", Of: identity.Prefix, Scope: "prefix", Side: plan.Sent,
		Rule: ratelimit.Earned{Base: 10, Earn: 5, Shrink: 1, Ceiling: 1 << 20, Window: 24 * time.Hour}, Block: 12 * time.Hour}}}
	f.subj.Prefix = "p1"
	for i := 0; i < 5; i++ {
		f.subj.Destination = fmt.Sprintf("d%d", 10+i)
		ref, err = f.send(f.subj, now, false)
		want(t, ref, err, "", 0)
	}
	ctx := context.Background()
	read := func() *plan.Reading {
		items, err := f.store.GetMany(ctx, f.limits.Keys(f.subj, now), now)
		if err != nil {
			t.Fatal(err)
		}
		return f.limits.Read(items, f.subj, now)
	}
	rd := read()
	ref, _ = rd.Check(f.subj, plan.Sent)
	if ref == nil || ref.Limit.Name != "pumped" || ref.Blocked {
		t.Fatalf("sixth unverified code into the range: %+v, want refused by pumped", ref)
	}
	tx := f.store.Tx()
	if blocked, err := rd.BlockOn(tx, ref, f.subj); !blocked || err != nil {
		t.Fatalf("BlockOn = %v, %v", blocked, err)
	}
	if err := f.store.Commit(ctx, tx); err != nil {
		t.Fatal(err)
	}
	// Verified codes no longer help a blocked range until the block ends.
	credit(f.subj, now)
	now = now.Add(time.Hour)
	ref, _ = read().Check(f.subj, plan.Sent)
	if ref == nil || !ref.Blocked || ref.RetryAfter != 11*time.Hour {
		t.Fatalf("an hour later: %+v, want the block, 11 h to go", ref)
	}
}

// A sharded limit counts each request on one of its shards, by destination: the
// same destination always on the same one, many destinations on all of them.
func TestShards(t *testing.T) {
	p := plan.Plan{Limits: []plan.Limit{{Name: "budget", Of: identity.Channel, Scope: "channel", Side: plan.Sent, Shards: 4,
		Rule: ratelimit.Sliding{Max: 10, Window: time.Hour}}}}
	seen := map[string]bool{}
	for i := 0; i < 64; i++ {
		s := identity.Subject{Destination: fmt.Sprintf("d%d", i), Channel: contact.SMS}
		k := p.Keys(s, start)[0]
		if again := p.Keys(s, start.Add(time.Minute))[0]; again != k {
			t.Fatalf("destination %d on %s, then %s", i, k, again)
		}
		seen[k] = true
	}
	if len(seen) != 4 {
		t.Fatalf("64 destinations on %d shards (%v), want 4", len(seen), seen)
	}
	bad := plan.Plan{Limits: append(p.Limits, plan.Limit{Name: "other", Of: identity.Channel, Scope: "channel", Side: plan.Sent,
		Rule: ratelimit.Sliding{Max: 5, Window: time.Hour}})}
	if err := bad.Validate(); err == nil {
		t.Fatal("two limits on one scope with different shards passed")
	}
}
