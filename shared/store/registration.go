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

// Registration states.
const (
	Pending  = "pending"
	Verified = "verified"
)

// Registration is a venue registration awaiting, or past, code verification.
type Registration struct {
	ID           string `dynamodbav:"id"`
	BusinessName string `dynamodbav:"businessName"`
	Address      string `dynamodbav:"address"`
	Channel      string `dynamodbav:"channel"`
	// Destination is the normalised phone number or e-mail address.
	Destination string `dynamodbav:"destination"`
	// DestinationHash is the keyed hash of the destination's identity (contact.Destination.Key).
	DestinationHash string `dynamodbav:"destinationHash"`
	// ClientHash, NetworkHash and PrefixHash are the hashes of the client, its
	// network and the number range the code was sent for, whose earned
	// allowances a verify credits.
	ClientHash    string `dynamodbav:"clientHash,omitempty"`
	NetworkHash   string `dynamodbav:"networkHash,omitempty"`
	PrefixHash    string `dynamodbav:"prefixHash,omitempty"`
	CodeHash      []byte `dynamodbav:"codeHash"`
	CodeExpiresAt int64  `dynamodbav:"codeExpiresAt"`
	// Sends counts the codes sent for this registration: 1 after the first.
	Sends      int    `dynamodbav:"sends"`
	LastSentAt int64  `dynamodbav:"lastSentAt"`
	Attempts   int    `dynamodbav:"attempts"`
	Status     string `dynamodbav:"status"`
	VenueID    string `dynamodbav:"venueId,omitempty"`
	// Silent marks a registration for a suppressed destination: it answers like any
	// other, but no code is ever sent and none can match.
	Silent    bool  `dynamodbav:"silent,omitempty"`
	CreatedAt int64 `dynamodbav:"createdAt"`
	TTL       int64 `dynamodbav:"ttl"`
	// Inbound marks a registration proven by a message from its destination
	// rather than by a code; InboundProvenAt and InboundVia are set when one came.
	Inbound         bool   `dynamodbav:"inbound,omitempty"`
	InboundProvenAt int64  `dynamodbav:"inboundProvenAt,omitempty"`
	InboundVia      string `dynamodbav:"inboundVia,omitempty"`
}

// RegistrationName names a registration's write in a transaction.
const RegistrationName = "registration"

func registrationKey(id string) string { return "reg#" + id }

// RegistrationKey is the key of registration id, for reading it with others in one GetMany.
func RegistrationKey(id string) string { return registrationKey(id) }

// Registration decodes the live registration id from items read with its key.
func (it Items) Registration(id string) (Registration, error) {
	var r Registration
	ok, err := it.Decode(registrationKey(id), &r)
	if err == nil && !ok {
		err = ErrNotFound
	}
	return r, err
}

// GetRegistration reads a live registration.
func (s *Store) GetRegistration(ctx context.Context, id string, now time.Time) (Registration, error) {
	var r Registration
	err := s.get(ctx, registrationKey(id), now, &r)
	return r, err
}

// PutRegistration adds the creation of a new registration to t.
func (t *Tx) PutRegistration(r Registration) error {
	item, err := Marshal(registrationKey(r.ID), r)
	if err != nil {
		return err
	}
	t.Put(RegistrationName, item, Expr{Condition: "attribute_not_exists(pk)"})
	return nil
}

// ResendRegistration adds to t the replacement of r's code by a fresh one, on the
// condition that no other send or verification changed r since it was read and
// that r has code attempts left (a code no attempt could try is never sent).
func (t *Tx) ResendRegistration(r Registration, codeHash []byte, codeExpiresAt, sentAt int64, maxAttempts int) {
	t.Update(RegistrationName, registrationKey(r.ID), Expr{
		Update:    "SET codeHash = :h, codeExpiresAt = :exp, sends = :next, lastSentAt = :sent",
		Condition: "sends = :sends AND #s = :pending AND attempts < :max",
		Names:     map[string]string{"#s": "status"},
		Values: map[string]types.AttributeValue{
			":h": &types.AttributeValueMemberB{Value: codeHash}, ":exp": num(codeExpiresAt),
			":next": num(int64(r.Sends + 1)), ":sent": num(sentAt), ":sends": num(int64(r.Sends)),
			":pending": str(Pending), ":max": num(int64(maxAttempts)),
		},
	})
}

// Why an attempt could not be reserved.
var (
	ErrCodeExpired     = errors.New("code expired")
	ErrTooManyAttempts = errors.New("too many attempts")
	ErrAlreadyVerified = errors.New("already verified")
)

// ReserveAttempt counts one verification attempt against the registration before
// its code is compared, so that however many attempts run at once, at most max are
// ever compared. It answers the registration as it stands after the count, or
// ErrNotFound, ErrCodeExpired, ErrTooManyAttempts or ErrAlreadyVerified, with the
// registration as it stood where there is one.
func (s *Store) ReserveAttempt(ctx context.Context, id string, max int, now time.Time) (Registration, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        &s.table,
		Key:              key(registrationKey(id)),
		UpdateExpression: aws.String("ADD attempts :one"),
		ConditionExpression: aws.String("attribute_exists(pk) AND #ttl > :now AND #s = :pending AND " +
			"codeExpiresAt > :now AND attempts < :max"),
		ExpressionAttributeNames: map[string]string{"#s": "status", "#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": num(1), ":now": num(now.Unix()), ":pending": str(Pending), ":max": num(int64(max)),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return whyNoAttempt(failed.Item, max, now)
	}
	if err != nil {
		return Registration{}, fmt.Errorf("reserve attempt: %w", err)
	}
	var r Registration
	if err := attributevalue.UnmarshalMap(out.Attributes, &r); err != nil {
		return Registration{}, fmt.Errorf("decode registration: %w", err)
	}
	return r, nil
}

func whyNoAttempt(item map[string]types.AttributeValue, max int, now time.Time) (Registration, error) {
	var r Registration
	if item == nil || !live(item, now) || attributevalue.UnmarshalMap(item, &r) != nil {
		return Registration{}, ErrNotFound
	}
	switch {
	case r.Status == Verified:
		return r, ErrAlreadyVerified
	case r.Attempts >= max:
		return r, ErrTooManyAttempts
	default:
		return r, ErrCodeExpired
	}
}
