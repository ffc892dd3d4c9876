// Package mode is the service's protection mode, read from the table through a
// short cache so that a change takes effect within seconds without a read per request.
package mode

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/store"
)

// Mode is how strictly the service guards its sending endpoints.
type Mode string

// The modes, from least to most strict.
const (
	Normal   Mode = "normal"
	Elevated Mode = "elevated"
	Lockdown Mode = "lockdown"
)

var rank = map[Mode]int{Normal: 0, Elevated: 1, Lockdown: 2}

// Parse is the mode named s.
func Parse(s string) (Mode, bool) {
	_, ok := rank[Mode(s)]
	return Mode(s), ok
}

// Max is the stricter of a and b.
func Max(a, b Mode) Mode {
	if rank[b] > rank[a] {
		return b
	}
	return a
}

type reader interface {
	GetMode(ctx context.Context, now time.Time) (store.ModeState, error)
}

// Cache reads the mode at most once per TTL. If a read fails it keeps the last mode
// it knew for another TTL; with none, it answers the error.
type Cache struct {
	store reader
	ttl   time.Duration
	now   func() time.Time

	mu      sync.Mutex
	current Mode
	until   time.Time
}

// NewCache caches s's mode for ttl.
func NewCache(s reader, ttl time.Duration, now func() time.Time) *Cache {
	return &Cache{store: s, ttl: ttl, now: now}
}

// Current is the protection mode in force.
func (c *Cache) Current(ctx context.Context) (Mode, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if now.Before(c.until) {
		return c.current, nil
	}
	st, err := c.store.GetMode(ctx, now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.current = Normal
	case err != nil && c.current == "":
		return "", err
	case err == nil:
		m, ok := Parse(st.Mode)
		if !ok {
			m = Elevated // an unreadable mode fails safe
		}
		c.current = m
	}
	c.until = now.Add(c.ttl)
	return c.current, nil
}

// CacheTTLFromEnv is how long a function caches the mode (MODE_CACHE_TTL, 5 s).
func CacheTTLFromEnv(env *config.Env) time.Duration {
	return env.Duration("MODE_CACHE_TTL", 5*time.Second, 0)
}
