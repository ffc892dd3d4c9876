package register_test

import (
	"testing"
	"time"

	"github.com/checkin-registry/registry/shared/apitest"
)

// A solved challenge is good once and until it expires: moving digits of its
// number into the expiry its salt carries (the same challenge, under the same
// signature) neither extends it nor makes it new, even once DynamoDB's TTL has
// deleted the record of its use.
func TestSplicedExpiredSolutionIsRefused(t *testing.T) {
	hs := newHarness(t, map[string]string{"MODE_CACHE_TTL": "0s", "POW_TTL": "10m"})
	hs.setMode("elevated")
	var solution, spliced string
	for ok := false; !ok; {
		solution = hs.solve()
		spliced, ok = apitest.SpliceALTCHA(solution, 1)
	}
	body := registration(phone(1), "")
	body["altcha"] = solution
	wantStatus(t, hs.register("192.0.2.70", body), 202, "")

	hs.clock.Advance(time.Hour)
	hs.stack.ExpireItems(t, hs.clock.Now())
	if used := hs.items("pow#"); len(used) != 0 {
		t.Fatalf("%d challenge records left after their TTL", len(used))
	}
	expired := registration(phone(2), "")
	expired["altcha"] = solution
	wantStatus(t, hs.register("192.0.2.71", expired), 428, "challenge_required")
	expired["altcha"] = spliced
	wantStatus(t, hs.register("192.0.2.71", expired), 428, "challenge_required")
	if n := hs.outbox.Len(); n != 1 {
		t.Fatalf("%d messages sent, want 1", n)
	}
}
