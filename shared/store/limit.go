package store

import (
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The items of the limits (shared/plan): counters of requests per window, and
// logs of send times.

// CounterKey is the key of the count of requests by scope and id in the window
// that starts at start (Unix seconds).
func CounterKey(scope, id string, start int64) string {
	return "rl#" + scope + "#" + id + "#" + strconv.FormatInt(start, 10)
}

// LogKey is the key of the log of send times by scope and id.
func LogKey(scope, id string) string { return "log#" + scope + "#" + id }

type counter struct {
	N int `dynamodbav:"n"`
	// Proofs, on a counter of verified codes, counts the contacts proven by a
	// message instead (CreditProof).
	Proofs int `dynamodbav:"proofs"`
}

// Count is the count in a counter item, 0 for none.
func Count(item map[string]types.AttributeValue) (int, error) {
	c, err := decodeCounter(item)
	return c.N, err
}

// Verifications are the counts in a counter item of verified codes: of codes,
// and of proofs by message; 0 for none.
func Verifications(item map[string]types.AttributeValue) (codes, proofs int, err error) {
	c, err := decodeCounter(item)
	return c.N, c.Proofs, err
}

func decodeCounter(item map[string]types.AttributeValue) (counter, error) {
	var c counter
	if item == nil {
		return c, nil
	}
	err := attributevalue.UnmarshalMap(item, &c)
	return c, err
}

// Log is a log of send times, newest first, with the version that every write
// of it increments.
type Log struct {
	At      []int64 `dynamodbav:"at"`
	Version int64   `dynamodbav:"ver"`
	TTL     int64   `dynamodbav:"ttl"`
}

// DecodeLog reads a log item; none is an empty log.
func DecodeLog(item map[string]types.AttributeValue) (Log, error) {
	var l Log
	if item == nil {
		return l, nil
	}
	err := attributevalue.UnmarshalMap(item, &l)
	return l, err
}

// Count adds to t one more count on the counter pk, on the condition that it
// holds fewer than below; the counter expires at ttl.
func (t *Tx) Count(name, pk string, below int, ttl int64) {
	cond, values := countBelow(below)
	values[":one"], values[":ttl"] = num(1), num(ttl)
	t.Update(name, pk, Expr{Update: "ADD n :one SET #ttl = :ttl", Condition: cond, Names: map[string]string{"#ttl": "ttl"}, Values: values})
}

// CheckCount adds to t the condition that the counter pk holds fewer than below,
// without counting.
func (t *Tx) CheckCount(name, pk string, below int) {
	cond, values := countBelow(below)
	t.Check(name, pk, Expr{Condition: cond, Values: values})
}

func countBelow(below int) (string, map[string]types.AttributeValue) {
	cond := "attribute_not_exists(n) OR n < :max"
	if below <= 0 {
		cond = "n < :max" // false where n is missing too: nothing is allowed
	}
	return cond, map[string]types.AttributeValue{":max": num(int64(below))}
}

// LogBound is a condition on one entry of a log: the entry at Index (0 is the
// newest) is missing or no later than Cut.
type LogBound struct {
	Index int
	Cut   int64
}

// boundsHold is the condition that every bound holds, its values added to values.
func boundsHold(bounds []LogBound, values map[string]types.AttributeValue) string {
	var conds []string
	for i, b := range bounds {
		p, c := "#at["+strconv.Itoa(b.Index)+"]", ":cut"+strconv.Itoa(i)
		conds = append(conds, "(attribute_not_exists("+p+") OR "+p+" <= "+c+")")
		values[c] = num(b.Cut)
	}
	return strings.Join(conds, " AND ")
}

// AppendLog adds to t the entry at to the log pk, which expires at ttl. Only the
// newest keep entries matter to its bounds.
//
// Without trim, the entry is prepended on the condition that every bound holds
// and that the log holds no more than 2×keep entries: no read is needed. With
// trim (the log as read, no longer than that), the log is rewritten with its
// newest entries, on the condition that no one wrote it since: the caller
// checked the bounds against trim.
func (t *Tx) AppendLog(name, pk string, trim *Log, at int64, keep int, bounds []LogBound, ttl int64) error {
	if trim == nil {
		values := map[string]types.AttributeValue{
			":e": &types.AttributeValueMemberL{Value: []types.AttributeValue{num(at)}}, ":empty": &types.AttributeValueMemberL{},
			":zero": num(0), ":one": num(1), ":ttl": num(ttl),
		}
		t.Update(name, pk, Expr{
			Update:    "SET #at = list_append(:e, if_not_exists(#at, :empty)), ver = if_not_exists(ver, :zero) + :one, #ttl = :ttl",
			Condition: boundsHold(bounds, values) + " AND attribute_not_exists(#at[" + strconv.Itoa(2*keep) + "])",
			Names:     map[string]string{"#at": "at", "#ttl": "ttl"},
			Values:    values,
		})
		return nil
	}
	entries := append([]int64{at}, trim.At[:min(len(trim.At), max(keep-1, 0))]...)
	item, err := Marshal(pk, Log{At: entries, Version: trim.Version + 1, TTL: ttl})
	if err != nil {
		return err
	}
	t.Put(name, item, Expr{Condition: "ver = :ver", Values: map[string]types.AttributeValue{":ver": num(trim.Version)}})
	return nil
}

// BlockKey is the key of the block of the identity id by scope.
func BlockKey(scope, id string) string { return "blk#" + scope + "#" + id }

// Blocked is when the block in item ends, and whether it is still on at now.
func Blocked(item map[string]types.AttributeValue, now time.Time) (time.Time, bool) {
	var b struct {
		TTL int64 `dynamodbav:"ttl"`
	}
	if item == nil || attributevalue.UnmarshalMap(item, &b) != nil || b.TTL <= now.Unix() {
		return time.Time{}, false
	}
	return time.Unix(b.TTL, 0), true
}

// PutBlock adds to t a block at pk that lasts until until.
func (t *Tx) PutBlock(name, pk string, until time.Time) error {
	item, err := Marshal(pk, struct {
		TTL int64 `dynamodbav:"ttl"`
	}{until.Unix()})
	if err != nil {
		return err
	}
	t.Put(name, item, Expr{})
	return nil
}

// Credit adds to t one more count on the counter pk, unconditionally (a verified
// code is always counted); the counter expires at ttl.
func (t *Tx) Credit(pk string, ttl int64) { t.credit(pk, "n", ttl) }

// CreditProof adds to t one more proof by message on the counter of verified
// codes pk, unconditionally; the counter expires at ttl.
func (t *Tx) CreditProof(pk string, ttl int64) { t.credit(pk, "proofs", ttl) }

func (t *Tx) credit(pk, attr string, ttl int64) {
	t.Update("credit", pk, Expr{
		Update: "ADD #n :one SET #ttl = :ttl",
		Names:  map[string]string{"#n": attr, "#ttl": "ttl"},
		Values: map[string]types.AttributeValue{":one": num(1), ":ttl": num(ttl)},
	})
}

// Refund adds to t one count less on the counter pk, unconditionally, keeping
// it to ttl (a refund never fails the transaction it rides in).
func (t *Tx) Refund(pk string, ttl int64) {
	t.Update("refund", pk, Expr{
		Update: "ADD n :less SET #ttl = if_not_exists(#ttl, :ttl)",
		Names:  map[string]string{"#ttl": "ttl"},
		Values: map[string]types.AttributeValue{":less": num(-1), ":ttl": num(ttl)},
	})
}

// CheckLog adds to t the condition that every bound of the log pk holds, without
// writing it.
func (t *Tx) CheckLog(name, pk string, bounds []LogBound) {
	values := map[string]types.AttributeValue{}
	t.Check(name, pk, Expr{Condition: boundsHold(bounds, values), Names: map[string]string{"#at": "at"}, Values: values})
}
