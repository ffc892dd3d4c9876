package moto_test

import (
	"context"
	"errors"
	"os"
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
