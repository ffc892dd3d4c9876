package register

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/inbound"
	"github.com/checkin-registry/registry/shared/store"
)

type registerRequest struct {
	BusinessName *string `json:"businessName"`
	Address      *string `json:"address"`
	Phone        *string `json:"phone"`
	Email        *string `json:"email"`
	Altcha       string  `json:"altcha"`
	Proof        *string `json:"proof"`
}

type resendRequest struct {
	Altcha string `json:"altcha"`
}

type sentResponse struct {
	RegistrationID string `json:"registrationId"`
	Channel        string `json:"channel"`
	Destination    string `json:"destination"`
	ExpiresAt      string `json:"expiresAt"`
	ResendAfter    string `json:"resendAfter"`
}

// destination checks that exactly one of phone and email is given and that it
// passes the policy.
func (h *Handler) destination(phone, email *string, fields map[string]string) (contact.Destination, error) {
	return api.Destination(h.cfg.Policy, phone, email, fields, "receive codes")
}

func (h *Handler) register(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	var in registerRequest
	if err := api.DecodeJSON(req, &in); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	fields := map[string]string{}
	api.VenueDetails(in.BusinessName, in.Address, true, fields)
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
		ID: id, BusinessName: *in.BusinessName, Address: *in.Address, Channel: string(dest.Channel),
		Destination: dest.Address, Status: store.Pending, CreatedAt: now.Unix(), TTL: now.Add(h.cfg.RegistrationTTL).Unix(),
	}
	if in.Proof != nil {
		started, err := h.startInbound(ctx, req, "register", inbound.RegisterWord, dest, reg, in.Altcha, now)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		return api.JSON(req, 202, started), nil
	}
	sent, err := h.sendCode(ctx, req, sendRequest{action: "register", dest: dest, reg: reg, altcha: in.Altcha, now: now})
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return api.JSON(req, 202, sent), nil
}

func (h *Handler) resend(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	var in resendRequest
	if err := api.DecodeJSON(req, &in); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	id := req.PathParameters["registrationId"]
	if !store.ValidID(id) {
		return events.APIGatewayProxyResponse{}, api.Errorf(api.CodeNotFound, "No such registration.")
	}
	sent, err := h.sendCode(ctx, req, sendRequest{action: "resend", reg: store.Registration{ID: id}, resend: true, altcha: in.Altcha, now: h.now()})
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return api.JSON(req, 202, sent), nil
}

// redestination re-derives a stored destination's identity under today's policy.
func (h *Handler) redestination(d contact.Destination) (contact.Destination, error) {
	var err error
	if d.Channel == contact.SMS {
		d, err = h.cfg.Policy.Phone.Phone(d.Address)
	} else {
		d, err = h.cfg.Policy.Email.Email(d.Address)
	}
	if err != nil {
		return d, &api.Error{Code: api.CodeDestinationNotAllowed, Message: "This destination can no longer receive codes.", Err: err}
	}
	return d, nil
}

// resendAt is when reg may next be sent a code: ResendWait after the first send,
// doubling after each resend.
func (h *Handler) resendAt(reg store.Registration) time.Time {
	shift := min(max(reg.Sends-1, 0), 20)
	return time.Unix(reg.LastSentAt, 0).Add(h.cfg.ResendWait << shift)
}
