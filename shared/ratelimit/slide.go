package ratelimit

import "time"

// slide is the arithmetic of a limit that slides over fixed windows of one
// length: a request is allowed while the requests counted in the current window,
// plus those of the previous window weighted by the share of it still inside the
// last window's length (rounded up), stay under the limit. So nobody takes a full
// allowance at the end of one window and another at the start of the next, and a
// check still reads just two counters.
type slide time.Duration

func (w slide) seconds() int64 { return int64(time.Duration(w) / time.Second) }

// start is the start of the fixed window holding now, in Unix seconds.
func (w slide) start(now time.Time) int64 { return now.Truncate(time.Duration(w)).Unix() }

// allowance is how many requests the current window may hold in all at now,
// given prev counted in the window before.
func (w slide) allowance(max, prev int, now time.Time) int {
	n := w.seconds()
	left := n - (now.Unix() - w.start(now))
	return max - int((int64(prev)*left+n-1)/n)
}

// wait is how long from now until one more request is allowed, with cur counted
// in the current window and prev in the one before.
func (w slide) wait(max, cur, prev int, now time.Time) time.Duration {
	n := w.seconds()
	allowed := func(t int64) bool {
		at := now.Add(time.Duration(t) * time.Second)
		switch (w.start(at) - w.start(now)) / n {
		case 0:
			return cur < w.allowance(max, prev, at)
		case 1:
			return 0 < w.allowance(max, cur, at)
		}
		return true
	}
	lo, hi := int64(0), 2*n // allowed(2n) always holds; allowed only ever turns true
	for lo < hi {
		if mid := (lo + hi) / 2; allowed(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return time.Duration(lo) * time.Second
}
