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
// hard that is comes from the network's counts: as this instance last read them
// on the send path (a request refused 428 reads them just before its client
// asks for a challenge), or, where it has not in the last HardnessTTL or has
// counted a request since, from one read of them. The hardness only advises: a
// send checks the solved challenge against the counts it reads itself
// (solved), so a stale one costs the client a retry, never the service a limit.
func (h *Handler) challenge(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	ip, err := h.cfg.Client.IP(req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	now := h.now()
	subject := h.ids.Requester(ip)
	hardness, ok := h.hardnesses.get(subject.Network, now)
	if !ok {
		items, err := h.store.GetMany(ctx, h.cfg.Limits.Keys(subject, now), now)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		hardness = h.hardness(h.cfg.Limits.Read(items, subject, now), subject)
	}
	c, err := h.challenger.Harder(hardness).New(now)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return api.JSON(req, 200, c), nil
}

// hardness is how many times harder than POW_MAX_NUMBER the challenge of a
// request for s must be, as rd read its network's counts: 1 up to the floor of
// unverified codes, then twice as hard for each one more. The reading's
// hardness is remembered for the network's next challenge.
func (h *Handler) hardness(rd *plan.Reading, s identity.Subject) int64 {
	over := rd.Unverified(s, identity.Network) - h.cfg.PoWNetworkFloor
	hardness := int64(1)
	if over > 0 {
		hardness = 1 << min(over, h.cfg.PoWMaxDoublings)
	}
	h.hardnesses.put(s.Network, hardness, h.now())
	return hardness
}

// hardnesses remembers, for up to ttl, each network's hardness as last read.
// A request counted against a network forgets it (counted), since its count
// has moved. It holds at most size networks.
type hardnesses struct {
	ttl  time.Duration
	size int

	mu  sync.Mutex
	net map[string]remembered
}

type remembered struct {
	hardness int64
	at       time.Time
}

func (c *hardnesses) get(network string, now time.Time) (int64, bool) {
	if c == nil || c.ttl <= 0 || network == "" {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.net[network]
	if !ok || now.Sub(r.at) >= c.ttl || now.Before(r.at) {
		return 0, false
	}
	return r.hardness, true
}

func (c *hardnesses) put(network string, hardness int64, at time.Time) {
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
	c.net[network] = remembered{hardness: hardness, at: at}
}

// counted forgets network's hardness: a request was just counted against it.
func (c *hardnesses) counted(network string) {
	if c == nil || network == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.net, network)
}
