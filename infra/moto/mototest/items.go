package mototest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkin-registry/registry/shared/store"
)

// Items is every item of the stack's RegistryTable whose key starts with prefix,
// decoded, over all pages of a scan: for tests to check what a function wrote.
func (s *TestStack) Items(t testing.TB, prefix string) []map[string]any {
	t.Helper()
	var items []map[string]any
	in := &dynamodb.ScanInput{TableName: aws.String(s.Tables["RegistryTable"])}
	for {
		out, err := s.Clients.DynamoDB.Scan(context.Background(), in)
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		for _, it := range out.Items {
			if pk, ok := it["pk"].(*types.AttributeValueMemberS); !ok || !strings.HasPrefix(pk.Value, prefix) {
				continue
			}
			var m map[string]any
			if err := attributevalue.UnmarshalMap(it, &m); err != nil {
				t.Fatalf("decode item: %v", err)
			}
			items = append(items, m)
		}
		if len(out.LastEvaluatedKey) == 0 {
			return items
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// SetMode writes the protection mode item of the stack's RegistryTable, as the
// alarm responder or an operator would.
func (s *TestStack) SetMode(t testing.TB, mode string, now time.Time) {
	t.Helper()
	item, err := store.Marshal(store.ModeKey, store.ModeState{Mode: mode, UpdatedAt: now.Unix()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Clients.DynamoDB.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(s.Tables["RegistryTable"]), Item: item}); err != nil {
		t.Fatalf("put mode: %v", err)
	}
}

// Fill writes n filler items (keys "fill#…", 200 bytes each) into the stack's
// RegistryTable, as a table that has served for a while holds: for benchmarks
// whose cost must not grow with the table.
func (s *TestStack) Fill(t testing.TB, n int) {
	t.Helper()
	table := s.Tables["RegistryTable"]
	pad := &types.AttributeValueMemberS{Value: strings.Repeat("x", 200)}
	for i := 0; i < n; i += 25 {
		var reqs []types.WriteRequest
		for j := i; j < min(i+25, n); j++ {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("fill#%d", j)}, "pad": pad,
			}}})
		}
		in := &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table: reqs}}
		for len(in.RequestItems[table]) > 0 {
			out, err := s.Clients.DynamoDB.BatchWriteItem(context.Background(), in)
			if err != nil {
				t.Fatalf("fill: %v", err)
			}
			in.RequestItems = out.UnprocessedItems
		}
	}
}

// ExpireItems deletes every item of the stack's RegistryTable whose ttl is before
// now, as DynamoDB's TTL process does some time after an item expires (the
// emulator never does): for tests of what happens once such an item is gone.
func (s *TestStack) ExpireItems(t testing.TB, now time.Time) {
	t.Helper()
	table := aws.String(s.Tables["RegistryTable"])
	for _, it := range s.Items(t, "") {
		ttl, ok := it["ttl"].(float64)
		if !ok || int64(ttl) >= now.Unix() {
			continue
		}
		key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: it["pk"].(string)}}
		if _, err := s.Clients.DynamoDB.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: table, Key: key}); err != nil {
			t.Fatalf("delete expired item: %v", err)
		}
	}
}
