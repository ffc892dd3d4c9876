package register

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/inbound"
	"github.com/checkin-registry/registry/shared/plan"
	"github.com/checkin-registry/registry/shared/store"
)

// InboundStarted counts registrations that wait for an inbound message, by Channel.
const InboundStarted = "InboundStarted"

// ProofInbound is the "proof" of a registration proven by a message from its
// destination rather than by a code sent to it.
const ProofInbound = "inbound"

type inboundResponse struct {
	RegistrationID string          `json:"registrationId"`
	Channel        string          `json:"channel"`
	Destination    string          `json:"destination"`
	ExpiresAt      string          `json:"expiresAt"`
	Inbound        []inbound.Offer `json:"inbound"`
}

// startInbound creates a registration or a sign-in (reg) that a message from
// its destination proves, with the pending proof that message will match, in one
// read and one transaction; word begins the text to send. Nothing is sent, so
// only the client's limits (and proof of work where the mode or the client's
// volume asks for it) apply: not the destination's, not the channel's budget, not
// lockdown's pause of SMS, and not a suppression, which only stops what we send.
// Nothing about the contact is read, so the work and the answer are the same
// whether or not it owns a venue.
func (h *Handler) startInbound(ctx context.Context, req events.APIGatewayProxyRequest, action, word string, dest contact.Destination, reg store.Registration, altcha string, now time.Time) (inboundResponse, error) {
	if !h.cfg.Inbound.Open(dest.Channel) {
		return inboundResponse{}, api.Invalid(map[string]string{"proof": "proof by message is not open for this kind of contact"})
	}
	m, err := h.modes.Current(ctx)
	if err != nil {
		return inboundResponse{}, api.Unavailable(5, err)
	}
	ip, err := h.cfg.Client.IP(req)
	if err != nil {
		return inboundResponse{}, err
	}
	// Only the requester's limits are read: the destination's are never claimed.
	a := &attempt{sendRequest: sendRequest{action: action, dest: dest, reg: reg, altcha: altcha, now: now}, mode: m, subject: h.ids.Requester(ip)}
	items, err := h.store.GetMany(ctx, h.cfg.Limits.Keys(a.subject, now), now)
	if err != nil {
		return inboundResponse{}, err
	}
	a.reading = h.cfg.Limits.Read(items, a.subject, now)
	h.remember(a.reading, a.subject)
	// Nothing is sent: a network's unverified codes make its challenges no harder.
	if err := h.admitClient(a, 1); err != nil {
		return inboundResponse{}, err
	}
	a.subject = h.ids.Subject(dest, ip) // for the audit record and the proof
	// A proof that arrives earns the client and network allowance, but not the
	// standing a verified code does (plan.CreditProof).
	reg.ClientHash, reg.NetworkHash, reg.PrefixHash = a.subject.Client, a.subject.Network, a.subject.Prefix
	text, textHash, proof, err := h.cfg.Inbound.Pending(h.rand, h.ids, word, store.RegistrationKey(reg.ID), dest.Channel, a.subject.Destination, now, time.Unix(reg.TTL, 0))
	if err != nil {
		return inboundResponse{}, err
	}
	tx, err := h.tx(a, "inbound", plan.EveryRequest)
	if err != nil {
		return inboundResponse{}, err
	}
	reg.Inbound, reg.DestinationHash, reg.CodeExpiresAt = true, a.subject.Destination, proof.ExpiresAt
	if err := tx.PutRegistration(reg); err != nil {
		return inboundResponse{}, err
	}
	if err := tx.PutProof(textHash, proof); err != nil {
		return inboundResponse{}, err
	}
	if err := h.store.Commit(ctx, tx); err != nil {
		return inboundResponse{}, h.explain(ctx, a, err, false)
	}
	h.unverified.counted(a.subject.Network)
	h.metrics.Count(InboundStarted, 1, "Channel", string(dest.Channel))
	return inboundResponse{
		RegistrationID: reg.ID, Channel: reg.Channel, Destination: dest.Masked(),
		ExpiresAt: time.Unix(proof.ExpiresAt, 0).UTC().Format(time.RFC3339), Inbound: h.cfg.Inbound.Offers(dest.Channel, text),
	}, nil
}

// offerInbound marks a refused code (429 or 503) with inboundAvailable where the
// contact could prove itself by messaging us instead.
func (h *Handler) offerInbound(err error, ch contact.Channel) error {
	var e *api.Error
	if errors.As(err, &e) && h.cfg.Inbound.Open(ch) {
		if s := api.Status(e.Code); s == http.StatusTooManyRequests || s == http.StatusServiceUnavailable {
			e.InboundAvailable = true
		}
	}
	return err
}
