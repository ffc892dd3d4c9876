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
	"github.com/checkin-registry/registry/shared/mode"
	"github.com/checkin-registry/registry/shared/pow"
	"github.com/checkin-registry/registry/shared/ratelimit"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/shared/token"
)

// Names of the helpdesk's limits, in errors, metrics and transactions.
const (
	LimitIP      = "helpdesk_client_ip"
	LimitNetwork = "helpdesk_client_network"
	LimitContact = "helpdesk_contact"
	LimitGlobal  = "helpdesk_global"
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
	counters := h.counters(dest, ip)
	destHash := h.hasher.Hash("dest", dest.Key)
	digest := h.hasher.Hash("helpdesk-digest", dest.Key+"\x00"+normalise(*in.Message))
	keys := []string{store.TicketDigestKey(digest), store.SuppressionKey(destHash), store.VerifiedContactKey(destHash)}
	for _, c := range counters {
		keys = append(keys, c.Keys(now)...)
	}
	items, err := h.store.GetMany(ctx, keys, now)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	var first store.TicketDigest
	if ok, err := items.Decode(store.TicketDigestKey(digest), &first); err != nil {
		return events.APIGatewayProxyResponse{}, err
	} else if ok {
		return h.repeat(ctx, req, first.TicketID, now)
	}
	for _, c := range counters {
		if err := c.Check(items, now); err != nil {
			return events.APIGatewayProxyResponse{}, h.refused(err)
		}
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
	if _, err := items.Decode(store.VerifiedContactKey(destHash), &vc); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	tk, err := h.newTicket(in, dest, destHash, vc, ip, now)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	_, suppressed := items[store.SuppressionKey(destHash)]
	// The one message that may reach the typed contact: the fixed acknowledgement,
	// only to an e-mail address a venue proved, and never where it opted out. (No
	// SMS: the function may publish to its staff topic only.)
	tk.Acknowledged = h.cfg.Acknowledge && tk.ContactVenueID != "" && vc.Channel == string(contact.Email) && !suppressed
	tx := h.store.Tx()
	if challenge != nil {
		tx.ClaimChallenge(challenge.ID, challenge.Expires)
	}
	for _, c := range counters {
		if err := c.Claim(tx, items, now); err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
	}
	if err := tx.OpenTicket(tk, digest, now.Add(h.cfg.DuplicateWindow), now); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	if err := h.audit(tx, tk, destHash, ip, m, suppressed, now); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	if err := h.store.Commit(ctx, tx); err != nil {
		return h.lostRace(ctx, req, err, counters, items, digest, now)
	}
	h.metrics.Count(MetricTicketOpened, 1, "Topic", tk.Topic)
	h.log.InfoContext(ctx, "ticket opened", "ticket", tk.ID, "topic", tk.Topic, "channel", tk.Channel,
		"contactHash", destHash[:12], "proven", tk.ContactVenueID != "", "acknowledged", tk.Acknowledged)
	h.notifyStaff(ctx, tk)
	if tk.Acknowledged {
		h.acknowledge(ctx, vc, tk.ID)
	}
	return h.answer(req, tk), nil
}

// counters are the helpdesk's limits for a request. Their hash kinds are the
// helpdesk's own, so they never share an item with the register function's.
func (h *Handler) counters(d contact.Destination, ip string) []ratelimit.Counter {
	return []ratelimit.Counter{
		{Name: LimitIP, Scope: "helpdesk-ip", ID: h.hasher.Hash("helpdesk-ip", ratelimit.Client(ip)), Max: h.cfg.IPMax, Window: h.cfg.Window},
		{Name: LimitNetwork, Scope: "helpdesk-net", ID: h.hasher.Hash("helpdesk-net", ratelimit.Network(ip)), Max: h.cfg.NetworkMax, Window: h.cfg.Window},
		{Name: LimitContact, Scope: "helpdesk-contact", ID: h.hasher.Hash("helpdesk-contact", d.Key), Max: h.cfg.ContactMax, Window: h.cfg.ContactWindow},
		{Name: LimitGlobal, Scope: "helpdesk-global", ID: "all", Max: h.cfg.GlobalMax, Window: h.cfg.Window},
	}
}

// newTicket is the ticket to write, linked to the venue that proved its contact,
// if one did (vc, read by the same hash its venue stored).
func (h *Handler) newTicket(in openRequest, dest contact.Destination, destHash string, vc store.VerifiedContact, ip string, now time.Time) (store.Ticket, error) {
	id, err := store.NewID(h.rand)
	if err != nil {
		return store.Ticket{}, err
	}
	tk := store.Ticket{
		ID: id, Name: *in.Name, Topic: *in.Topic, Message: *in.Message, Channel: string(dest.Channel),
		Contact: dest.Address, ContactHash: destHash, ContactVenueID: vc.VenueID,
		IPHash: h.hasher.Hash("ip", ratelimit.Client(ip)), Status: store.TicketReceived,
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

// audit adds the ticket's audit record to tx, with the same hashes of contact and
// address as the register function's records, so investigations can join them.
func (h *Handler) audit(tx *store.Tx, tk store.Ticket, destHash, ip string, m mode.Mode, suppressed bool, now time.Time) error {
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
	return tx.PutAudit(id, store.Audit{At: now.Unix(), Action: "helpdesk", Channel: tk.Channel, DestHash: destHash,
		IPHash: tk.IPHash, NetHash: h.hasher.Hash("net", ratelimit.Network(ip)), Mode: string(m), Outcome: outcome,
		Subject: tk.ID, TTL: now.Add(h.cfg.AuditTTL).Unix()})
}

// lostRace explains a cancelled ticket transaction: an identical request that won
// answers its ticket; otherwise the limit or challenge that refused it.
func (h *Handler) lostRace(ctx context.Context, req events.APIGatewayProxyRequest, err error, counters []ratelimit.Counter, read store.Items, digest string, now time.Time) (events.APIGatewayProxyResponse, error) {
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
	for _, c := range counters {
		if c.Name == failed.Name {
			return events.APIGatewayProxyResponse{}, h.refused(c.Exceeded(read, now))
		}
	}
	return events.APIGatewayProxyResponse{}, err
}

// repeat answers a repeated message with the ticket it first opened: no new
// ticket, no count against any limit, no message to anyone.
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
	if h.hasher.Hash("ip", ratelimit.Client(ip)) != tk.IPHash {
		return api.JSON(req, 201, ticketResponse{TicketID: tk.ID, Status: tk.Status}), nil
	}
	return h.answer(req, tk), nil
}

func (h *Handler) answer(req events.APIGatewayProxyRequest, tk store.Ticket) events.APIGatewayProxyResponse {
	tok, _ := h.tokens.Issue(token.Ticket, tk.ID, h.now(), h.cfg.TokenTTL)
	return api.JSON(req, 201, ticketResponse{TicketID: tk.ID, TicketToken: tok, Status: tk.Status})
}

// refused turns an exceeded limit into the contract's answer and counts it: the
// service-wide limit is a pause (503), the others are the client's (429).
func (h *Handler) refused(err error) error {
	var ex *ratelimit.Exceeded
	if !errors.As(err, &ex) {
		return err
	}
	h.metrics.Count(MetricTicketRefused, 1, "Limit", ex.Limit)
	switch ex.Limit {
	case LimitGlobal:
		e := api.Unavailable(ex.RetryAfterSeconds(), nil)
		e.Message = "The helpdesk is taking no more requests for now because of high demand. Please try again later."
		return e
	case LimitContact:
		return api.RateLimited("This contact has opened as many help requests as allowed for now.", ex.RetryAfterSeconds())
	default:
		return api.RateLimited("Too many help requests from your network. Please try again later.", ex.RetryAfterSeconds())
	}
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
