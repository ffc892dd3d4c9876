package mode

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/checkin-registry/registry/shared/store"
)

type fakeStore struct {
	state store.ModeState
	err   error
	reads int
}

func (f *fakeStore) GetMode(context.Context, time.Time) (store.ModeState, error) {
	f.reads++
	return f.state, f.err
}

func TestCache(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	f := &fakeStore{err: store.ErrNotFound}
	c := NewCache(f, 5*time.Second, clock)
	steps := []struct {
		name    string
		advance time.Duration
		state   store.ModeState
		err     error
		want    Mode
		reads   int
	}{
		{"never set is normal", 0, store.ModeState{}, store.ErrNotFound, Normal, 1},
		{"cached", 4 * time.Second, store.ModeState{Mode: "elevated"}, nil, Normal, 1},
		{"read again after the TTL", 2 * time.Second, store.ModeState{Mode: "elevated"}, nil, Elevated, 2},
		{"a failed read keeps the last mode", 6 * time.Second, store.ModeState{}, errors.New("throttled"), Elevated, 3},
		{"an unknown mode fails safe", 6 * time.Second, store.ModeState{Mode: "panic"}, nil, Elevated, 4},
		{"lockdown", 6 * time.Second, store.ModeState{Mode: "lockdown"}, nil, Lockdown, 5},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		f.state, f.err = s.state, s.err
		got, err := c.Current(context.Background())
		if err != nil || got != s.want || f.reads != s.reads {
			t.Fatalf("%s: mode %q, err %v, reads %d; want %q after %d reads", s.name, got, err, f.reads, s.want, s.reads)
		}
	}
	fresh := NewCache(&fakeStore{err: errors.New("down")}, time.Second, clock)
	if _, err := fresh.Current(context.Background()); err == nil {
		t.Fatal("a cache with no mode and a failed read answered no error")
	}
}

func TestMax(t *testing.T) {
	if Max(Normal, Lockdown) != Lockdown || Max(Elevated, Normal) != Elevated || Max(Lockdown, Elevated) != Lockdown {
		t.Fatal("Max is not the stricter mode")
	}
}
