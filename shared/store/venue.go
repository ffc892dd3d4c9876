package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Venue is a venue whose contact was proven by a one-time code.
type Venue struct {
	ID           string `dynamodbav:"id"`
	BusinessName string `dynamodbav:"businessName"`
	Address      string `dynamodbav:"address"`
	Channel      string `dynamodbav:"channel"`
	Contact      string `dynamodbav:"contact"`
	ContactHash  string `dynamodbav:"contactHash"`
	// RegistrationID is the registration that created the venue; "" for a venue
	// an owner added after signing in.
	RegistrationID string `dynamodbav:"registrationId,omitempty"`
	CreatedAt      int64  `dynamodbav:"createdAt"`
	UpdatedAt      int64  `dynamodbav:"updatedAt,omitempty"`
	// QRPayload is the venue's signed QR payload, stored by the qr function on
	// first fetch so that later fetches need no signature.
	QRPayload string `dynamodbav:"qrPayload,omitempty"`
	// QRSymbol is the QR code of that payload's URL, encoded once with it (the
	// qr function's Matrix.Bytes), so that a fetch of the image need not encode.
	QRSymbol []byte `dynamodbav:"qrSymbol,omitempty"`
	// Payloads are the PayloadHash of every payload of this venue that still
	// verifies: the current one, and those signed with a key since rotated out of
	// signing but still published. A reissue revokes them all.
	Payloads []string `dynamodbav:"payloads,stringset,omitempty"`
	// LegacyRevoked is set by the first edit or reissue: from then on no format 1
	// payload of the venue verifies.
	LegacyRevoked bool `dynamodbav:"legacyRevoked,omitempty"`
	// Version counts the changes to the venue's payload, name or address: every
	// such write is conditional on the version it read.
	Version int64 `dynamodbav:"version,omitempty"`
	// TTL is when the venue is erased unless its owner signs in before (retention).
	TTL int64 `dynamodbav:"ttl"`
}

// VerifiedContact is a proven contact (an owner's account): its raw address for
// messages to it, and every venue it proved.
type VerifiedContact struct {
	// VenueID is the latest venue the contact proved.
	VenueID  string   `dynamodbav:"venueId"`
	VenueIDs []string `dynamodbav:"venueIds,stringset,omitempty"`
	Contact  string   `dynamodbav:"contact"`
	Channel  string   `dynamodbav:"channel"`
	// LastProvenAt is the latest registration or sign-in that proved the contact.
	LastProvenAt int64 `dynamodbav:"lastProvenAt,omitempty"`
	// RemindAt is when the retention reminder is due; RemindedAt is when it went.
	RemindAt   int64 `dynamodbav:"remindAt,omitempty"`
	RemindedAt int64 `dynamodbav:"remindedAt,omitempty"`
	TTL        int64 `dynamodbav:"ttl"`
}

func venueKey(id string) string { return "venue#" + id }

// VerifiedContactKey is the key of the proven contact with destination hash, for
// reading it with others in one GetMany.
func VerifiedContactKey(hash string) string { return "contact#" + hash }

// GetVenue reads a venue.
func (s *Store) GetVenue(ctx context.Context, id string, now time.Time) (Venue, error) {
	var v Venue
	err := s.get(ctx, venueKey(id), now, &v)
	return v, err
}

// CompleteVerification creates the venue for r in one transaction with marking r
// verified, on the condition that r is still pending with the code that was checked.
// The proof renews the contact's account; v.TTL must be keep.Until(v.CreatedAt).
func (s *Store) CompleteVerification(ctx context.Context, r Registration, v Venue, keep Retention) error {
	t := s.Tx()
	if err := t.CompleteVerification(r, v, keep); err != nil {
		return err
	}
	return s.Commit(ctx, t)
}

// CompleteVerification adds to t what Store.CompleteVerification writes, for a
// caller with conditions of its own in the same transaction.
func (t *Tx) CompleteVerification(r Registration, v Venue, keep Retention) error {
	t.Update(RegistrationName, registrationKey(r.ID), Expr{
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
	t.renewExpiry(v.ID, v.TTL)
	t.proveContact(v, time.Unix(v.CreatedAt, 0), keep)
	return nil
}

// proveContact adds to t that v's contact was proven at now and owns v: the
// account is kept as keep says from now, with its reminder due before the end
// (and in DueIndex until it is sent).
func (t *Tx) proveContact(v Venue, now time.Time, keep Retention) {
	t.Update("contact", VerifiedContactKey(v.ContactHash), Expr{
		Update: "SET venueId = :v, contact = :c, channel = :ch, lastProvenAt = :now, #ttl = :ttl, remindAt = :remind, #due = :due " +
			"REMOVE remindedAt ADD venueIds :vs",
		Names: map[string]string{"#ttl": "ttl", "#due": "due"},
		Values: map[string]types.AttributeValue{
			":v": str(v.ID), ":c": str(v.Contact), ":ch": str(v.Channel), ":now": num(now.Unix()),
			":ttl": num(keep.Until(now)), ":remind": num(keep.RemindAt(now)), ":due": str(DueHour(keep.RemindAt(now))),
			":vs": &types.AttributeValueMemberSS{Value: []string{v.ID}},
		},
	})
}

// SetVenuePayload stores payload and its QR symbol on venue id if its stored
// payload is still old (none where old is ""). If another request stored one
// first, it answers that one and its symbol instead; ErrNotFound where there is
// no such venue. The old payload stays valid (a key rotation): only a reissue,
// an edit or a deletion revokes.
func (s *Store) SetVenuePayload(ctx context.Context, id, old, payload string, symbol []byte) (string, []byte, error) {
	hashes := []string{PayloadHash(payload)}
	if old != "" {
		hashes = append(hashes, PayloadHash(old)) // the payload replaced still verifies
	}
	in := &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(venueKey(id)),
		UpdateExpression:    aws.String("SET qrPayload = :p, qrSymbol = :s, version = if_not_exists(version, :zero) + :one ADD payloads :h"),
		ConditionExpression: aws.String("attribute_exists(pk) AND attribute_not_exists(qrPayload)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": str(payload), ":s": &types.AttributeValueMemberB{Value: symbol},
			":h": &types.AttributeValueMemberSS{Value: hashes}, ":zero": num(0), ":one": num(1),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if old != "" {
		in.ConditionExpression = aws.String("qrPayload = :old")
		in.ExpressionAttributeValues[":old"] = str(old)
	}
	_, err := s.db.UpdateItem(ctx, in)
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		var v Venue
		if failed.Item == nil || attributevalue.UnmarshalMap(failed.Item, &v) != nil {
			return "", nil, ErrNotFound
		}
		if v.QRPayload == "" {
			return payload, symbol, nil
		}
		return v.QRPayload, v.QRSymbol, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("set venue qr payload: %w", err)
	}
	return payload, symbol, nil
}
