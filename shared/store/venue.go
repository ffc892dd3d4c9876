package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Venue is a venue whose contact was proven by a one-time code.
type Venue struct {
	ID             string `dynamodbav:"id"`
	BusinessName   string `dynamodbav:"businessName"`
	Address        string `dynamodbav:"address"`
	Channel        string `dynamodbav:"channel"`
	Contact        string `dynamodbav:"contact"`
	ContactHash    string `dynamodbav:"contactHash"`
	RegistrationID string `dynamodbav:"registrationId"`
	CreatedAt      int64  `dynamodbav:"createdAt"`
}

// VerifiedContact links a proven contact to the latest venue it proved.
type VerifiedContact struct {
	VenueID string `dynamodbav:"venueId"`
	Contact string `dynamodbav:"contact"`
	Channel string `dynamodbav:"channel"`
}

func venueKey(id string) string             { return "venue#" + id }
func verifiedContactKey(hash string) string { return "contact#" + hash }

// GetVenue reads a venue.
func (s *Store) GetVenue(ctx context.Context, id string, now time.Time) (Venue, error) {
	var v Venue
	err := s.get(ctx, venueKey(id), now, &v)
	return v, err
}

// GetVerifiedContact reads the proven contact with this destination hash, if any.
func (s *Store) GetVerifiedContact(ctx context.Context, hash string, now time.Time) (VerifiedContact, error) {
	var c VerifiedContact
	err := s.get(ctx, verifiedContactKey(hash), now, &c)
	return c, err
}

// CompleteVerification creates the venue for r in one transaction with marking r
// verified, on the condition that r is still pending with the code that was checked.
func (s *Store) CompleteVerification(ctx context.Context, r Registration, v Venue) error {
	t := s.Tx()
	t.Update("registration", registrationKey(r.ID), Expr{
		Update:    "SET #s = :verified, venueId = :venue",
		Condition: "#s = :pending AND sends = :sends",
		Names:     map[string]string{"#s": "status"},
		Values: map[string]types.AttributeValue{
			":verified": str(Verified), ":venue": str(v.ID), ":pending": str(Pending), ":sends": num(int64(r.Sends)),
		},
	})
	item, err := Marshal(venueKey(v.ID), v)
	if err != nil {
		return err
	}
	t.Put("venue", item, Expr{Condition: "attribute_not_exists(pk)"})
	contact, err := Marshal(verifiedContactKey(v.ContactHash), VerifiedContact{VenueID: v.ID, Contact: v.Contact, Channel: v.Channel})
	if err != nil {
		return err
	}
	t.Put("contact", contact, Expr{})
	return s.Commit(ctx, t)
}
