package register

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/api"
)

func (h *Handler) challenge(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	c, err := h.challenger.New(h.now())
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return api.JSON(req, 200, c), nil
}
