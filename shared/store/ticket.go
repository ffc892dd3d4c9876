package store

import (
	"context"
	"errors"
	"slices"
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
	Acknowledged bool `dynamodbav:"acknowledged,omitempty"`
	// Digest is the keyed hash of the contact and message that names the
	// ticket's digest item, so that an erasure of the ticket takes it too.
	Digest    string `dynamodbav:"digest,omitempty"`
	CreatedAt int64  `dynamodbav:"createdAt"`
	UpdatedAt int64  `dynamodbav:"updatedAt"`
	TTL       int64  `dynamodbav:"ttl"`
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

// ContactTickets lists, under one contact hash, every ticket filed with that
// contact and every limit item the helpdesk keyed by it, so that the owner's
// export and erasure find them with one read instead of a scan. It lives as
// long as the latest of its tickets; ids of tickets that expired before it stay
// listed and read as missing.
type ContactTickets struct {
	TicketIDs   []string `dynamodbav:"ticketIds,stringset,omitempty"`
	CounterKeys []string `dynamodbav:"counterKeys,stringset,omitempty"`
	TTL         int64    `dynamodbav:"ttl"`
}

// ContactTicketsKey is the key of the ticket index of the contact with this hash.
func ContactTicketsKey(hash string) string { return "tickets#" + hash }

// OpenTicket adds to t the creation of tk and of its digest, on the condition that
// no live digest with this hash exists: of two identical requests at once, one
// opens the ticket and the other's transaction fails on TicketDigestName. The
// ticket joins its contact's index, with counters, the keys of the limit items
// the same transaction claims for that contact.
func (t *Tx) OpenTicket(tk Ticket, digestHash string, digestExpires time.Time, now time.Time, counters []string) error {
	tk.Digest = digestHash
	index := Expr{
		Update: "SET #ttl = :ttl ADD ticketIds :id", Names: map[string]string{"#ttl": "ttl"},
		Values: map[string]types.AttributeValue{":ttl": num(tk.TTL), ":id": &types.AttributeValueMemberSS{Value: []string{tk.ID}}},
	}
	if len(counters) > 0 {
		index.Update += ", counterKeys :c"
		index.Values[":c"] = &types.AttributeValueMemberSS{Value: counters}
	}
	t.Update("ticket_index", ContactTicketsKey(tk.ContactHash), index)
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

// ContactTickets reads the contact's ticket index and every live ticket it
// names: one GetItem, and one BatchGetItem per 100 tickets.
func (s *Store) ContactTickets(ctx context.Context, hash string, now time.Time) (ContactTickets, []Ticket, error) {
	var index ContactTickets
	if err := s.get(ctx, ContactTicketsKey(hash), now, &index); errors.Is(err, ErrNotFound) {
		return index, nil, nil
	} else if err != nil {
		return index, nil, err
	}
	keys := make([]string, len(index.TicketIDs))
	for i, id := range index.TicketIDs {
		keys[i] = ticketKey(id)
	}
	all, err := getAll[Ticket](ctx, s, keys, now)
	if err != nil {
		return index, nil, err
	}
	out := slices.DeleteFunc(all, func(tk Ticket) bool { return tk.ContactHash != hash })
	slices.SortFunc(out, func(a, b Ticket) int { return int(a.CreatedAt - b.CreatedAt) })
	return index, out, nil
}

// EraseTickets deletes the tickets, their digests and the other items named
// (the helpdesk's limit items for the contact, which its index lists), up to
// 100 in a transaction: an erasure cut short leaves the rest listed in the
// contact's index for a retry. The index itself goes with the account
// (ContactTicketsKey).
func (s *Store) EraseTickets(ctx context.Context, tickets []Ticket, others ...string) error {
	var keys []string
	for _, tk := range tickets {
		keys = append(keys, ticketKey(tk.ID))
		if tk.Digest != "" {
			keys = append(keys, TicketDigestKey(tk.Digest))
		}
	}
	keys = append(keys, others...)
	slices.Sort(keys)
	for chunk := range slices.Chunk(slices.Compact(keys), 100) {
		t := s.Tx()
		for _, k := range chunk {
			t.Delete(kind(k), k, Expr{})
		}
		if err := s.Commit(ctx, t); err != nil {
			return err
		}
	}
	return nil
}
