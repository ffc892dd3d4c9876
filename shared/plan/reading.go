package plan

import (
	"fmt"
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
}

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
		var key, prev string
		switch r := l.Rule.(type) {
		case ratelimit.Sliding:
			key, prev = store.CounterKey(l.Scope, id, r.Start(now)), store.CounterKey(l.Scope, id, r.Previous(now))
		case ratelimit.Fixed:
			key = store.CounterKey(l.Scope, id, r.Start(now))
		case ratelimit.Bound:
			key = store.LogKey(l.Scope, id)
		}
		g := byKey[key]
		if g == nil {
			g = &group{key: key, prev: prev}
			byKey[key] = g
			out = append(out, g)
		}
		g.limits = append(g.limits, l)
	}
	return out
}

func all(*Limit) bool { return true }

// Keys are the items to read for the limits that apply to s, for one
// store.GetMany with the caller's own. A limit whose identity s leaves empty is
// not read; where it is claimed later, for a subject learnt from that same read
// (a resend's destination), it is claimed on conditions that need no read.
func (p Plan) Keys(s identity.Subject, now time.Time) []string {
	var keys []string
	for _, g := range p.groups(s, now, all) {
		keys = append(keys, g.key)
		if g.prev != "" {
			keys = append(keys, g.prev)
		}
	}
	return keys
}

// Reading is the plan's state as read at one moment.
type Reading struct {
	plan   Plan
	items  store.Items
	read   map[string]bool
	now    time.Time
	waived bool
}

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
	return r.plan.groups(s, r.now, func(l *Limit) bool { return l.Side == side && !(r.waived && l.Answer.Status == 428) })
}

// state is what a group's items hold.
type state struct {
	cur, prev int
	log       []int64
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
			return fmt.Errorf("limit %s: its counters were not read", g.name())
		}
		prev, err := store.Count(r.items[g.prev])
		if err != nil {
			return fmt.Errorf("decode limit %s: %w", g.name(), err)
		}
		below := first.Allowance(prev, now)
		for _, l := range g.limits[1:] {
			below = min(below, l.Rule.(ratelimit.Sliding).Allowance(prev, now))
		}
		if hold {
			t.CheckCount(g.name(), g.key, below)
			return nil
		}
		// The counter outlives its window by one more, in which it is "previous".
		t.Count(g.name(), g.key, below, first.Start(now)+2*int64(first.Window/time.Second)+60)
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
