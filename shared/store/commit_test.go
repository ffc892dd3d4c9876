package store

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// cancellingDB cancels its first transactions with reasons, as DynamoDB does when
// another transaction holds one of the items (the emulator never does).
type cancellingDB struct {
	Client
	reasons []string
	cancels int
	calls   int
	tokens  map[string]bool
}

func (c *cancellingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.calls++
	c.tokens[aws.ToString(in.ClientRequestToken)] = true
	if c.calls <= c.cancels {
		var rs []types.CancellationReason
		for _, r := range c.reasons {
			rs = append(rs, types.CancellationReason{Code: aws.String(r)})
		}
		return nil, &types.TransactionCanceledException{CancellationReasons: rs}
	}
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

func TestCommitRetriesConflictsOnly(t *testing.T) {
	for _, tt := range []struct {
		name    string
		reasons []string
		cancels int
		calls   int
		failed  string // the name in *ConditionFailed, or "busy"
	}{
		{"one conflict, then through", []string{"None", "TransactionConflict"}, 1, 2, ""},
		{"conflicts every time", []string{"None", "TransactionConflict"}, 99, commitTries, "busy"},
		{"a false condition is final", []string{"None", "ConditionalCheckFailed"}, 99, 1, "second"},
		{"a false condition beside a conflict is final", []string{"TransactionConflict", "ConditionalCheckFailed"}, 99, 1, "second"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := &cancellingDB{reasons: tt.reasons, cancels: tt.cancels, tokens: map[string]bool{}}
			s := New(db, "table")
			tx := s.Tx()
			tx.Put("first", map[string]types.AttributeValue{"pk": str("a")}, Expr{})
			tx.Put("second", map[string]types.AttributeValue{"pk": str("b")}, Expr{})
			err := s.Commit(context.Background(), tx)
			var failed *ConditionFailed
			switch {
			case db.calls != tt.calls:
				t.Fatalf("calls = %d, want %d", db.calls, tt.calls)
			case len(db.tokens) != db.calls:
				t.Fatalf("%d request tokens for %d attempts: each attempt needs its own", len(db.tokens), db.calls)
			case tt.failed == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.failed == "busy" && (!errors.Is(err, ErrBusy) || errors.As(err, &failed)):
				t.Fatalf("err = %v, want ErrBusy and no condition failure", err)
			case tt.failed != "" && tt.failed != "busy" && (!errors.As(err, &failed) || failed.Name != tt.failed || failed.Conflict):
				t.Fatalf("err = %v, want the condition of %s", err, tt.failed)
			}
		})
	}
}
