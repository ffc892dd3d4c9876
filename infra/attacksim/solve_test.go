package attacksim

import (
	"context"
	"testing"
	"time"

	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/apitest"
)

// A simulated client's solution to a challenge harder than the base one, as a
// network past its floor of unverified codes is set, is one the service takes.
func TestSolvesHarderChallenges(t *testing.T) {
	clock := apitest.NewClock(Start)
	st, err := newStack(context.Background(), mototest.URL(t), clock, map[string]string{"POW_NETWORK_FLOOR": "0"})
	if err != nil {
		t.Fatal(err)
	}
	s := &sim{st: st}
	ip := "45.1.2.3"
	if status, a := s.register("+60131234567", ip, ""); status != 202 {
		t.Fatalf("first request: %d %+v", status, a.Error)
	}
	clock.Advance(2 * time.Minute)
	if status, _ := s.register("+60131234568", ip, ""); status != 428 {
		t.Fatalf("a network 1 past its floor: %d, want 428", status)
	}
	payload, hashes := s.solve(ip)
	if status, a := s.register("+60131234568", ip, payload); status != 202 {
		t.Fatalf("solved (%d hashes): %d %+v", hashes, status, a.Error)
	}
	if s.res.Challenges != 1 {
		t.Errorf("%d challenges counted, want 1", s.res.Challenges)
	}
}
