package register

import (
	"context"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/inbound"
	"github.com/checkin-registry/registry/shared/store"
)

type sessionRequest struct {
	Phone  *string `json:"phone"`
	Email  *string `json:"email"`
	Altcha string  `json:"altcha"`
	Proof  *string `json:"proof"`
}

// sessionResponse is a sign-in's 202: with resendAfter for a code, with inbound
// (the texts to send) for proof by message.
type sessionResponse struct {
	SessionID   string          `json:"sessionId"`
	Channel     string          `json:"channel"`
	Destination string          `json:"destination"`
	ExpiresAt   string          `json:"expiresAt"`
	ResendAfter string          `json:"resendAfter,omitempty"`
	Inbound     []inbound.Offer `json:"inbound,omitempty"`
}

// startSession begins a sign-in: a code to the contact if it owns a venue. For
// any other contact it answers the same 202 after the same work (the one read,
// which includes the contact's account item either way, and the one transaction
// with its limits), and sends nothing: sign-in never messages a stranger and
// never tells anyone whether a contact is registered. With "proof": "inbound"
// nothing is sent to anyone and nothing about the contact is read: the session
// waits for a message from the contact, whoever it is.
func (h *Handler) startSession(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	var in sessionRequest
	if err := api.DecodeJSON(req, &in); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	fields := map[string]string{}
	dest, err := h.destination(in.Phone, in.Email, fields)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	if in.Proof != nil && *in.Proof != ProofInbound {
		fields["proof"] = `must be "inbound", or left out for a code`
	}
	if len(fields) > 0 {
		return events.APIGatewayProxyResponse{}, api.Invalid(fields)
	}
	now := h.now()
	id, err := store.NewID(h.rand)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	reg := store.Registration{
		ID: id, Kind: store.SignIn, Channel: string(dest.Channel), Destination: dest.Address,
		Status: store.Pending, CreatedAt: now.Unix(), TTL: now.Add(h.cfg.SessionTTL).Unix(),
	}
	if in.Proof != nil {
		started, err := h.startInbound(ctx, req, "signin", inbound.SignInWord, dest, reg, in.Altcha, now)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		return api.JSON(req, 202, sessionResponse{SessionID: started.RegistrationID, Channel: started.Channel,
			Destination: started.Destination, ExpiresAt: started.ExpiresAt, Inbound: started.Inbound}), nil
	}
	sent, err := h.sendCode(ctx, req, sendRequest{action: "signin", dest: dest, reg: reg, altcha: in.Altcha, now: now})
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return api.JSON(req, 202, sessionResponse{SessionID: sent.RegistrationID, Channel: sent.Channel,
		Destination: sent.Destination, ExpiresAt: sent.ExpiresAt, ResendAfter: sent.ResendAfter}), nil
}
