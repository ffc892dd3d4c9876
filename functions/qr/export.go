package qr

import (
	"context"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/api"
)

// The account export: everything the table holds about the owner's contact in
// a form they can read, and what else is held for a while in hashed form only.

type exportResponse struct {
	ExportedAt string `json:"exportedAt"`
	// Contact is null for a contact that owns no venue.
	Contact  *exportContact    `json:"contact"`
	Venues   []exportVenue     `json:"venues"`
	Tickets  []exportTicket    `json:"tickets"`
	AlsoHeld []exportElsewhere `json:"alsoHeld"`
}

// exportTicket is a help ticket filed with the contact, whoever filed it: all
// it holds but the keyed hashes of the contact and of the client address.
type exportTicket struct {
	TicketID       string `json:"ticketId"`
	Topic          string `json:"topic"`
	Name           string `json:"name"`
	Message        string `json:"message"`
	Channel        string `json:"channel"`
	Contact        string `json:"contact"`
	ContactVenueID string `json:"contactVenueId,omitempty"`
	RegistrationID string `json:"registrationId,omitempty"`
	VenueID        string `json:"venueId,omitempty"`
	Status         string `json:"status"`
	Acknowledged   bool   `json:"acknowledged"`
	CreatedAt      string `json:"createdAt"`
	UpdatedAt      string `json:"updatedAt"`
	KeptUntil      string `json:"keptUntil"`
}

type exportContact struct {
	Channel      string `json:"channel"`
	Address      string `json:"address"`
	LastProvenAt string `json:"lastProvenAt,omitempty"`
	KeptUntil    string `json:"keptUntil"`
	ReminderAt   string `json:"reminderAt,omitempty"`
	RemindedAt   string `json:"remindedAt,omitempty"`
}

type exportVenue struct {
	VenueID        string `json:"venueId"`
	BusinessName   string `json:"businessName"`
	Address        string `json:"address"`
	Channel        string `json:"channel"`
	Contact        string `json:"contact"`
	RegistrationID string `json:"registrationId,omitempty"`
	CreatedAt      string `json:"createdAt"`
	UpdatedAt      string `json:"updatedAt,omitempty"`
	KeptUntil      string `json:"keptUntil"`
	QRPayload      string `json:"qrPayload,omitempty"`
	ValidPayloads  int    `json:"validPayloads"`
}

type exportElsewhere struct {
	What    string `json:"what"`
	Form    string `json:"form"`
	KeptFor string `json:"keptFor"`
}

// elsewhere is what the table keeps about a contact outside its account, none
// of it readable back by contact: only keyed hashes, each expiring.
var elsewhere = []exportElsewhere{
	{"sending limits: when codes were sent to this contact", "keyed hash of the contact", "24 hours after the last code"},
	{"audit records of each code sent or refused", "keyed hash of the contact and of the client address", "90 days (AUDIT_TTL)"},
	{"pending registrations and sign-ins", "the contact and a keyed hash of the code", "until they expire, at most a day"},
	{"help request limits: when tickets named this contact", "keyed hash of the contact", "24 hours after the last ticket"},
	{"the network address each help ticket above was sent from", "keyed hash of the address", "with the ticket"},
	{"an opt-out, bounce or complaint, if any", "keyed hash of the contact", "kept: it stops messages to the contact"},
}

func rfc3339(unix int64) string {
	if unix == 0 {
		return ""
	}
	return time.Unix(unix, 0).UTC().Format(time.RFC3339)
}

func (h *Handler) exportAccount(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	who, err := h.ownerOf(ctx, req)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	c, venues, err := h.account(ctx, who)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	_, tickets, err := h.store.ContactTickets(ctx, who, h.now())
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	out := exportResponse{
		ExportedAt: h.now().UTC().Format(time.RFC3339),
		Venues:     []exportVenue{},
		Tickets:    []exportTicket{},
		AlsoHeld:   elsewhere,
	}
	if c.Contact != "" {
		out.Contact = &exportContact{Channel: c.Channel, Address: c.Contact, LastProvenAt: rfc3339(c.LastProvenAt),
			KeptUntil: rfc3339(c.TTL), ReminderAt: rfc3339(c.RemindAt), RemindedAt: rfc3339(c.RemindedAt)}
	}
	for _, v := range venues {
		out.Venues = append(out.Venues, exportVenue{
			VenueID: v.ID, BusinessName: v.BusinessName, Address: v.Address, Channel: v.Channel, Contact: v.Contact,
			RegistrationID: v.RegistrationID, CreatedAt: rfc3339(v.CreatedAt), UpdatedAt: rfc3339(v.UpdatedAt),
			KeptUntil: rfc3339(v.TTL), QRPayload: v.QRPayload, ValidPayloads: len(v.ValidPayloads()),
		})
	}
	for _, tk := range tickets {
		out.Tickets = append(out.Tickets, exportTicket{
			TicketID: tk.ID, Topic: tk.Topic, Name: tk.Name, Message: tk.Message, Channel: tk.Channel, Contact: tk.Contact,
			ContactVenueID: tk.ContactVenueID, RegistrationID: tk.RegistrationID, VenueID: tk.VenueID, Status: tk.Status,
			Acknowledged: tk.Acknowledged, CreatedAt: rfc3339(tk.CreatedAt), UpdatedAt: rfc3339(tk.UpdatedAt), KeptUntil: rfc3339(tk.TTL),
		})
	}
	resp := api.JSON(req, 200, out)
	resp.Headers["Content-Disposition"] = `attachment; filename="checkin-registry-export.json"`
	return resp, nil
}
