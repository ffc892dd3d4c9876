package ratelimit

import (
	"testing"
	"time"
)

func TestBound(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 20, 0, 0, time.UTC)
	at := func(d time.Duration) int64 { return now.Add(-d).Unix() }
	cooldown, cap3 := Bound{N: 1, Window: time.Minute}, Bound{N: 3, Window: 24 * time.Hour}
	tests := []struct {
		name  string
		b     Bound
		log   []int64 // newest first
		retry time.Duration
	}{
		{"fresh", cooldown, nil, 0},
		{"cooling down", cooldown, []int64{at(20 * time.Second)}, 40 * time.Second},
		{"cooled down", cooldown, []int64{at(time.Minute)}, 0},
		{"below the cap", cap3, []int64{at(2 * time.Hour), at(time.Hour)}, 0},
		{"capped: until the oldest of the three is a day old", cap3, []int64{at(time.Hour), at(2 * time.Hour), at(5 * time.Hour)}, 19 * time.Hour},
		{"an old entry past the third counts for nothing", cap3, []int64{at(time.Hour), at(2 * time.Hour), at(25 * time.Hour), at(26 * time.Hour)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.b.Wait(tt.log, now); got != tt.retry {
				t.Fatalf("Wait = %s, want %s", got, tt.retry)
			}
			if tt.retry > 0 && (tt.b.Wait(tt.log, now.Add(tt.retry)) != 0 || tt.b.Wait(tt.log, now.Add(tt.retry-time.Second)) == 0) {
				t.Fatalf("the wait %s is not the moment the bound allows one more", tt.retry)
			}
		})
	}
}

func TestFixed(t *testing.T) {
	f := Fixed{Max: 500, Window: time.Hour}
	now := time.Date(2026, 11, 24, 10, 20, 0, 0, time.UTC)
	if f.Wait(now) != 40*time.Minute || f.Start(now) != time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC).Unix() {
		t.Fatalf("Wait = %s, Start = %d", f.Wait(now), f.Start(now))
	}
}

func TestSlidingWaitIsExact(t *testing.T) {
	at := func(hh, mm, ss int) time.Time { return time.Date(2026, 11, 24, hh, mm, ss, 0, time.UTC) }
	w := Sliding{Max: 10, Window: time.Hour}
	tests := []struct {
		name      string
		cur, prev int
		now       time.Time
		retry     time.Duration // 0: allowed
	}{
		{"under the limit", 9, 0, at(10, 59, 30), 0},
		{"full window: wait into the next until the old ones weigh less", 10, 0, at(10, 59, 30), 30*time.Second + 6*time.Minute},
		{"a full previous window still counts just after the boundary", 0, 10, at(11, 1, 0), 5 * time.Minute},
		{"and lets one through once a tenth of it has slid out", 0, 10, at(11, 6, 0), 0},
		{"half the previous window plus the current", 5, 10, at(11, 30, 0), 6 * time.Minute},
		{"room left", 4, 10, at(11, 30, 0), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allowed := func(cur, prev int, now time.Time) bool { return cur < w.Allowance(prev, now) }
			if got := w.Wait(tt.cur, tt.prev, tt.now); got != tt.retry || allowed(tt.cur, tt.prev, tt.now) != (tt.retry == 0) {
				t.Fatalf("Wait = %s (allowed %v), want %s", got, allowed(tt.cur, tt.prev, tt.now), tt.retry)
			}
			if tt.retry == 0 {
				return
			}
			// Retry-After is exact: a second earlier is refused, at it allowed.
			cur, prev := tt.cur, tt.prev
			if w.Start(tt.now.Add(tt.retry)) != w.Start(tt.now) {
				cur, prev = 0, tt.cur
			}
			if !allowed(cur, prev, tt.now.Add(tt.retry)) || allowed(cur, prev, tt.now.Add(tt.retry-time.Second)) {
				t.Fatalf("Retry-After %s is not the moment the request becomes allowed", tt.retry)
			}
		})
	}
	if got := w.Count(2, 10, at(11, 30, 0)); got != 7 {
		t.Fatalf("Count = %d, want 7 (half of 10, plus 2)", got)
	}
}

// A whole previous window holds back the next one entirely: requests sprayed at
// a window's end buy nothing in the next, so any span of Window holds Max.
func TestSlidingWholeHoldsAnySpan(t *testing.T) {
	at := func(hh, mm, ss int) time.Time { return time.Date(2026, 11, 24, hh, mm, ss, 0, time.UTC) }
	for _, whole := range []bool{false, true} {
		w := Sliding{Max: 10, Window: time.Hour, Whole: whole}
		// Ten at 10:55 (the previous window's, from 11:00), then one a minute
		// whenever it is allowed.
		cur, prev, sent := 0, 10, 10
		for now := at(11, 0, 0); now.Before(at(11, 55, 0)); now = now.Add(time.Minute) {
			if cur < w.Allowance(prev, now) {
				cur++
				sent++
			}
		}
		if whole && sent != 10 || !whole && sent <= 10 {
			t.Errorf("Whole %v: %d requests from 10:55 to 11:55, want %s", whole, sent, map[bool]string{true: "10", false: "more (weighting lets some through)"}[whole])
		}
	}
	w := Sliding{Max: 10, Window: time.Hour, Whole: true}
	if got := w.Wait(0, 10, at(11, 1, 0)); got != 59*time.Minute {
		t.Errorf("Wait after a full window = %s, want until the next turns (59m)", got)
	}
	if got := w.Count(2, 7, at(11, 59, 0)); got != 9 {
		t.Errorf("Count = %d, want 9 (all 7 of the previous window, plus 2)", got)
	}
}

func TestEarned(t *testing.T) {
	e := Earned{Base: 10, Earn: 3, Shrink: 1, Floor: 3, Ceiling: 1000, Window: time.Hour}
	allowed := func(s, v int) bool { return s < e.Max(s, v) }
	// A client whose codes are never verified: 10, 9, 8, 7, 6 allow, then no more.
	n := 0
	for allowed(n, 0) {
		n++
	}
	if n != 5 || e.Max(50, 0) != 3 {
		t.Fatalf("unverified: %d allowed, Max(50, 0) = %d; want 5 and the floor 3", n, e.Max(50, 0))
	}
	// A CGNAT address whose businesses verify, with 4 codes still pending: 200 in an hour.
	for s := 0; s < 200; s++ {
		if !allowed(s, max(s-4, 0)) {
			t.Fatalf("verifying: refused at %d", s)
		}
	}
	if e.Max(5000, 5000) != 1000 {
		t.Fatalf("Max(5000, 5000) = %d, want the ceiling", e.Max(5000, 5000))
	}
}
