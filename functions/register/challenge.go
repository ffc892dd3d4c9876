package register

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/plan"
)

// challenge answers a challenge as hard as the client's network must solve. How
// hard that is comes from the network's unverified codes: as this instance
// last read them on the send path, with the requests it has counted since (a
// request refused 428 reads them just before its client asks for a challenge),
// or, where it has not read them in the last HardnessTTL, from one read. The
// hardness only advises: a send checks the solved challenge against the counts
// it reads itself (solved), so one made stale by another instance costs the
// client a retry, never the service a limit.
func (h *Handler) challenge(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	ip, err := h.cfg.Client.IP(req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	now := h.now()
	subject := h.ids.Requester(ip)
	unverified, ok := h.unverified.get(subject.Network, now)
	if !ok {
		items, err := h.store.GetMany(ctx, h.cfg.Limits.Keys(subject, now), now)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		unverified = h.remember(h.cfg.Limits.Read(items, subject, now), subject)
	}
	c, err := h.challenger.Harder(h.hardness(unverified)).New(now)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return api.JSON(req, 200, c), nil
}

// remember is s's network's unverified codes as rd read them, remembered for
// its next challenge.
func (h *Handler) remember(rd *plan.Reading, s identity.Subject) int {
	n := rd.Unverified(s, identity.Network)
	h.unverified.put(s.Network, n, h.now())
	return n
}

// hardness is how many times harder than POW_MAX_NUMBER the challenge of a
// request must be whose network has unverified codes: 1 up to the floor, then
// twice as hard for each one more.
func (h *Handler) hardness(unverified int) int64 {
	over := unverified - h.cfg.PoWNetworkFloor
	if over <= 0 {
		return 1
	}
	return 1 << min(over, h.cfg.PoWMaxDoublings)
}

// unverifiedCache remembers, for up to ttl after it read them, each network's
// unverified codes, with the requests of it counted since. It holds at most
// size networks.
type unverifiedCache struct {
	ttl  time.Duration
	size int

	mu  sync.Mutex
	net map[string]remembered
}

type remembered struct {
	unverified int
	at         time.Time
}

func (c *unverifiedCache) get(network string, now time.Time) (int, bool) {
	if c == nil || c.ttl <= 0 || network == "" {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.net[network]
	if !ok || now.Sub(r.at) >= c.ttl || now.Before(r.at) {
		return 0, false
	}
	return r.unverified, true
}

func (c *unverifiedCache) put(network string, unverified int, at time.Time) {
	if c == nil || c.ttl <= 0 || network == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.net == nil {
		c.net = map[string]remembered{}
	}
	if _, ok := c.net[network]; !ok && len(c.net) >= c.size {
		for n, r := range c.net {
			if at.Sub(r.at) >= c.ttl {
				delete(c.net, n)
			}
		}
		for n := range c.net {
			if len(c.net) < c.size {
				break
			}
			delete(c.net, n)
		}
	}
	c.net[network] = remembered{unverified: unverified, at: at}
}

// counted adds one to network's unverified codes: a request of it was just
// counted, and none is verified yet.
func (c *unverifiedCache) counted(network string) {
	if c == nil || network == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.net[network]; ok {
		r.unverified++
		c.net[network] = r
	}
}
