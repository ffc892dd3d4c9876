// Package apitest helps test handlers the way API Gateway calls them: REST proxy
// events, a clock the test moves, a sender that records, and a DynamoDB client
// that counts its calls.
package apitest

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/store"
)

// Request is an API Gateway REST proxy event for method and resource, with
// path parameters filled into the path, a JSON body (if body is not nil) and the
// client address ip.
func Request(method, resource string, params map[string]string, body any, ip string) events.APIGatewayProxyRequest {
	path := resource
	for k, v := range params {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	req := events.APIGatewayProxyRequest{
		Resource: resource, Path: path, HTTPMethod: method,
		Headers:        map[string]string{},
		PathParameters: params,
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID: "test-request", ResourcePath: resource, HTTPMethod: method,
			Identity: events.APIGatewayRequestIdentity{SourceIP: ip},
		},
	}
	switch b := body.(type) {
	case nil:
	case string:
		req.Body = b
		req.Headers["Content-Type"] = "application/json"
	default:
		raw, _ := json.Marshal(b)
		req.Body = string(raw)
		req.Headers["Content-Type"] = "application/json"
	}
	return req
}

// Decode unmarshals a response body, failing the test if it is not JSON.
func Decode(t testing.TB, resp events.APIGatewayProxyResponse) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &m); err != nil {
		t.Fatalf("response body %q: %v", resp.Body, err)
	}
	return m
}

// ErrorCode is the contract error code in a response, or "".
func ErrorCode(t testing.TB, resp events.APIGatewayProxyResponse) string {
	t.Helper()
	e, _ := Decode(t, resp)["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// Clock is a time the test sets and moves.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Sleep moves the clock on by d at once: for process.Runtime.Sleep, so that a
// handler that waits is tested in virtual time.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.Advance(d)
	}
	return ctx.Err()
}

// Outbox is a notify.Sender wrapper that records what the real sender accepted.
type Outbox struct {
	mu       sync.Mutex
	Messages []notify.Message
}

// Wrap records every message next accepts: for process.Runtime.WrapSender.
func (o *Outbox) Wrap(next notify.Sender) notify.Sender {
	return notify.SenderFunc(func(ctx context.Context, m notify.Message) error {
		if err := next.Send(ctx, m); err != nil {
			return err
		}
		o.mu.Lock()
		defer o.mu.Unlock()
		o.Messages = append(o.Messages, m)
		return nil
	})
}

// To is the messages sent to address.
func (o *Outbox) To(address string) []notify.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []notify.Message
	for _, m := range o.Messages {
		if m.To == address {
			out = append(out, m)
		}
	}
	return out
}

// Len is the number of messages sent.
func (o *Outbox) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.Messages)
}

// CountingDB counts the DynamoDB calls made through it, by operation.
type CountingDB struct {
	store.Client
	calls sync.Map // operation -> *atomic.Int64
}

func (c *CountingDB) count(op string) {
	v, _ := c.calls.LoadOrStore(op, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// Calls is the number of calls so far, in all and by operation.
func (c *CountingDB) Calls() (int, map[string]int) {
	total, by := 0, map[string]int{}
	c.calls.Range(func(k, v any) bool {
		n := int(v.(*atomic.Int64).Load())
		by[k.(string)], total = n, total+n
		return true
	})
	return total, by
}

// Reset sets every count to zero.
func (c *CountingDB) Reset() { c.calls.Clear() }

func (c *CountingDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c.count("GetItem")
	return c.Client.GetItem(ctx, in, o...)
}

func (c *CountingDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c.count("PutItem")
	return c.Client.PutItem(ctx, in, o...)
}

func (c *CountingDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c.count("UpdateItem")
	return c.Client.UpdateItem(ctx, in, o...)
}

func (c *CountingDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c.count("BatchGetItem")
	return c.Client.BatchGetItem(ctx, in, o...)
}

func (c *CountingDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.count("TransactWriteItems")
	return c.Client.TransactWriteItems(ctx, in, o...)
}

// Handler is what API functions' handlers are.
type Handler interface {
	Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)
}

// Call hands req to h as Lambda would and checks what every response owes the
// contract: no Go error (handlers render errors themselves) and an X-Request-Id.
func Call(t testing.TB, h Handler, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := h.Handle(context.Background(), req)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	if resp.Headers["X-Request-Id"] == "" {
		t.Fatalf("response without X-Request-Id: %+v", resp)
	}
	return resp
}
