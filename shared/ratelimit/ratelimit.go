// Package ratelimit is the arithmetic of the service's limits: a count that
// slides over fixed windows, a count per clock window, and a bound on a log of
// send times. It reads and writes nothing: shared/plan applies these to the items
// that shared/store keeps.
package ratelimit

import (
	"fmt"
	"time"
)

// Exceeded says which limit refused a request and when to try again.
type Exceeded struct {
	Limit      string
	RetryAfter time.Duration
}

func (e *Exceeded) Error() string { return fmt.Sprintf("limit %s exceeded", e.Limit) }

// RetryAfterSeconds is RetryAfter rounded up to whole seconds, at least 1.
func (e *Exceeded) RetryAfterSeconds() int {
	s := int((e.RetryAfter + time.Second - 1) / time.Second)
	return max(s, 1)
}

// Fixed is at most Max per clock window of length Window.
type Fixed struct {
	Max    int
	Window time.Duration
}

// Start is the start of the window holding now, in Unix seconds.
func (f Fixed) Start(now time.Time) int64 { return now.Truncate(f.Window).Unix() }

// Wait is how long from now until the next window, where this one is full.
func (f Fixed) Wait(now time.Time) time.Duration {
	return time.Unix(f.Start(now), 0).Add(f.Window).Sub(now)
}

// Bound is at most N entries of a log within any Window. A log lists times in
// Unix seconds, newest first, so that the bound depends on one entry only, the
// N-th: a store can check it as a condition on that entry without reading the log.
type Bound struct {
	N      int
	Window time.Duration
}

// Cut is the time at or before which an entry no longer counts at now.
func (b Bound) Cut(now time.Time) int64 { return now.Add(-b.Window).Unix() }

// Wait is how long from now until the log may take one more entry; 0 if it may.
func (b Bound) Wait(log []int64, now time.Time) time.Duration {
	if b.N <= 0 {
		return b.Window
	}
	if len(log) < b.N || log[b.N-1] <= b.Cut(now) {
		return 0
	}
	return time.Unix(log[b.N-1], 0).Add(b.Window).Sub(now)
}
