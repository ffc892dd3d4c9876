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

// registerInbound creates a registration that a message from its destination
// proves, with the pending proof that message will match. Nothing is sent, so
// only the client's limits (and proof of work where the mode or the client's
// volume asks for it) apply: not the destination's, not the channel's budget, not
// lockdown's pause of SMS, and not a suppression, which only stops what we send.
func (h *Handler) registerInbound(ctx context.Context, req events.APIGatewayProxyRequest, dest contact.Destination, reg store.Registration, altcha string, now time.Time) (inboundResponse, error) {
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
	subj := h.hasher.Subject(dest, ip)
	items, err := h.store.GetMany(ctx, h.cfg.Limits.Keys(subj, now), now)
	if err != nil {
		return inboundResponse{}, err
	}
	st, err := h.cfg.Limits.State(items, subj, now)
	if err != nil {
		return inboundResponse{}, err
	}
	if err := h.cfg.Limits.CheckClient(st, now); err != nil {
		return inboundResponse{}, h.refused(err)
	}
	challenge, err := h.checkChallenge(m, st, altcha, now)
	if err != nil {
		return inboundResponse{}, err
	}
	text, textHash, proof, err := h.cfg.Inbound.Pending(h.rand, h.hasher, inbound.RegisterWord, store.RegistrationKey(reg.ID), dest.Channel, subj.DestHash, now, time.Unix(reg.TTL, 0))
	if err != nil {
		return inboundResponse{}, err
	}
	tx := h.store.Tx()
	if challenge != nil {
		tx.ClaimChallenge(challenge.ID, challenge.Expires)
	}
	h.cfg.Limits.ClaimClient(tx, subj, st, now)
	auditID, err := store.NewID(h.rand)
	if err != nil {
		return inboundResponse{}, err
	}
	if err := tx.PutAudit(auditID, store.Audit{At: now.Unix(), Action: "register", Channel: string(dest.Channel), DestHash: subj.DestHash,
		IPHash: subj.IPHash, NetHash: subj.NetHash, Mode: string(m), Outcome: "inbound", Subject: reg.ID, TTL: now.Add(h.cfg.AuditTTL).Unix()}); err != nil {
		return inboundResponse{}, err
	}
	reg.Inbound, reg.DestinationHash, reg.CodeExpiresAt = true, subj.DestHash, proof.ExpiresAt
	if err := tx.PutRegistration(reg); err != nil {
		return inboundResponse{}, err
	}
	if err := tx.PutProof(textHash, proof); err != nil {
		return inboundResponse{}, err
	}
	if err := h.store.Commit(ctx, tx); err != nil {
		return inboundResponse{}, h.lostRace(ctx, nil, err, st, now)
	}
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
