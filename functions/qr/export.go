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
	ExportedAt string            `json:"exportedAt"`
	Contact    exportContact     `json:"contact"`
	Venues     []exportVenue     `json:"venues"`
	AlsoHeld   []exportElsewhere `json:"alsoHeld"`
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
	{"help tickets naming this contact", "the contact as typed, and the message", "180 days (TICKET_TTL)"},
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
	out := exportResponse{
		ExportedAt: h.now().UTC().Format(time.RFC3339),
		Contact: exportContact{Channel: c.Channel, Address: c.Contact, LastProvenAt: rfc3339(c.LastProvenAt),
			KeptUntil: rfc3339(c.TTL), ReminderAt: rfc3339(c.RemindAt), RemindedAt: rfc3339(c.RemindedAt)},
		Venues:   []exportVenue{},
		AlsoHeld: elsewhere,
	}
	for _, v := range venues {
		out.Venues = append(out.Venues, exportVenue{
			VenueID: v.ID, BusinessName: v.BusinessName, Address: v.Address, Channel: v.Channel, Contact: v.Contact,
			RegistrationID: v.RegistrationID, CreatedAt: rfc3339(v.CreatedAt), UpdatedAt: rfc3339(v.UpdatedAt),
			KeptUntil: rfc3339(v.TTL), QRPayload: v.QRPayload, ValidPayloads: len(v.ValidPayloads()),
		})
	}
	resp := api.JSON(req, 200, out)
	resp.Headers["Content-Disposition"] = `attachment; filename="checkin-registry-export.json"`
	return resp, nil
}
