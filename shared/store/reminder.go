package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DueReminder is an account whose retention reminder is due.
type DueReminder struct {
	Hash string
	VerifiedContact
}

// ClaimReminder marks the account's reminder sent at now, on the condition that
// it is still the one due (no sign-in renewed the account meanwhile) and was not
// sent: of two passes at once, one claims it. false where it was not claimed. The
// claimed account leaves DueIndex.
func (s *Store) ClaimReminder(ctx context.Context, d DueReminder, now time.Time) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(VerifiedContactKey(d.Hash)),
		UpdateExpression:         aws.String("SET remindedAt = :now REMOVE #due"),
		ConditionExpression:      aws.String("remindAt = :due AND attribute_not_exists(remindedAt)"),
		ExpressionAttributeNames: map[string]string{"#due": "due"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": num(now.Unix()), ":due": num(d.RemindAt),
		},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("claim reminder: %w", err)
	}
	return true, nil
}

// ReleaseReminder undoes a claim whose message could not be sent: the account
// is due again in the hour of retryAt, so that a pass then tries again.
func (s *Store) ReleaseReminder(ctx context.Context, d DueReminder, claimedAt, retryAt time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(VerifiedContactKey(d.Hash)),
		UpdateExpression:          aws.String("SET #due = :retry REMOVE remindedAt"),
		ConditionExpression:       aws.String("remindedAt = :at"),
		ExpressionAttributeNames:  map[string]string{"#due": "due"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": num(claimedAt.Unix()), ":retry": str(DueHour(retryAt.Unix()))},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("release reminder: %w", err)
	}
	return nil
}
