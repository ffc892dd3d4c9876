package qr

import (
	"context"
	"errors"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/shared/token"
)

// An owner is a proven contact holding an owner token (from a sign-in): it opens
// every venue whose contact hash is the token's subject, and no other. A venue
// token (from a registration) opens its own venue's record and code, as before,
// but none of the owner's routes.

var (
	errOwnerOnly = api.Errorf(api.CodeForbidden, "This needs an owner token: sign in first.")
	errNotYours  = api.Errorf(api.CodeForbidden, "This token is not for this venue.")
	errChanged   = api.Errorf(api.CodeTemporarilyUnavailable, "The venue changed while this request ran. Please try again.")
)

// caller is who a request's bearer token speaks for: one venue, or an owner.
type caller struct {
	venueID string
	owner   string
}

func (h *Handler) caller(ctx context.Context, req events.APIGatewayProxyRequest) (caller, error) {
	tok := token.Bearer(api.Header(req, "Authorization"))
	if tok == "" {
		return caller{}, errUnauthorized
	}
	keys, err := h.secrets.Keys(ctx)
	if err != nil {
		return caller{}, api.Unavailable(5, err)
	}
	c, err := token.VenueIssuer(keys).Verify(tok, h.now())
	switch {
	case err != nil:
		return caller{}, errUnauthorized
	case c.Audience == token.Venue:
		return caller{venueID: c.Subject}, nil
	case c.Audience == token.Owner:
		return caller{owner: c.Subject}, nil
	}
	return caller{}, errUnauthorized
}

// ownerOf is the contact hash an owner-only request acts for.
func (h *Handler) ownerOf(ctx context.Context, req events.APIGatewayProxyRequest) (string, error) {
	c, err := h.caller(ctx, req)
	if err != nil {
		return "", err
	}
	if c.owner == "" {
		return "", errOwnerOnly
	}
	return c.owner, nil
}

// openVenue reads the venue in the path for its caller. A venue token for
// another venue is refused before any read; an owner token after the read, with
// the same answer whether the venue is someone else's or does not exist, so that
// an owner learns nothing of other venues. ownerOnly refuses venue tokens.
func (h *Handler) openVenue(ctx context.Context, req events.APIGatewayProxyRequest, ownerOnly bool) (store.Venue, error) {
	c, err := h.caller(ctx, req)
	if err != nil {
		return store.Venue{}, err
	}
	id := req.PathParameters["venueId"]
	switch {
	case c.owner == "" && ownerOnly:
		return store.Venue{}, errOwnerOnly
	case c.owner == "" && c.venueID != id:
		return store.Venue{}, errForbidden
	case c.owner != "" && !store.ValidID(id):
		return store.Venue{}, errNotYours
	}
	v, err := h.store.GetVenue(ctx, id, h.now())
	switch {
	case c.owner != "" && (errors.Is(err, store.ErrNotFound) || err == nil && !v.Owns(c.owner)):
		return store.Venue{}, errNotYours
	case errors.Is(err, store.ErrNotFound):
		return store.Venue{}, errNoVenue
	}
	return v, err
}

type venuesResponse struct {
	Venues []venueResponse `json:"venues"`
}

// account reads the owner's contact and venues. A token for a contact that
// owns none (one that proved itself by a message without ever registering, or
// whose account was erased since) reads as an empty account: the token proves
// the contact, so it may still see, export and erase what else names it (help
// tickets), and learns of nothing it does not own.
func (h *Handler) account(ctx context.Context, who string) (store.VerifiedContact, []store.Venue, error) {
	now := h.now()
	c, err := h.store.GetContact(ctx, who, now)
	if errors.Is(err, store.ErrNotFound) {
		return store.VerifiedContact{}, nil, nil
	}
	if err != nil {
		return c, nil, err
	}
	venues, err := h.store.Venues(ctx, c.VenueIDs, now)
	return c, venues, err
}

func (h *Handler) listVenues(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	who, err := h.ownerOf(ctx, req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	_, venues, err := h.account(ctx, who)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	out := venuesResponse{Venues: []venueResponse{}}
	for _, v := range venues {
		v, p, err := h.withPayload(ctx, v)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		j, err := h.venueJSON(v, p)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		out.Venues = append(out.Venues, j)
	}
	return api.JSON(req, 200, out), nil
}

type venueRequest struct {
	BusinessName *string `json:"businessName"`
	Address      *string `json:"address"`
}

func decodeVenue(req events.APIGatewayProxyRequest, required bool) (venueRequest, error) {
	var in venueRequest
	if err := api.DecodeJSON(req, &in); err != nil {
		return in, err
	}
	fields := map[string]string{}
	api.VenueDetails(in.BusinessName, in.Address, required, fields)
	if len(fields) > 0 {
		return in, api.Invalid(fields)
	}
	return in, nil
}

// addVenue creates a venue under the owner's proven contact: no new code, since
// the owner token is the proof. It shares the account's retention.
func (h *Handler) addVenue(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	who, err := h.ownerOf(ctx, req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	in, err := decodeVenue(req, true)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	now := h.now()
	c, err := h.store.GetContact(ctx, who, now)
	if errors.Is(err, store.ErrNotFound) {
		return events.APIGatewayProxyResponse{}, api.Errorf(api.CodeUnauthorized, "This account no longer exists.")
	}
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	if len(c.VenueIDs) >= h.cfg.MaxVenues {
		return events.APIGatewayProxyResponse{}, tooManyVenues(h.cfg.MaxVenues)
	}
	id, err := store.NewID(h.rand)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	v := store.Venue{ID: id, BusinessName: *in.BusinessName, Address: *in.Address, Channel: c.Channel,
		Contact: c.Contact, ContactHash: who, CreatedAt: now.Unix(), TTL: c.TTL}
	v, p, err := h.issue(ctx, v, 1)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	v.Payloads = []string{store.PayloadHash(v.QRPayload)}
	err = h.store.AddVenue(ctx, v, h.cfg.MaxVenues)
	if errors.Is(err, store.ErrTooManyVenues) {
		return events.APIGatewayProxyResponse{}, tooManyVenues(h.cfg.MaxVenues)
	}
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	h.log.InfoContext(ctx, "venue added", "venueId", v.ID)
	return h.venueAnswer(req, 201, v, p)
}

func tooManyVenues(n int) error {
	return &api.Error{Code: api.CodeInvalidRequest, Message: "This account already has as many venues as it may.",
		Fields: map[string]string{"venues": "at most " + strconv.Itoa(n) + " per account"}}
}

// issue signs a new payload for v with serial, and encodes its QR symbol.
func (h *Handler) issue(ctx context.Context, v store.Venue, serial uint32) (store.Venue, Payload, error) {
	raw, err := Sign(ctx, h.signer, v.ID, serial, v.BusinessName)
	if errors.Is(err, ErrUnsignable) {
		return v, Payload{}, err
	}
	if err != nil {
		return v, Payload{}, api.Unavailable(5, err)
	}
	m, err := Encode(URL(h.cfg.BaseURL, raw))
	if err != nil {
		return v, Payload{}, err
	}
	p, _, err := Parse(raw)
	v.QRPayload, v.QRSymbol = raw, m.Bytes()
	return v, p, err
}

func (h *Handler) venueAnswer(req events.APIGatewayProxyRequest, status int, v store.Venue, p Payload) (events.APIGatewayProxyResponse, error) {
	out, err := h.venueJSON(v, p)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	return api.JSON(req, status, out), nil
}

// patchVenue changes the name or address, or neither (a reissue): either way
// the venue gets a new payload and every earlier one is revoked.
func (h *Handler) patchVenue(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return h.replace(ctx, req, true)
}

func (h *Handler) reissueVenue(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return h.replace(ctx, req, false)
}

func (h *Handler) replace(ctx context.Context, req events.APIGatewayProxyRequest, edit bool) (events.APIGatewayProxyResponse, error) {
	old, err := h.openVenue(ctx, req, true)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	next := old
	if edit {
		in, err := decodeVenue(req, false)
		if err != nil {
			return events.APIGatewayProxyResponse{}, err
		}
		if in.BusinessName != nil {
			next.BusinessName = *in.BusinessName
		}
		if in.Address != nil {
			next.Address = *in.Address
		}
	}
	// A new issue: the next serial after the current payload's.
	serial := uint32(1)
	if cur, _, err := Parse(old.QRPayload); err == nil {
		serial = cur.Serial + 1
	}
	next, p, err := h.issue(ctx, next, serial)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	next.UpdatedAt = h.now().Unix()
	err = h.store.ReplaceVenue(ctx, old, next)
	if errors.Is(err, store.ErrChanged) {
		return events.APIGatewayProxyResponse{}, errChanged
	}
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	h.revocations.invalidate()
	h.log.InfoContext(ctx, "venue payload replaced", "venueId", next.ID, "edit", edit, "revoked", len(old.Payloads))
	return h.venueAnswer(req, 200, next, p)
}

func (h *Handler) deleteVenue(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	v, err := h.openVenue(ctx, req, true)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	c, err := h.store.GetContact(ctx, v.ContactHash, h.now())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return events.APIGatewayProxyResponse{}, err
	}
	err = h.store.DeleteVenue(ctx, c, v)
	if errors.Is(err, store.ErrChanged) {
		return events.APIGatewayProxyResponse{}, errChanged
	}
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	h.revocations.invalidate()
	h.log.InfoContext(ctx, "venue deleted", "venueId", v.ID)
	return noContent(req), nil
}

func noContent(req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	resp := api.Raw(req, 204, "application/json", "", false)
	delete(resp.Headers, "Content-Type")
	return resp
}

func (h *Handler) deleteAccount(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	who, err := h.ownerOf(ctx, req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	_, venues, err := h.account(ctx, who)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	// The help tickets filed with the contact go first (a ticket is kept only to
	// answer its requester, and this requester asks for erasure), then the
	// venues, the account, its ticket index with the helpdesk's limit items that
	// the index names, and the log of codes sent to the contact (register's
	// "dest" limits): nothing but expiring audit records still names it.
	index, tickets, err := h.store.ContactTickets(ctx, who, h.now())
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	if err := h.store.EraseTickets(ctx, tickets, index.CounterKeys...); err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	err = h.store.DeleteAccount(ctx, who, venues, store.LogKey("dest", who), store.ContactTicketsKey(who))
	if errors.Is(err, store.ErrChanged) {
		return events.APIGatewayProxyResponse{}, errChanged
	}
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	h.revocations.invalidate()
	h.log.InfoContext(ctx, "account deleted", "venues", len(venues), "tickets", len(tickets))
	return noContent(req), nil
}
