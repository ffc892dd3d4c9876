package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TicketReceived is the status of a ticket no one on staff has taken up yet.
const TicketReceived = "received"

// Names of a ticket's writes in a transaction.
const (
	TicketName       = "ticket"
	TicketDigestName = "ticket_digest"
)

// Ticket is a help request, with what the support team needs to answer it. It holds
// the contact as typed and normalised (staff reply through their own tools), and the
// client address only as a keyed hash.
type Ticket struct {
	ID      string `dynamodbav:"id"`
	Name    string `dynamodbav:"name"`
	Topic   string `dynamodbav:"topic"`
	Message string `dynamodbav:"message"`
	Channel string `dynamodbav:"channel"`
	// Contact is the normalised phone number or e-mail address.
	Contact string `dynamodbav:"contact"`
	// ContactHash is the keyed hash of the contact's identity, as venues' ContactHash.
	ContactHash string `dynamodbav:"contactHash"`
	// ContactVenueID is the venue whose proven contact this is, if any: the only
	// link between a ticket and a venue that the service itself vouches for.
	ContactVenueID string `dynamodbav:"contactVenueId,omitempty"`
	// RegistrationID and VenueID are what the requester said the ticket is about:
	// well-formed, but unchecked claims.
	RegistrationID string `dynamodbav:"registrationId,omitempty"`
	VenueID        string `dynamodbav:"venueId,omitempty"`
	IPHash         string `dynamodbav:"ipHash"`
	Status         string `dynamodbav:"status"`
	// Acknowledged is true where the fixed acknowledgement is sent to the contact
	// once the ticket is stored.
	Acknowledged bool  `dynamodbav:"acknowledged,omitempty"`
	CreatedAt    int64 `dynamodbav:"createdAt"`
	UpdatedAt    int64 `dynamodbav:"updatedAt"`
	TTL          int64 `dynamodbav:"ttl"`
}

// TicketDigest points a contact's message, normalised and hashed, at the ticket it
// opened, so that a repeat answers that ticket instead of opening another.
type TicketDigest struct {
	TicketID string `dynamodbav:"ticketId"`
	TTL      int64  `dynamodbav:"ttl"`
}

func ticketKey(id string) string { return "ticket#" + id }

// TicketDigestKey is the key of the digest item for a message's keyed hash.
func TicketDigestKey(hash string) string { return "tdigest#" + hash }

// GetTicket reads a live ticket.
func (s *Store) GetTicket(ctx context.Context, id string, now time.Time) (Ticket, error) {
	var tk Ticket
	err := s.get(ctx, ticketKey(id), now, &tk)
	return tk, err
}

// OpenTicket adds to t the creation of tk and of its digest, on the condition that
// no live digest with this hash exists: of two identical requests at once, one
// opens the ticket and the other's transaction fails on TicketDigestName.
func (t *Tx) OpenTicket(tk Ticket, digestHash string, digestExpires time.Time, now time.Time) error {
	item, err := Marshal(ticketKey(tk.ID), tk)
	if err != nil {
		return err
	}
	t.Put(TicketName, item, Expr{Condition: "attribute_not_exists(pk)"})
	digest, err := Marshal(TicketDigestKey(digestHash), TicketDigest{TicketID: tk.ID, TTL: digestExpires.Unix()})
	if err != nil {
		return err
	}
	t.Put(TicketDigestName, digest, Expr{
		Condition: "attribute_not_exists(pk) OR #ttl <= :now",
		Names:     map[string]string{"#ttl": "ttl"},
		Values:    map[string]types.AttributeValue{":now": num(now.Unix())},
	})
	return nil
}
