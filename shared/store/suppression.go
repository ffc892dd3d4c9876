package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// SuppressedName names the suppression check in a transaction.
const SuppressedName = "suppressed"

// SuppressionKey is the key of a destination's suppression item.
func SuppressionKey(destHash string) string { return "supp#" + destHash }

// Suppression blocks all messages to one destination.
type Suppression struct {
	// Reason is "optout", "bounce" or "complaint".
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
