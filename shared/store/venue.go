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
	ID             string `dynamodbav:"id"`
	BusinessName   string `dynamodbav:"businessName"`
	Address        string `dynamodbav:"address"`
	Channel        string `dynamodbav:"channel"`
	Contact        string `dynamodbav:"contact"`
	ContactHash    string `dynamodbav:"contactHash"`
	RegistrationID string `dynamodbav:"registrationId"`
	CreatedAt      int64  `dynamodbav:"createdAt"`
	// QRPayload is the venue's signed QR payload, stored by the qr function on
	// first fetch so that later fetches need no signature.
	QRPayload string `dynamodbav:"qrPayload,omitempty"`
	// QRSymbol is the QR code of that payload's URL, encoded once with it (the
	// qr function's Matrix.Bytes), so that a fetch of the image need not encode.
	QRSymbol []byte `dynamodbav:"qrSymbol,omitempty"`
}

// VerifiedContact links a proven contact to the latest venue it proved.
type VerifiedContact struct {
	VenueID string `dynamodbav:"venueId"`
	Contact string `dynamodbav:"contact"`
	Channel string `dynamodbav:"channel"`
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
func (s *Store) CompleteVerification(ctx context.Context, r Registration, v Venue) error {
	t := s.Tx()
	if err := t.CompleteVerification(r, v); err != nil {
		return err
	}
	return s.Commit(ctx, t)
}

// CompleteVerification adds to t what Store.CompleteVerification writes, for a
// caller with conditions of its own in the same transaction.
func (t *Tx) CompleteVerification(r Registration, v Venue) error {
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
	contact, err := Marshal(VerifiedContactKey(v.ContactHash), VerifiedContact{VenueID: v.ID, Contact: v.Contact, Channel: v.Channel})
	if err != nil {
		return err
	}
	t.Put("contact", contact, Expr{})
	return nil
}

// SetVenuePayload stores payload and its QR symbol on venue id if its stored
// payload is still old (none where old is ""). If another request stored one
// first, it answers that one and its symbol instead; ErrNotFound where there is
// no such venue.
func (s *Store) SetVenuePayload(ctx context.Context, id, old, payload string, symbol []byte) (string, []byte, error) {
	in := &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(venueKey(id)),
		UpdateExpression:    aws.String("SET qrPayload = :p, qrSymbol = :s"),
		ConditionExpression: aws.String("attribute_exists(pk) AND attribute_not_exists(qrPayload)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": str(payload), ":s": &types.AttributeValueMemberB{Value: symbol},
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
