package ratelimit

import (
	"time"

	"github.com/checkin-registry/registry/shared/store"
)

// Counter is one fixed-window limit on requests, kept in the same kind of item as
// the client and channel counters of Limits and claimed the same way: a conditional
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

// Key is the counter's item for the window holding now, for one store.GetMany.
func (c Counter) Key(now time.Time) string {
	return counterKey(c.Scope, c.ID, c.windowStart(now))
}

// Check answers the *Exceeded for the counter read in items, or nil while it is
// below Max.
func (c Counter) Check(items store.Items, now time.Time) error {
	var n counter
	if _, err := items.Decode(c.Key(now), &n); err != nil {
		return err
	}
	if n.N >= c.Max {
		return c.Exceeded(now)
	}
	return nil
}

// Claim adds to t one count, on the condition that the counter is below Max.
func (c Counter) Claim(t *store.Tx, now time.Time) {
	w := c.windowStart(now)
	Limits{}.count(t, c.Name, counterKey(c.Scope, c.ID, w), c.Max, w+int64(c.Window/time.Second)+60)
}

// Exceeded is the counter's refusal at now: retry when its window ends.
func (c Counter) Exceeded(now time.Time) *Exceeded {
	return &Exceeded{Limit: c.Name, RetryAfter: time.Unix(c.windowStart(now), 0).Add(c.Window).Sub(now)}
}

func (c Counter) windowStart(now time.Time) int64 { return now.Truncate(c.Window).Unix() }
