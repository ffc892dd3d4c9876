package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Items is a set of live items read at once, by key.
type Items map[string]map[string]types.AttributeValue

// Decode unmarshals the item with key pk into out and says whether it was there.
func (it Items) Decode(pk string, out any) (bool, error) {
	item, ok := it[pk]
	if !ok {
		return false, nil
	}
	if err := attributevalue.UnmarshalMap(item, out); err != nil {
		return false, fmt.Errorf("decode %s: %w", kind(pk), err)
	}
	return true, nil
}

// GetMany reads up to 100 items in one strongly consistent call (more where
// DynamoDB leaves some unprocessed), dropping expired ones.
func (s *Store) GetMany(ctx context.Context, pks []string, now time.Time) (Items, error) {
	keys := make([]map[string]types.AttributeValue, 0, len(pks))
	seen := map[string]bool{}
	for _, pk := range pks {
		if !seen[pk] {
			seen[pk] = true
			keys = append(keys, key(pk))
		}
	}
	out := Items{}
	req := map[string]types.KeysAndAttributes{s.table: {Keys: keys, ConsistentRead: aws.Bool(true)}}
	for tries := 0; len(req) > 0 && len(req[s.table].Keys) > 0; tries++ {
		if tries == 5 {
			return nil, fmt.Errorf("batch get: items left unprocessed")
		}
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, fmt.Errorf("batch get: %w", err)
		}
		for _, item := range res.Responses[s.table] {
			if live(item, now) {
				out[item["pk"].(*types.AttributeValueMemberS).Value] = item
			}
		}
		req = res.UnprocessedKeys
	}
	return out, nil
}

// getAll reads the live items with these keys, 100 to a BatchGetItem, and
// answers each that is there decoded, in the keys' order.
func getAll[T any](ctx context.Context, s *Store, keys []string, now time.Time) ([]T, error) {
	var out []T
	for chunk := range slices.Chunk(keys, 100) {
		items, err := s.GetMany(ctx, chunk, now)
		if err != nil {
			return nil, err
		}
		for _, k := range chunk {
			var v T
			if ok, err := items.Decode(k, &v); err != nil {
				return nil, err
			} else if ok {
				out = append(out, v)
			}
		}
	}
	return out, nil
}
