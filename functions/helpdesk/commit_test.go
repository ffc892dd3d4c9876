package helpdesk

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkin-registry/registry/shared/store"
)

// cancellingDB cancels its first transactions with reason, as DynamoDB does when
// another transaction holds one of the items (moto_server never does).
type cancellingDB struct {
	store.Client
	reason  string
	cancels int
	calls   int
}

func (c *cancellingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.calls++
	if c.calls <= c.cancels {
		return nil, &types.TransactionCanceledException{CancellationReasons: []types.CancellationReason{{Code: aws.String("None")}, {Code: aws.String(c.reason)}}}
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

func TestCommitRetriesConflictsOnly(t *testing.T) {
	for _, tt := range []struct {
		name, reason string
		cancels      int
		calls        int
		conflict     bool
		fails        bool
	}{
		{"one conflict, then through", "TransactionConflict", 1, 2, false, false},
		{"conflicts every time", "TransactionConflict", 99, commitTries, true, true},
		{"a false condition is final", "ConditionalCheckFailed", 99, 1, false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := &cancellingDB{reason: tt.reason, cancels: tt.cancels}
			h := &Handler{store: store.New(db, "table")}
			tx := h.store.Tx()
			tx.Put("first", map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}, store.Expr{})
			tx.Put("second", map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "b"}}, store.Expr{})
			err := h.commit(context.Background(), tx)
			var failed *store.ConditionFailed
			if db.calls != tt.calls || (err != nil) != tt.fails || (tt.fails && (!errors.As(err, &failed) || failed.Name != "second" || failed.Conflict != tt.conflict)) {
				t.Fatalf("calls=%d err=%v, want %d calls, failing %v (conflict %v) on second", db.calls, err, tt.calls, tt.fails, tt.conflict)
			}
		})
	}
}
