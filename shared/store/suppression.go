package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// SuppressedName names the suppression check in a transaction.
const SuppressedName = "suppressed"

// SuppressionKey is the key of a destination's suppression item.
func SuppressionKey(destHash string) string { return "supp#" + destHash }

// Suppression blocks all messages to one destination.
type Suppression struct {
	// Reason is "optout", "bounce", "complaint" or "stop" (an inbound STOP).
	Reason    string `dynamodbav:"reason"`
	CreatedAt int64  `dynamodbav:"createdAt"`
}

// Suppress blocks messages to the destination with this hash. It is idempotent:
// a second suppression keeps the first one's reason and time.
func (s *Store) Suppress(ctx context.Context, destHash string, sup Suppression) error {
	item, err := Marshal(SuppressionKey(destHash), sup)
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item, ConditionExpression: optional("attribute_not_exists(pk)")})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("put suppression: %w", err)
	}
	return nil
}

// Unsuppress lifts the suppression of the destination with this hash, only where
// its reason is reason: a START undoes a STOP, never a bounce or a complaint. It
// answers whether a suppression was lifted.
func (s *Store) Unsuppress(ctx context.Context, destHash, reason string) (bool, error) {
	t := s.Tx()
	t.Delete(SuppressedName, SuppressionKey(destHash), Expr{
		Condition: "reason = :r",
		Values:    map[string]types.AttributeValue{":r": str(reason)},
	})
	err := s.Commit(ctx, t)
	var failed *ConditionFailed
	if errors.As(err, &failed) && !failed.Conflict {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("lift suppression: %w", err)
	}
	return true, nil
}
