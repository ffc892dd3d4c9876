package helpdesk

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/mode"
	"github.com/checkin-registry/registry/shared/plan"
	"github.com/checkin-registry/registry/shared/pow"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/shared/token"
)

type openRequest struct {
	Name           *string `json:"name"`
	Email          *string `json:"email"`
	Phone          *string `json:"phone"`
	Topic          *string `json:"topic"`
	Message        *string `json:"message"`
	RegistrationID *string `json:"registrationId"`
	VenueID        *string `json:"venueId"`
	Altcha         string  `json:"altcha"`
}

type ticketResponse struct {
	TicketID    string `json:"ticketId"`
	TicketToken string `json:"ticketToken,omitempty"`
	Status      string `json:"status"`
}

type statusResponse struct {
	TicketID  string `json:"ticketId"`
	Status    string `json:"status"`
	Topic     string `json:"topic"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

// validate checks every field, trims the free text in place and answers the
// contact, or the contract's error.
func (h *Handler) validate(in *openRequest) (contact.Destination, error) {
	fields := map[string]string{}
	if p := api.Text(in.Name, NameMin, NameMax); p != "" {
		fields["name"] = p
	}
	if in.Topic == nil || !slices.Contains(Topics, *in.Topic) {
		fields["topic"] = "must be one of " + strings.Join(Topics, ", ")
	}
	if p := messageText(in.Message); p != "" {
		fields["message"] = p
	}
	for field, id := range map[string]*string{"registrationId": in.RegistrationID, "venueId": in.VenueID} {
		if id != nil && !store.ValidID(*id) {
			fields[field] = "must be an identifier this service issued"
		}
	}
	dest, err := api.Destination(h.cfg.Policy, in.Phone, in.Email, fields, "be given as a helpdesk contact")
	if err != nil {
		return dest, err
	}
	if len(fields) > 0 {
		return dest, api.Invalid(fields)
	}
	return dest, nil
}

// open takes a help request. In order: the fields; the protection mode; one read
// of the limits' counters, the message's digest and the contact's suppression; a
// repeat answers its first ticket; the limits; proof of work where the mode demands
// it; whether a venue proved the contact; then one transaction that claims the
// challenge and every counter and writes the ticket, its digest and an audit
// record; and only then the staff notification and, to a proven contact only, the
// fixed acknowledgement.
func (h *Handler) open(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	var in openRequest
	if err := api.DecodeJSON(req, &in); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	dest, err := h.validate(&in)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	m, err := h.modes.Current(ctx)
	if err != nil {
		return events.APIGatewayProxyResponse{}, api.Unavailable(5, err)
	}
	now := h.now()
	ip, err := h.cfg.Client.IP(req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	subj := h.ids.Subject(dest, ip)
	digest := h.ids.Hash("helpdesk-digest", dest.Key+"\x00"+normalise(*in.Message))
	keys := []string{store.TicketDigestKey(digest), store.SuppressionKey(subj.Destination), store.SuppressionKey(subj.Address),
		store.VerifiedContactKey(subj.Destination)}
	items, err := h.store.GetMany(ctx, append(keys, h.cfg.Limits.Keys(subj, now)...), now)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	var first store.TicketDigest
	if ok, err := items.Decode(store.TicketDigestKey(digest), &first); err != nil {
		return events.APIGatewayProxyResponse{}, err
	} else if ok {
		return h.repeat(ctx, req, first.TicketID, now)
	}
	limits := h.cfg.Limits.Read(items, subj, now)
	if h.owner(req, in.VenueID, now) {
		limits.Trust()
	}
	if ref, err := limits.Check(subj, plan.EveryRequest); err != nil {
		return events.APIGatewayProxyResponse{}, err
	} else if ref != nil {
		return events.APIGatewayProxyResponse{}, h.cfg.Limits.Refused(ref, h.metrics)
	}
	var challenge *pow.Claim
	if m != mode.Normal {
		c, err := h.challenger.Require(in.Altcha, now, h.metrics)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		challenge = &c
	}
	var vc store.VerifiedContact
	if _, err := items.Decode(store.VerifiedContactKey(subj.Destination), &vc); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	tk, err := h.newTicket(in, dest, subj, vc, now)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	suppressed := items.Suppressed(subj.Destination, subj.Address)
	// The one message that may reach the typed contact: the fixed acknowledgement,
	// only to an e-mail address a venue proved, and never where it opted out. (No
	// SMS: the function may publish to its staff topic only.)
	tk.Acknowledged = h.cfg.Acknowledge && tk.ContactVenueID != "" && vc.Channel == string(contact.Email) && !suppressed
	tx := h.store.Tx()
	if challenge != nil {
		tx.ClaimChallenge(challenge.ID, challenge.Expires)
	}
	if err := limits.Claim(tx, subj, plan.EveryRequest); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	if err := tx.OpenTicket(tk, digest, now.Add(h.cfg.DuplicateWindow), now, h.contactCounters(subj, now)); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	if err := h.audit(tx, tk, subj, m, suppressed, now); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	if err := h.store.Commit(ctx, tx); err != nil {
		return h.lostRace(ctx, req, err, limits, subj, digest, now)
	}
	h.metrics.Count(MetricTicketOpened, 1, "Topic", tk.Topic)
	h.log.InfoContext(ctx, "ticket opened", "ticket", tk.ID, "topic", tk.Topic, "channel", tk.Channel,
		"contactHash", subj.Destination[:12], "proven", tk.ContactVenueID != "", "acknowledged", tk.Acknowledged)
	h.notifyStaff(ctx, tk)
	if tk.Acknowledged {
		h.acknowledge(ctx, vc, tk.ID)
	}
	return h.answer(req, tk), nil
}

// newTicket is the ticket to write, linked to the venue that proved its contact,
// if one did (vc, read by the same hash its venue stored).
func (h *Handler) newTicket(in openRequest, dest contact.Destination, subj identity.Subject, vc store.VerifiedContact, now time.Time) (store.Ticket, error) {
	id, err := store.NewID(h.rand)
	if err != nil {
		return store.Ticket{}, err
	}
	tk := store.Ticket{
		ID: id, Name: *in.Name, Topic: *in.Topic, Message: *in.Message, Channel: string(dest.Channel),
		Contact: dest.Address, ContactHash: subj.Destination, ContactVenueID: vc.VenueID,
		IPHash: subj.Client, Status: store.TicketReceived,
		CreatedAt: now.Unix(), UpdatedAt: now.Unix(), TTL: now.Add(h.cfg.TicketTTL).Unix(),
	}
	if in.RegistrationID != nil {
		tk.RegistrationID = *in.RegistrationID
	}
	if in.VenueID != nil {
		tk.VenueID = *in.VenueID
	}
	return tk, nil
}

// contactCounters are the keys of the limit items this request counts under the
// contact's hash, for the contact's ticket index: an account's erasure deletes
// them with its tickets.
func (h *Handler) contactCounters(subj identity.Subject, now time.Time) []string {
	var out []string
	for _, k := range h.cfg.Limits.Keys(subj, now) {
		if strings.Contains(k, subj.Destination) {
			out = append(out, k)
		}
	}
	return out
}

// audit adds the ticket's audit record to tx, with the same hashes of contact and
// address as the register function's records, so investigations can join them.
func (h *Handler) audit(tx *store.Tx, tk store.Ticket, subj identity.Subject, m mode.Mode, suppressed bool, now time.Time) error {
	outcome := "not_sent"
	switch {
	case tk.Acknowledged:
		outcome = "sent"
	case suppressed && tk.ContactVenueID != "":
		outcome = "suppressed"
	}
	id, err := store.NewID(h.rand)
	if err != nil {
		return err
	}
	return tx.PutAudit(id, store.Audit{At: now.Unix(), Action: "helpdesk", Channel: tk.Channel, DestHash: subj.Destination,
		IPHash: subj.Client, NetHash: subj.Network, Mode: string(m), Outcome: outcome,
		Subject: tk.ID, TTL: now.Add(h.cfg.AuditTTL).Unix()})
}

// lostRace explains a cancelled ticket transaction: an identical request that won
// answers its ticket; otherwise the limit or challenge that refused it.
func (h *Handler) lostRace(ctx context.Context, req events.APIGatewayProxyRequest, err error, limits *plan.Reading, subj identity.Subject, digest string, now time.Time) (events.APIGatewayProxyResponse, error) {
	if errors.Is(err, store.ErrBusy) {
		return events.APIGatewayProxyResponse{}, api.Unavailable(1, err)
	}
	var failed *store.ConditionFailed
	if !errors.As(err, &failed) {
		return events.APIGatewayProxyResponse{}, err
	}
	switch failed.Name {
	case store.TicketDigestName:
		items, err := h.store.GetMany(ctx, []string{store.TicketDigestKey(digest)}, now)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		var first store.TicketDigest
		if ok, err := items.Decode(store.TicketDigestKey(digest), &first); err != nil || !ok {
			return events.APIGatewayProxyResponse{}, api.Unavailable(1, errors.New("ticket digest vanished after a lost race"))
		}
		return h.repeat(ctx, req, first.TicketID, now)
	case store.ChallengeName:
		return events.APIGatewayProxyResponse{}, pow.ChallengeRequired("This challenge solution was already used; solve a new one.")
	}
	ref, xerr := limits.Explain(failed, subj)
	switch {
	case xerr != nil:
		return events.APIGatewayProxyResponse{}, xerr
	case ref == nil:
		return events.APIGatewayProxyResponse{}, err
	}
	return events.APIGatewayProxyResponse{}, h.cfg.Limits.Refused(ref, h.metrics)
}

// repeat answers a request identical to an earlier ticket with that ticket. Its
// token goes only to the client that opened it: whoever merely knows someone's
// contact and message learns the ticket's id, not its status.
func (h *Handler) repeat(ctx context.Context, req events.APIGatewayProxyRequest, id string, now time.Time) (events.APIGatewayProxyResponse, error) {
	tk, err := h.store.GetTicket(ctx, id, now)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	h.metrics.Count(MetricTicketDuplicate, 1)
	ip, err := h.cfg.Client.IP(req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	if h.ids.Client(ip) != tk.IPHash {
		return api.JSON(req, 201, ticketResponse{TicketID: tk.ID, Status: tk.Status}), nil
	}
	return h.answer(req, tk), nil
}

func (h *Handler) answer(req events.APIGatewayProxyRequest, tk store.Ticket) events.APIGatewayProxyResponse {
	tok, _ := h.tokens.Issue(token.Ticket, tk.ID, h.now(), h.cfg.TokenTTL)
	return api.JSON(req, 201, ticketResponse{TicketID: tk.ID, TicketToken: tok, Status: tk.Status})
}

// status answers a ticket's status to the holder of its token: a missing, forged or
// expired token is 401, a token for another ticket 403, before the id is looked up,
// so that no one learns which ids exist.
func (h *Handler) status(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	now := h.now()
	tok := token.Bearer(api.Header(req, "Authorization"))
	if tok == "" {
		return events.APIGatewayProxyResponse{}, api.Errorf(api.CodeUnauthorized, "A ticket token is required.")
	}
	subject, err := h.tokens.Check(tok, token.Ticket, now)
	if err != nil {
		return events.APIGatewayProxyResponse{}, api.Errorf(api.CodeUnauthorized, "The ticket token is invalid or expired.")
	}
	if subject != req.PathParameters["ticketId"] {
		return events.APIGatewayProxyResponse{}, api.Errorf(api.CodeForbidden, "This token is for another ticket.")
	}
	tk, err := h.store.GetTicket(ctx, subject, now)
	if errors.Is(err, store.ErrNotFound) {
		return events.APIGatewayProxyResponse{}, api.Errorf(api.CodeNotFound, "No such ticket.")
	}
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return api.JSON(req, 200, statusResponse{TicketID: tk.ID, Status: tk.Status, Topic: tk.Topic,
		CreatedAt: time.Unix(tk.CreatedAt, 0).UTC().Format(time.RFC3339), UpdatedAt: time.Unix(tk.UpdatedAt, 0).UTC().Format(time.RFC3339)}), nil
}

// owner says whether req carries a valid venue token for venueID: its ticket is
// a venue owner's. A missing or bad token is no error: the ticket is a stranger's.
func (h *Handler) owner(req events.APIGatewayProxyRequest, venueID *string, now time.Time) bool {
	tok := token.Bearer(api.Header(req, "Authorization"))
	if tok == "" || venueID == nil {
		return false
	}
	subject, err := h.venues.Check(tok, token.Venue, now)
	return err == nil && subject == *venueID
}
