// Package owner is what an owner sees of a venue: the one JSON shape of a venue
// in every answer that carries one (the qr function's venue routes and the
// sign-in's list).
package owner

import (
	"time"

	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/store"
)

// Venue is a venue as the API shows it to its owner or venue token holder.
type Venue struct {
	VenueID      string `json:"venueId"`
	BusinessName string `json:"businessName"`
	Address      string `json:"address"`
	Channel      string `json:"channel"`
	// Contact is masked: the full contact is only in the account export.
	Contact   string `json:"contact"`
	CreatedAt string `json:"createdAt"`
	// KeptUntil is when the venue is erased unless its owner signs in before.
	KeptUntil string `json:"keptUntil,omitempty"`
	// QR is the venue's current payload; nil where none is signed yet (the
	// venue routes of the qr function sign one on first fetch).
	QR *QR `json:"qr"`
}

// QR is a venue's current signed payload and the kid of its key.
type QR struct {
	Payload string `json:"payload"`
	KeyID   string `json:"keyId,omitempty"`
}

// View is v as its owner sees it, with its payload's key id where known.
func View(v store.Venue, keyID string) Venue {
	out := Venue{
		VenueID: v.ID, BusinessName: v.BusinessName, Address: v.Address, Channel: v.Channel,
		Contact:   contact.Mask(contact.Channel(v.Channel), v.Contact),
		CreatedAt: time.Unix(v.CreatedAt, 0).UTC().Format(time.RFC3339),
	}
	if v.TTL > 0 {
		out.KeptUntil = time.Unix(v.TTL, 0).UTC().Format(time.RFC3339)
	}
	if v.QRPayload != "" {
		out.QR = &QR{Payload: v.QRPayload, KeyID: keyID}
	}
	return out
}

// List is the answer of GET /v1/venues, and the venues of a sign-in.
type List struct {
	Venues []Venue `json:"venues"`
}
