package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// SuppressedName names the suppression checks in a transaction.
const SuppressedName = "suppressed"

// SuppressionKey is the key of the suppression of one destination or address hash.
func SuppressionKey(hash string) string { return "supp#" + hash }

// Suppression blocks all messages to one destination (an opt-out covers the
// mailbox) or one exact address (a bounce or complaint covers what SES reported).
type Suppression struct {
	// Reason is "optout", "bounce", "complaint" or "stop" (an inbound STOP).
	Reason    string `dynamodbav:"reason"`
	CreatedAt int64  `dynamodbav:"createdAt"`
	// TTL, if set, is when the suppression ends (Unix seconds).
	TTL int64 `dynamodbav:"ttl,omitempty"`
}

// Suppress blocks messages to the destination or address with this hash. It is
// idempotent: a second suppression keeps a live first one's reason and time,
// except that one without an end replaces one with an end.
func (s *Store) Suppress(ctx context.Context, hash string, sup Suppression, now time.Time) error {
	item, err := Marshal(SuppressionKey(hash), sup)
	if err != nil {
		return err
	}
	cond := "attribute_not_exists(pk) OR #ttl <= :now"
	if sup.TTL == 0 {
		cond += " OR attribute_exists(#ttl)"
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item, ConditionExpression: &cond,
		ExpressionAttributeNames:  map[string]string{"#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(now.Unix())}})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("put suppression: %w", err)
	}
	return nil
}

// Suppressed says whether items, read with the keys of these hashes, hold a live
// suppression of any of them.
func (it Items) Suppressed(hashes ...string) bool {
	for _, h := range hashes {
		if _, ok := it[SuppressionKey(h)]; ok {
			return true
		}
	}
	return false
}

// CheckNotSuppressed adds to t the condition that no live suppression of hash
// exists: a suppression that arrives between a read and the commit cancels it.
func (t *Tx) CheckNotSuppressed(hash string, now time.Time) {
	t.Check(SuppressedName, SuppressionKey(hash), Expr{Condition: "attribute_not_exists(pk) OR #ttl <= :now",
		Names: map[string]string{"#ttl": "ttl"}, Values: map[string]types.AttributeValue{":now": num(now.Unix())}})
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
