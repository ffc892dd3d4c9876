package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DueReminder is an account whose retention reminder is due.
type DueReminder struct {
	Hash string
	VerifiedContact
}

// DueReminders walks one segment of the table (of total, for a parallel scan)
// for accounts whose reminder is due at now and not yet sent, handing each page's
// to each. A filtered Scan reads the whole table once a day, which on demand
// costs a read unit per 8 KB of table: cents a day for millions of venues.
func (s *Store) DueReminders(ctx context.Context, now time.Time, segment, total int, each func([]DueReminder) error) error {
	in := &dynamodb.ScanInput{
		TableName:                &s.table,
		FilterExpression:         aws.String("begins_with(pk, :contact) AND remindAt <= :now AND attribute_not_exists(remindedAt) AND #ttl > :now"),
		ExpressionAttributeNames: map[string]string{"#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":contact": str("contact#"), ":now": num(now.Unix()),
		},
		Segment: aws.Int32(int32(segment)), TotalSegments: aws.Int32(int32(total)),
	}
	p := dynamodb.NewScanPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("scan reminders: %w", err)
		}
		var due []DueReminder
		for _, item := range page.Items {
			var d DueReminder
			if err := attributevalue.UnmarshalMap(item, &d.VerifiedContact); err != nil {
				return fmt.Errorf("decode contact: %w", err)
			}
			d.Hash = item["pk"].(*types.AttributeValueMemberS).Value[len("contact#"):]
			due = append(due, d)
		}
		if len(due) > 0 {
			if err := each(due); err != nil {
				return err
			}
		}
	}
	return nil
}

// ClaimReminder marks the account's reminder sent at now, on the condition that
// it is still the one due (no sign-in renewed the account meanwhile) and was not
// sent: of two passes at once, one claims it. false where it was not claimed.
func (s *Store) ClaimReminder(ctx context.Context, d DueReminder, now time.Time) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(VerifiedContactKey(d.Hash)),
		UpdateExpression:    aws.String("SET remindedAt = :now"),
		ConditionExpression: aws.String("remindAt = :due AND attribute_not_exists(remindedAt)"),
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

// ReleaseReminder undoes a claim whose message could not be sent, so that the
// next pass tries again.
func (s *Store) ReleaseReminder(ctx context.Context, d DueReminder, claimedAt time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(VerifiedContactKey(d.Hash)),
		UpdateExpression:          aws.String("REMOVE remindedAt"),
		ConditionExpression:       aws.String("remindedAt = :at"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": num(claimedAt.Unix())},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("release reminder: %w", err)
	}
	return nil
}
