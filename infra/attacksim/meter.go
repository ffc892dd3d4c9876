package attacksim

import (
	"context"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/shared/store"
)

// meter counts the handlers' requests, their DynamoDB calls and the capacity
// units those are billed, as on-demand DynamoDB bills them for items of at most
// 1 KB: a strongly consistent read 1 read unit an item, a write 1 write unit, and
// within a transaction 2 units an item.
type meter struct {
	store.Client
	requests, calls, readUnits, writeUnits atomic.Int64
}

func (m *meter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	m.calls.Add(1)
	m.readUnits.Add(1)
	return m.Client.GetItem(ctx, in, o...)
}

func (m *meter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	m.calls.Add(1)
	m.writeUnits.Add(1)
	return m.Client.PutItem(ctx, in, o...)
}

func (m *meter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	m.calls.Add(1)
	m.writeUnits.Add(1)
	return m.Client.UpdateItem(ctx, in, o...)
}

func (m *meter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	m.calls.Add(1)
	for _, ka := range in.RequestItems {
		m.readUnits.Add(int64(len(ka.Keys)))
	}
	return m.Client.BatchGetItem(ctx, in, o...)
}

func (m *meter) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	m.calls.Add(1)
	for _, it := range in.TransactItems {
		if it.ConditionCheck != nil {
			m.readUnits.Add(2)
		} else {
			m.writeUnits.Add(2)
		}
	}
	return m.Client.TransactWriteItems(ctx, in, o...)
}

func (m *meter) reset() {
	for _, n := range []*atomic.Int64{&m.requests, &m.calls, &m.readUnits, &m.writeUnits} {
		n.Store(0)
	}
}
