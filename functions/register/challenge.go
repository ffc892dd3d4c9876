package register

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/plan"
)

// challenge answers a challenge as hard as the client's network must solve: one
// read of its limits' counters.
func (h *Handler) challenge(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	ip, err := h.cfg.Client.IP(req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	now := h.now()
	subject := h.ids.Requester(ip)
	items, err := h.store.GetMany(ctx, h.cfg.Limits.Keys(subject, now), now)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	c, err := h.challenger.Harder(h.hardness(h.cfg.Limits.Read(items, subject, now), subject)).New(now)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return api.JSON(req, 200, c), nil
}

// hardness is how many times harder than POW_MAX_NUMBER the challenge of a
// request for s must be, as rd read its network's counts: 1 up to the floor of
// unverified codes, then twice as hard for each one more.
func (h *Handler) hardness(rd *plan.Reading, s identity.Subject) int64 {
	over := rd.Unverified(s, identity.Network) - h.cfg.PoWNetworkFloor
	if over <= 0 {
		return 1
	}
	return 1 << min(over, h.cfg.PoWMaxDoublings)
}
