// Package store keeps the service's state in one DynamoDB table: registrations,
// venues, limit counters, challenge replays, the protection mode, suppressions,
// audit records and tickets. Every item has a string key "pk"; expiring items carry
// "ttl" (Unix seconds), and since DynamoDB deletes expired items only lazily, every
// read here checks it.
package store

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkin-registry/registry/shared/config"
)

// Client is the part of the DynamoDB API the store uses.
type Client interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	// Query serves only the retention pass, on DueIndex: no request path and no
	// pass scans the table.
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

var _ Client = (*dynamodb.Client)(nil)

// ErrNotFound is returned for an item that does not exist or has expired.
var ErrNotFound = errors.New("not found")

// Store is the table.
type Store struct {
	db    Client
	table string
}

// New is a store over table.
func New(db Client, table string) *Store { return &Store{db: db, table: table} }

// FromEnv is a store over the table TABLE_NAME names; an unset one is added to
// env's errors.
func FromEnv(env *config.Env, db Client) *Store { return New(db, env.Required("TABLE_NAME")) }

// Table is the table's name.
func (s *Store) Table() string { return s.table }

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}
}

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// live says whether an item with this ttl attribute is still live at now.
func live(item map[string]types.AttributeValue, now time.Time) bool {
	v, ok := item["ttl"].(*types.AttributeValueMemberN)
	if !ok {
		return true
	}
	t, err := strconv.ParseInt(v.Value, 10, 64)
	return err != nil || t > now.Unix()
}

// get reads one live item into out, strongly consistent.
func (s *Store) get(ctx context.Context, pk string, now time.Time, out any) error {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(pk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("get %s: %w", kind(pk), err)
	}
	if res.Item == nil || !live(res.Item, now) {
		return ErrNotFound
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return fmt.Errorf("decode %s: %w", kind(pk), err)
	}
	return nil
}

// kind is the key's prefix, safe to log: keys may hold hashed identifiers.
func kind(pk string) string {
	if i := strings.IndexByte(pk, '#'); i > 0 {
		return pk[:i]
	}
	return pk
}

// Tx is a set of writes that succeed or fail together. Each write is named so that
// a cancelled transaction reports which condition failed.
type Tx struct {
	table string
	items []types.TransactWriteItem
	names []string
}

// Tx starts an empty transaction on the table.
func (s *Store) Tx() *Tx { return &Tx{table: s.table} }

// Len is the number of writes in the transaction.
func (t *Tx) Len() int { return len(t.items) }

// Expr is a condition or update expression with its placeholders.
type Expr struct {
	Update    string
	Condition string
	Names     map[string]string
	Values    map[string]types.AttributeValue
}

func (e Expr) names() map[string]string {
	if len(e.Names) == 0 {
		return nil
	}
	return e.Names
}

func (e Expr) values() map[string]types.AttributeValue {
	if len(e.Values) == 0 {
		return nil
	}
	return e.Values
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Check adds a condition on an item that is not written.
func (t *Tx) Check(name, pk string, e Expr) {
	t.add(name, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &t.table, Key: key(pk), ConditionExpression: &e.Condition,
		ExpressionAttributeNames: e.names(), ExpressionAttributeValues: e.values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}})
}

// Put adds a whole-item write; item must hold "pk".
func (t *Tx) Put(name string, item map[string]types.AttributeValue, e Expr) {
	t.add(name, types.TransactWriteItem{Put: &types.Put{
		TableName: &t.table, Item: item, ConditionExpression: optional(e.Condition),
		ExpressionAttributeNames: e.names(), ExpressionAttributeValues: e.values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}})
}

// Update adds an update of one item.
func (t *Tx) Update(name, pk string, e Expr) {
	t.add(name, types.TransactWriteItem{Update: &types.Update{
		TableName: &t.table, Key: key(pk), UpdateExpression: &e.Update, ConditionExpression: optional(e.Condition),
		ExpressionAttributeNames: e.names(), ExpressionAttributeValues: e.values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}})
}

// Delete adds the deletion of one item, under e's condition.
func (t *Tx) Delete(name, pk string, e Expr) {
	t.add(name, types.TransactWriteItem{Delete: &types.Delete{
		TableName: &t.table, Key: key(pk), ConditionExpression: optional(e.Condition),
		ExpressionAttributeNames: e.names(), ExpressionAttributeValues: e.values(),
	}})
}

func (t *Tx) add(name string, item types.TransactWriteItem) {
	t.items = append(t.items, item)
	t.names = append(t.names, name)
}

// ConditionFailed is a transaction cancelled because the named write's condition
// did not hold (or because another transaction on the same item ran at once).
type ConditionFailed struct {
	Name string
	// Conflict is true where DynamoDB cancelled for a concurrent transaction
	// rather than a false condition.
	Conflict bool
	// Item is the named item as the failed condition found it (nil for none):
	// what explains the refusal without another read.
	Item map[string]types.AttributeValue
}

func (e *ConditionFailed) Error() string { return "condition failed: " + e.Name }

// ErrBusy means DynamoDB kept cancelling a transaction only because concurrent
// transactions touched its items (a busy counter): no condition refused it, so it
// is a passing overload, never a limit.
var ErrBusy = errors.New("transaction conflicts persisted")

// commitTries is how often Commit runs a transaction that only conflicts.
const commitTries = 4

// Commit runs the transaction, again (after a short jittered wait) where DynamoDB
// cancelled it only for concurrent transactions on its items; a false condition
// is answered at once as *ConditionFailed. A client request token makes the SDK's
// own retries of one attempt idempotent.
func (s *Store) Commit(ctx context.Context, t *Tx) error {
	if len(t.items) == 0 {
		return nil
	}
	for try := 1; ; try++ {
		err := s.commitOnce(ctx, t)
		var failed *ConditionFailed
		if !errors.As(err, &failed) || !failed.Conflict {
			return err
		}
		if try == commitTries {
			return fmt.Errorf("transact %s: %w", strings.Join(t.names, ","), ErrBusy)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(try*(10+rand.IntN(30))) * time.Millisecond):
		}
	}
}

func (s *Store) commitOnce(ctx context.Context, t *Tx) error {
	var token [16]byte
	crand.Read(token[:])
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: t.items, ClientRequestToken: aws.String(hex.EncodeToString(token[:])),
	})
	var cancelled *types.TransactionCanceledException
	if errors.As(err, &cancelled) {
		conflict := ""
		for i, r := range cancelled.CancellationReasons {
			switch c := aws.ToString(r.Code); {
			case i >= len(t.names):
			case c == "ConditionalCheckFailed":
				return &ConditionFailed{Name: t.names[i], Item: r.Item}
			case c == "TransactionConflict" && conflict == "":
				conflict = t.names[i]
			}
		}
		if conflict != "" {
			return &ConditionFailed{Name: conflict, Conflict: true}
		}
	}
	if err != nil {
		return fmt.Errorf("transact %s: %w", strings.Join(t.names, ","), err)
	}
	return nil
}

// Marshal turns a record into an item, panicking never: records are plain structs.
func Marshal(pk string, v any) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", kind(pk), err)
	}
	item["pk"] = str(pk)
	return item, nil
}

func isConditionFailed(err error) bool {
	var c *types.ConditionalCheckFailedException
	return errors.As(err, &c)
}
