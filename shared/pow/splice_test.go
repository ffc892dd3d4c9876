package pow_test

import (
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/pow"
)

// An expired solution whose number's digits were moved into its salt is refused,
// however many digits move, and so is the same splice before expiry.
func TestSplicedSolutionIsRefused(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	c := pow.Challenger{Key: []byte("0123456789abcdef0123456789abcdef"), MaxNumber: 100000, TTL: 10 * time.Minute, Rand: rand.Reader}
	spliced := make([]string, 4)
	for ok := false; !ok; {
		ch, err := c.New(now)
		if err != nil {
			t.Fatal(err)
		}
		payload, err := pow.Solve(ch)
		if err != nil {
			t.Fatal(err)
		}
		ok = true
		for digits := 1; digits <= 3; digits++ {
			var moved bool
			spliced[digits], moved = apitest.SpliceALTCHA(payload, digits)
			ok = ok && moved
		}
	}
	later := now.Add(11 * time.Minute)
	for digits := 1; digits <= 3; digits++ {
		spliced := spliced[digits]
		if _, _, err := c.Verify(spliced, now); !errors.Is(err, pow.ErrForeignSalt) {
			t.Errorf("%d digits moved, before expiry: err = %v, want %v", digits, err, pow.ErrForeignSalt)
		}
		if _, _, err := c.Verify(spliced, later); err == nil {
			t.Errorf("%d digits moved, after expiry: accepted", digits)
		}
	}
}
