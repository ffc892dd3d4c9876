package plan

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/ratelimit"
	"github.com/checkin-registry/registry/shared/store"
)

// group is the limits that apply to one subject and share one item.
type group struct {
	limits []*Limit
	// key is the item claimed: the current window's counter, or the log; prev is
	// a sliding counter's previous window, read with it.
	key, prev string
	// ok and okPrev count the verified codes of an earned allowance, and block
	// is the item of a limit that blocks; "" where none applies.
	ok, okPrev, block string
}

// VerifiedScope is the scope of the counters of verified codes that go with an
// earned allowance's counters in scope.
func VerifiedScope(scope string) string { return scope + "-ok" }

// blockScope is the scope of the block items of the limits in scope.
func blockScope(scope string) string { return scope + "-block" }

// name is the group's write in a transaction: its first limit's name.
func (g *group) name() string { return g.limits[0].Name }

// groups are the plan's limits that apply to s, by item, in declaration order.
func (p Plan) groups(s identity.Subject, now time.Time, keep func(*Limit) bool) []*group {
	var out []*group
	byKey := map[string]*group{}
	for i := range p.Limits {
		l := &p.Limits[i]
		id := s.ID(l.Of)
		if id == "" || l.Channel != "" && l.Channel != s.Channel || !keep(l) {
			continue
		}
		if l.Shards > 1 {
			id += "#" + strconv.Itoa(shard(s, l.Shards))
		}
		var key, prev, ok, okPrev, block string
		switch r := l.Rule.(type) {
		case ratelimit.Sliding:
			key, prev = store.CounterKey(l.Scope, id, r.Start(now)), store.CounterKey(l.Scope, id, r.Previous(now))
		case ratelimit.Earned:
			w := r.Sliding()
			key, prev = store.CounterKey(l.Scope, id, w.Start(now)), store.CounterKey(l.Scope, id, w.Previous(now))
			ok, okPrev = store.CounterKey(VerifiedScope(l.Scope), id, w.Start(now)), store.CounterKey(VerifiedScope(l.Scope), id, w.Previous(now))
		case ratelimit.Fixed:
			key = store.CounterKey(l.Scope, id, r.Start(now))
		case ratelimit.Bound:
			key = store.LogKey(l.Scope, id)
		}
		if l.Block > 0 {
			block = store.BlockKey(blockScope(l.Scope), id)
		}
		g := byKey[key]
		if g == nil {
			g = &group{key: key, prev: prev}
			byKey[key] = g
			out = append(out, g)
		}
		g.limits = append(g.limits, l)
		g.ok, g.okPrev = cmp.Or(g.ok, ok), cmp.Or(g.okPrev, okPrev)
		g.block = cmp.Or(g.block, block)
	}
	return out
}

func all(*Limit) bool { return true }

// shard is the one of n shards a request for s counts on: its destination's (or,
// where that is not known yet, its client's) hash, spread evenly.
func shard(s identity.Subject, n int) int {
	h := fnv.New32a()
	h.Write([]byte(cmp.Or(s.Destination, s.Client)))
	return int(h.Sum32() % uint32(n))
}

// Keys are the items to read for the limits that apply to s, for one
// store.GetMany with the caller's own. A limit whose identity s leaves empty is
// not read; where it is claimed later, for a subject learnt from that same read
// (a resend's destination), it is claimed on conditions that need no read.
func (p Plan) Keys(s identity.Subject, now time.Time) []string {
	var keys []string
	for _, g := range p.groups(s, now, all) {
		for _, k := range []string{g.key, g.prev, g.ok, g.okPrev, g.block} {
			if k != "" {
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// Credit adds to t one verified code for s on every earned allowance of p: what
// a verify adds to the transaction that completes it.
func (p Plan) Credit(t *store.Tx, s identity.Subject, now time.Time) {
	p.eachEarned(s, now, all, func(g *group, r ratelimit.Earned) {
		if g.ok != "" {
			t.Credit(g.ok, counterTTL(r, now))
		}
	})
}

// CreditProof adds to t, for a registration proven by a message from its
// destination rather than by a code, what a verify adds: the request s made at
// counted is returned to every earned allowance that counts every request (a
// request counted in a window that has since slid out is past returning), and
// the client's and network's allowances count one proof by message. A proof
// grows their allowance as a verified code does, so a carrier-grade NAT whose
// businesses prove themselves by text keeps being served; but it buys no
// standing (Reading.Verified counts codes alone) and nothing on a number range,
// since it costs whoever sends it nothing of ours: a botnet proving its own
// SIMs by text must not lift itself out of the open share, nor unblock a range
// it pumps.
func (p Plan) CreditProof(t *store.Tx, s identity.Subject, counted, now time.Time) {
	everyRequest := func(l *Limit) bool { return l.Side == EveryRequest }
	p.eachEarned(s, counted, everyRequest, func(g *group, r ratelimit.Earned) {
		if w := r.Sliding(); w.Start(counted) >= w.Previous(now) {
			t.Refund(g.key, counterTTL(r, counted))
		}
	})
	p.eachEarned(s, now, func(l *Limit) bool {
		return everyRequest(l) && (l.Of == identity.Client || l.Of == identity.Network)
	}, func(g *group, r ratelimit.Earned) {
		if g.ok != "" {
			t.CreditProof(g.ok, counterTTL(r, now))
		}
	})
}

// eachEarned calls fn with each of p's groups for s at now (of the limits keep
// keeps) that holds an earned allowance, and the first such allowance's rule.
func (p Plan) eachEarned(s identity.Subject, now time.Time, keep func(*Limit) bool, fn func(*group, ratelimit.Earned)) {
	for _, g := range p.groups(s, now, keep) {
		for _, l := range g.limits {
			if r, ok := l.Rule.(ratelimit.Earned); ok {
				fn(g, r)
				break
			}
		}
	}
}

// counterTTL is when an earned allowance's counter for the window at at may go:
// once it is no longer the current window nor the previous one.
func counterTTL(r ratelimit.Earned, at time.Time) int64 {
	return r.Sliding().Start(at) + 2*int64(r.Window/time.Second) + 60
}

// Reading is the plan's state as read at one moment.
type Reading struct {
	plan   Plan
	items  store.Items
	read   map[string]bool
	now    time.Time
	waived bool
	// trusted is set where the caller holds other proof that the request is not
	// a stranger's.
	trusted bool
}

// Trust lifts the Open limits: the request carries other proof that it is not a
// stranger's (a venue token, say).
func (r *Reading) Trust() { r.trusted = true }

// Read is the plan's state in items, read with Keys(s, now).
func (p Plan) Read(items store.Items, s identity.Subject, now time.Time) *Reading {
	if items == nil {
		items = store.Items{}
	}
	read := map[string]bool{}
	for _, k := range p.Keys(s, now) {
		read[k] = true
	}
	return &Reading{plan: p, items: items, read: read, now: now}
}

// Waive lifts the limits whose answer is 428: the request carries a solved
// challenge.
func (r *Reading) Waive() { r.waived = true }

func (r *Reading) groups(s identity.Subject, side Side) []*group {
	verified := r.Verified(s)
	return r.plan.groups(s, r.now, func(l *Limit) bool {
		return l.Side == side && !(r.waived && l.Answer.Status == 428) && !(l.Open && verified)
	})
}

// Verified says whether s's client or network is in good standing, as read:
// within the window of its earned allowance it had codes verified, at least
// twice as many as it had not. Such a request is not a stranger's, and Open
// limits do not apply to it; a botnet that verifies its own SIMs to get there
// pays two verified codes for each unsolicited one. Proofs by message count
// for nothing here (CreditProof says why): only codes the service sent.
func (r *Reading) Verified(s identity.Subject) bool {
	if r.trusted {
		return true
	}
	for _, g := range r.plan.groups(s, r.now, all) {
		if g.ok == "" || g.limits[0].Of != identity.Client && g.limits[0].Of != identity.Network {
			continue
		}
		st, err := r.state(g, r.items[g.key])
		if err == nil && st.verified > 0 && st.verified >= 2*ratelimit.Unverified(st.sent, st.verified) {
			return true
		}
	}
	return false
}

// Unverified is the sliding count of requests without a verified code on s's
// earned allowance of kind k, as read; 0 where there is none.
func (r *Reading) Unverified(s identity.Subject, k identity.Kind) int {
	for _, g := range r.plan.groups(s, r.now, all) {
		if g.ok != "" && g.limits[0].Of == k {
			if st, err := r.state(g, r.items[g.key]); err == nil {
				return ratelimit.Unverified(st.sent, st.verified+st.proven)
			}
		}
	}
	return 0
}

// BlockOn adds to t the block that a refusal by ref's limit sets for s (a Put of
// the block item, expiring when the block ends), and answers whether it did.
func (r *Reading) BlockOn(t *store.Tx, ref *Refusal, s identity.Subject) (bool, error) {
	l := ref.Limit
	if l.Block <= 0 || ref.Blocked {
		return false, nil
	}
	id := s.ID(l.Of)
	if id == "" {
		return false, nil
	}
	return true, t.PutBlock(l.Name, store.BlockKey(blockScope(l.Scope), id), r.now.Add(l.Block))
}

// state is what a group's items hold: a counter's current and previous windows
// (and for an earned allowance the sliding counts of requests and of verified
// codes), or a log.
type state struct {
	cur, prev int
	// sent and verified are an earned allowance's sliding counts of requests
	// and of verified codes, proven its count of proofs by message.
	sent, verified, proven int
	log                    []int64
}

// state decodes a group's state from item (its claimed item) and, for a sliding
// counter, the previous window as read.
func (r *Reading) state(g *group, item map[string]types.AttributeValue) (state, error) {
	var st state
	var err error
	switch g.limits[0].Rule.(type) {
	case ratelimit.Bound:
		var l store.Log
		l, err = store.DecodeLog(item)
		st.log = l.At
	default:
		if st.cur, err = store.Count(item); err == nil && g.prev != "" {
			st.prev, err = store.Count(r.items[g.prev])
		}
		if err == nil && g.ok != "" {
			var ok, okPrev, pr, prPrev int
			if ok, pr, err = store.Verifications(r.items[g.ok]); err == nil {
				okPrev, prPrev, err = store.Verifications(r.items[g.okPrev])
			}
			w := ratelimit.Sliding{Window: time.Hour}
			for _, l := range g.limits {
				if e, isEarned := l.Rule.(ratelimit.Earned); isEarned {
					w = e.Sliding()
				}
			}
			st.sent, st.verified, st.proven = w.Count(st.cur, st.prev, r.now), w.Count(ok, okPrev, r.now), w.Count(pr, prPrev, r.now)
		}
	}
	if err != nil {
		return st, fmt.Errorf("decode limit %s: %w", g.name(), err)
	}
	return st, nil
}

// exceeded is l's wait at now given st, and whether l refuses another request.
func exceeded(l *Limit, st state, now time.Time) (time.Duration, bool) {
	switch r := l.Rule.(type) {
	case ratelimit.Sliding:
		if st.cur >= r.Allowance(st.prev, now) {
			return r.Wait(st.cur, st.prev, now), true
		}
	case ratelimit.Earned:
		if m := r.Max(st.sent, st.verified+st.proven); st.sent >= m {
			w := ratelimit.Sliding{Max: m, Window: r.Window}.Wait(st.cur, st.prev, now)
			if r.Shrink > 0 && r.Earn > 0 && st.sent > st.verified+st.proven {
				// A pending code verified lifts it sooner than the requests slide out.
				w = min(w, r.Window/30)
			}
			return w, true
		}
	case ratelimit.Fixed:
		if st.cur >= r.Max {
			return r.Wait(now), true
		}
	case ratelimit.Bound:
		if w := r.Wait(st.log, now); w > 0 {
			return w, true
		}
	}
	return 0, false
}

func (r *Reading) first(g *group, st state) *Refusal {
	if g.block != "" {
		if until, ok := store.Blocked(r.items[g.block], r.now); ok {
			for _, l := range g.limits {
				if l.Block > 0 {
					return &Refusal{Limit: l, Exceeded: ratelimit.Exceeded{Limit: l.Name, RetryAfter: until.Sub(r.now)}, Blocked: true}
				}
			}
		}
	}
	for _, l := range g.limits {
		if wait, ok := exceeded(l, st, r.now); ok {
			return &Refusal{Limit: l, Exceeded: ratelimit.Exceeded{Limit: l.Name, RetryAfter: wait}}
		}
	}
	return nil
}

// Check is the first limit of side that refuses another request for s, as read,
// or nil. A limit whose items were not read cannot refuse here; its claim will.
func (r *Reading) Check(s identity.Subject, side Side) (*Refusal, error) {
	for _, g := range r.groups(s, side) {
		if !r.read[g.key] {
			continue
		}
		st, err := r.state(g, r.items[g.key])
		if err != nil {
			return nil, err
		}
		if ref := r.first(g, st); ref != nil {
			return ref, nil
		}
	}
	return nil, nil
}

// Claim adds to t one count of the request against every limit of these sides
// that applies to s, each on the condition that its limit still allows it, so
// that the limits hold however many requests run at once.
func (r *Reading) Claim(t *store.Tx, s identity.Subject, sides ...Side) error {
	return r.each(s, sides, func(g *group) error { return r.claim(t, g, false) })
}

// Hold adds to t the conditions of every limit of these sides that applies to s,
// without counting the request: a request that is counted only if it fails (a
// wrong code) is held to its limit when it succeeds.
func (r *Reading) Hold(t *store.Tx, s identity.Subject, sides ...Side) error {
	return r.each(s, sides, func(g *group) error { return r.claim(t, g, true) })
}

func (r *Reading) each(s identity.Subject, sides []Side, f func(*group) error) error {
	for _, side := range sides {
		for _, g := range r.groups(s, side) {
			if err := f(g); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *Reading) claim(t *store.Tx, g *group, hold bool) error {
	now := r.now
	switch first := g.limits[0].Rule.(type) {
	case ratelimit.Sliding:
		if !r.read[g.prev] {
			// A resend's channel, learnt from the read: held to Max in the current
			// window alone.
			return r.count(t, g, first.Max, first.Start(now)+2*int64(first.Window/time.Second)+60, hold)
		}
		prev, err := store.Count(r.items[g.prev])
		if err != nil {
			return fmt.Errorf("decode limit %s: %w", g.name(), err)
		}
		below := first.Allowance(prev, now)
		for _, l := range g.limits[1:] {
			below = min(below, r.allowance(g, l, prev))
		}
		if hold {
			t.CheckCount(g.name(), g.key, below)
			return nil
		}
		// The counter outlives its window by one more, in which it is "previous".
		t.Count(g.name(), g.key, below, first.Start(now)+2*int64(first.Window/time.Second)+60)
	case ratelimit.Earned:
		w := first.Sliding()
		ttl := w.Start(now) + 2*int64(first.Window/time.Second) + 60
		if !r.read[g.prev] {
			// A resend's destination-side allowance, learnt from the read: counted,
			// and judged on the next request that reads it.
			return r.count(t, g, 1<<30, ttl, hold)
		}
		prev, err := store.Count(r.items[g.prev])
		if err != nil {
			return fmt.Errorf("decode limit %s: %w", g.name(), err)
		}
		below := r.allowance(g, g.limits[0], prev)
		for _, l := range g.limits[1:] {
			below = min(below, r.allowance(g, l, prev))
		}
		return r.count(t, g, below, ttl, hold)
	case ratelimit.Fixed:
		below := first.Max
		for _, l := range g.limits[1:] {
			below = min(below, l.Rule.(ratelimit.Fixed).Max)
		}
		if hold {
			t.CheckCount(g.name(), g.key, below)
			return nil
		}
		t.Count(g.name(), g.key, below, first.Start(now)+int64(first.Window/time.Second)+60)
	case ratelimit.Bound:
		keep, longest, bounds := logBounds(g, now)
		if hold {
			t.CheckLog(g.name(), g.key, bounds)
			return nil
		}
		// Prepending needs no read; a log read longer than twice what its bounds
		// look at is rewritten trimmed, on the condition that no one wrote it since.
		var trim *store.Log
		if r.read[g.key] {
			l, err := store.DecodeLog(r.items[g.key])
			if err != nil {
				return fmt.Errorf("decode limit %s: %w", g.name(), err)
			}
			if len(l.At) > 2*keep {
				trim = &l
			}
		}
		return t.AppendLog(g.name(), g.key, trim, now.Unix(), keep, bounds, now.Add(longest).Unix())
	}
	return nil
}

// count adds to t the claim of one more on g's counter below below, or where
// hold is set only the condition that one more is allowed.
func (r *Reading) count(t *store.Tx, g *group, below int, ttl int64, hold bool) error {
	if hold {
		t.CheckCount(g.name(), g.key, below)
	} else {
		t.Count(g.name(), g.key, below, ttl)
	}
	return nil
}

// allowance is how many requests the current window of g may hold in all under
// l, given prev in the window before: a sliding limit's, or an earned one's at
// the allowance its counts as read earn.
func (r *Reading) allowance(g *group, l *Limit, prev int) int {
	switch rule := l.Rule.(type) {
	case ratelimit.Earned:
		st, _ := r.state(g, r.items[g.key])
		return ratelimit.Sliding{Max: rule.Max(st.sent, st.verified+st.proven), Window: rule.Window}.Allowance(prev, r.now)
	case ratelimit.Sliding:
		return rule.Allowance(prev, r.now)
	}
	return 1 << 30
}

// logBounds are a log group's conditions, how many entries they look at and
// the longest window.
func logBounds(g *group, now time.Time) (keep int, longest time.Duration, bounds []store.LogBound) {
	for _, l := range g.limits {
		b := l.Rule.(ratelimit.Bound)
		keep, longest = max(keep, b.N), max(longest, b.Window)
		bounds = append(bounds, store.LogBound{Index: b.N - 1, Cut: b.Cut(now)})
	}
	return keep, longest, bounds
}

// Learn takes in the item of a failed claim on a log that no bound refused: a
// log unread and grown too long to prepend to. The next Claim, in a new
// transaction, rewrites it trimmed. It says whether there was such a log.
func (r *Reading) Learn(failed *store.ConditionFailed, s identity.Subject) bool {
	for _, side := range []Side{EveryRequest, Sent} {
		for _, g := range r.groups(s, side) {
			if g.name() != failed.Name {
				continue
			}
			if _, ok := g.limits[0].Rule.(ratelimit.Bound); !ok {
				return false
			}
			st, err := r.state(g, failed.Item)
			keep, _, _ := logBounds(g, r.now)
			if err != nil || r.first(g, st) != nil || len(st.log) <= 2*keep {
				return false
			}
			r.items[g.key], r.read[g.key] = failed.Item, true
			return true
		}
	}
	return false
}

// Explain is the limit whose claim cancelled a transaction, from the item as the
// failed condition found it, or nil where failed is none of this plan's claims
// for s, or where no limit refused (a lost race on a log's trimming: a passing
// contention).
func (r *Reading) Explain(failed *store.ConditionFailed, s identity.Subject) (*Refusal, error) {
	for _, side := range []Side{EveryRequest, Sent} {
		for _, g := range r.groups(s, side) {
			if g.name() != failed.Name {
				continue
			}
			st, err := r.state(g, failed.Item)
			if err != nil {
				return nil, err
			}
			return r.first(g, st), nil
		}
	}
	return nil, nil
}
