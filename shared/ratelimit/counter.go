package ratelimit

import (
	"time"

	"github.com/checkin-registry/registry/shared/store"
)

// Counter is one sliding limit on requests (see slide), kept in the same kind of
// items as the client counters of Limits and claimed the same way: a conditional
// increment in the caller's transaction, so that it holds under any concurrency.
// A function with limits of its own (the helpdesk) builds one per limit; giving ID
// a hash kind of its own keeps its counters apart from every other function's.
type Counter struct {
	// Name is the limit's name in errors, metrics and transactions.
	Name string
	// Scope and ID name the counted thing, e.g. "helpdesk-ip" and an address's hash.
	Scope, ID string
	Max       int
	Window    time.Duration
}

// Keys are the counter's items for the window holding now and the one before,
// for one store.GetMany.
func (c Counter) Keys(now time.Time) []string {
	s := slide(c.Window).start(now)
	return []string{counterKey(c.Scope, c.ID, s), counterKey(c.Scope, c.ID, s-slide(c.Window).seconds())}
}

// counts are the requests counted in the current and the previous window.
func (c Counter) counts(items store.Items, now time.Time) (cur, prev int, err error) {
	keys := c.Keys(now)
	for i, out := range []*int{&cur, &prev} {
		var n counter
		if _, err := items.Decode(keys[i], &n); err != nil {
			return 0, 0, err
		}
		*out = n.N
	}
	return cur, prev, nil
}

// Check answers the *Exceeded for the counter as read in items, or nil while
// another request is allowed.
func (c Counter) Check(items store.Items, now time.Time) error {
	cur, prev, err := c.counts(items, now)
	if err != nil {
		return err
	}
	if w := slide(c.Window); cur >= w.allowance(c.Max, prev, now) {
		return &Exceeded{Limit: c.Name, RetryAfter: w.wait(c.Max, cur, prev, now)}
	}
	return nil
}

// Claim adds to t one count, on the condition that another request is allowed
// given the previous window as read in items.
func (c Counter) Claim(t *store.Tx, items store.Items, now time.Time) error {
	_, prev, err := c.counts(items, now)
	if err != nil {
		return err
	}
	w := slide(c.Window)
	Limits{}.count(t, c.Name, c.Keys(now)[0], w.allowance(c.Max, prev, now), w.start(now)+2*w.seconds()+60)
	return nil
}

// Exceeded is the counter's refusal after its claim lost a race: others took the
// rest of the allowance first.
func (c Counter) Exceeded(items store.Items, now time.Time) *Exceeded {
	_, prev, _ := c.counts(items, now)
	w := slide(c.Window)
	return &Exceeded{Limit: c.Name, RetryAfter: w.wait(c.Max, w.allowance(c.Max, prev, now), prev, now)}
}
