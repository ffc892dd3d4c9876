package ratelimit

import "time"

// Sliding is at most Max requests over the last Window, counted in fixed windows
// of that length: a request is allowed while the requests counted in the current
// window, plus those of the previous window weighted by the share of it still
// inside the last Window (rounded up), stay under Max. So nobody takes a full
// allowance at the end of one window and another at the start of the next, and a
// check still reads just two counters.
//
// Weighting assumes the previous window's requests were spread evenly over it.
// Whole drops that assumption: the previous window counts in full until it
// ends, so no span of Window ever holds more than Max, however the requests
// were timed (a spray in a window's last minutes gets no fresh allowance in the
// next), at the price of at most Max in two windows under steady demand.
type Sliding struct {
	Max    int
	Window time.Duration
	Whole  bool
}

func (w Sliding) seconds() int64 { return int64(w.Window / time.Second) }

// Start is the start of the fixed window holding now, in Unix seconds.
func (w Sliding) Start(now time.Time) int64 { return now.Truncate(w.Window).Unix() }

// Previous is the start of the window before the one holding now.
func (w Sliding) Previous(now time.Time) int64 { return w.Start(now) - w.seconds() }

// Allowance is how many requests the current window may hold in all at now,
// given prev counted in the window before.
func (w Sliding) Allowance(prev int, now time.Time) int {
	if w.Whole {
		return w.Max - prev
	}
	n := w.seconds()
	left := n - (now.Unix() - w.Start(now))
	return w.Max - int((int64(prev)*left+n-1)/n)
}

// Count is the sliding count at now: cur of this window and the weighted prev.
func (w Sliding) Count(cur, prev int, now time.Time) int {
	return w.Max - w.Allowance(prev, now) + cur
}

// Wait is how long from now until one more request is allowed, with cur counted
// in the current window and prev in the one before; 0 if one is allowed now.
func (w Sliding) Wait(cur, prev int, now time.Time) time.Duration {
	n := w.seconds()
	allowed := func(t int64) bool {
		at := now.Add(time.Duration(t) * time.Second)
		switch (w.Start(at) - w.Start(now)) / n {
		case 0:
			return cur < w.Allowance(prev, at)
		case 1:
			return 0 < w.Allowance(cur, at)
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
