package moto_test

import (
	"context"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkin-registry/registry/infra/moto/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

// The emulator keeps DynamoDB's promise for TransactWriteItems: a retry with the
// same ClientRequestToken (as the SDK sends after a lost response) answers the
// first result and applies nothing again; a new token is a new transaction.
func TestTransactionTokensAreIdempotent(t *testing.T) {
	st := mototest.NewTestStack(t, nil)
	table := st.Tables["RegistryTable"]
	put := func(token string) error {
		_, err := st.Clients.DynamoDB.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{
			ClientRequestToken: aws.String(token),
			TransactItems: []types.TransactWriteItem{{Put: &types.Put{
				TableName:           aws.String(table),
				Item:                map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "once"}},
				ConditionExpression: aws.String("attribute_not_exists(pk)"),
			}}},
		})
		return err
	}
	if err := put("token-1"); err != nil {
		t.Fatalf("first: %v", err)
	}
	if err := put("token-1"); err != nil {
		t.Fatalf("retry with the same token: %v, want the first answer", err)
	}
	var cancelled *types.TransactionCanceledException
	if err := put("token-2"); !errors.As(err, &cancelled) {
		t.Fatalf("a new token: %v, want the condition to refuse it", err)
	}
}

// A cancelled transaction changes nothing, whatever its items did before the one
// that failed: the emulator keeps a copy of only the items a transaction names
// (not of the whole table), and puts those back.
func TestCancelledTransactionsChangeNothing(t *testing.T) {
	st := mototest.NewTestStack(t, nil)
	table := aws.String(st.Tables["RegistryTable"])
	db := st.Clients.DynamoDB
	ctx := context.Background()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	key := func(pk string) map[string]types.AttributeValue { return map[string]types.AttributeValue{"pk": s(pk)} }
	for _, pk := range []string{"counted", "doomed"} {
		item := key(pk)
		item["n"] = &types.AttributeValueMemberN{Value: "1"}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	st.Fill(t, 30)
	before := st.Items(t, "")
	writes := func(last types.TransactWriteItem) []types.TransactWriteItem {
		return []types.TransactWriteItem{
			{Update: &types.Update{TableName: table, Key: key("counted"), UpdateExpression: aws.String("ADD n :one"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}}}},
			{Put: &types.Put{TableName: table, Item: map[string]types.AttributeValue{"pk": s("new"), "v": s("x")}}},
			{Delete: &types.Delete{TableName: table, Key: key("doomed")}},
			last,
		}
	}
	cases := map[string]types.TransactWriteItem{
		"a condition fails": {ConditionCheck: &types.ConditionCheck{TableName: table, Key: key("absent"),
			ConditionExpression: aws.String("attribute_exists(pk)")}},
		"an item is named twice": {ConditionCheck: &types.ConditionCheck{TableName: table, Key: key("counted"),
			ConditionExpression: aws.String("attribute_exists(pk)")}},
	}
	for name, last := range cases {
		_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes(last)})
		if err == nil {
			t.Fatalf("%s: the transaction was applied", name)
		}
		if after := st.Items(t, ""); !reflect.DeepEqual(after, before) {
			t.Fatalf("%s: %v\nthe table changed: %v, was %v", name, err, after, before)
		}
	}
	ok := types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: table, Key: key("fill#0"),
		ConditionExpression: aws.String("attribute_exists(pk)")}}
	if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes(ok)}); err != nil {
		t.Fatalf("a transaction whose conditions hold: %v", err)
	}
	if got := len(st.Items(t, "")); got != len(before) {
		t.Fatalf("%d items after one put and one delete, want %d", got, len(before))
	}
	if n := st.Items(t, "counted")[0]["n"]; n != float64(2) {
		t.Fatalf("counted n = %v, want 2", n)
	}
}
