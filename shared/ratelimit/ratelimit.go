// Package ratelimit bounds the messages the service sends: per destination (a
// cooldown and a cap over a sliding window), per client IP and per network (IPv4
// /24, IPv6 /56) per hour, and per channel across the whole service per hour.
//
// The state is read in one call and claimed in the caller's DynamoDB transaction,
// with conditions that make every limit hold across any number of concurrent
// handlers: a request that loses a race has its whole transaction cancelled and
// sends nothing.
package ratelimit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/store"
)

// Limits are the bounds; the zero value of a count means "no message at all".
type Limits struct {
	DestCooldown time.Duration
	DestWindow   time.Duration
	DestMax      int
	// Window is the length of the fixed windows of the IP, network and channel counters.
	Window time.Duration
	IPMax  int
	NetMax int
	// Budget is each channel's service-wide send budget per Window.
	Budget map[contact.Channel]int
}

// Names of the limits, as they appear in errors, metrics and transactions.
const (
	Cooldown   = "destination_cooldown"
	DestCap    = "destination_cap"
	ClientIP   = "client_ip"
	ClientNet  = "client_network"
	BudgetName = "channel_budget"
)

// Exceeded says which limit refused a send and when to try again.
type Exceeded struct {
	Limit      string
	RetryAfter time.Duration
}

func (e *Exceeded) Error() string { return fmt.Sprintf("limit %s exceeded", e.Limit) }

// RetryAfterSeconds is RetryAfter rounded up to whole seconds, at least 1.
func (e *Exceeded) RetryAfterSeconds() int {
	s := int((e.RetryAfter + time.Second - 1) / time.Second)
	return max(s, 1)
}

// Subject is who is asking and whom the message would reach.
type Subject struct {
	// DestHash identifies the destination (a keyed hash of contact.Destination.Key).
	DestHash string
	Channel  contact.Channel
	// IPHash and NetHash identify the client address and its network.
	IPHash, NetHash string
}

// Hasher makes the keyed hashes that stand for destinations and addresses in the
// table, so it holds no raw client IP and no destination outside registrations.
type Hasher struct{ Key []byte }

// Hash is the hex HMAC-SHA256 of kind and value.
func (h Hasher) Hash(kind, value string) string {
	m := hmac.New(sha256.New, h.Key)
	m.Write([]byte(kind + "\x00" + value))
	return hex.EncodeToString(m.Sum(nil))[:40]
}

// Subject hashes a destination and a client IP; an unparsable IP counts as one
// address of its own, so it is limited rather than let through.
func (h Hasher) Subject(d contact.Destination, ip string) Subject {
	return Subject{DestHash: h.Hash("dest", d.Key), Channel: d.Channel, IPHash: h.Hash("ip", ip), NetHash: h.Hash("net", Network(ip))}
}

// Network is the /24 of an IPv4 address or the /56 of an IPv6 one.
func Network(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "invalid:" + ip
	}
	a = a.Unmap()
	bits := 56
	if a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return p.String()
}

// State is what the limits know about a subject at one moment.
type State struct {
	destSends   []int64
	destVersion int64
	destExists  bool
	// IPCount, NetCount and ChannelCount are the sends counted in the current window.
	IPCount, NetCount, ChannelCount int
	// Suppressed is true where the destination asked for no more messages or bounced.
	Suppressed bool
}

// Keys are the items State is read from, for one store.GetMany with the caller's own.
func (l Limits) Keys(s Subject, now time.Time) []string {
	w := l.windowStart(now)
	return []string{destKey(s.DestHash), counterKey("ip", s.IPHash, w), counterKey("net", s.NetHash, w),
		counterKey("channel", string(s.Channel), w), store.SuppressionKey(s.DestHash)}
}

// State decodes the items read for Keys.
func (l Limits) State(items store.Items, s Subject, now time.Time) (State, error) {
	var st State
	var d destLog
	ok, err := items.Decode(destKey(s.DestHash), &d)
	if err != nil {
		return st, err
	}
	st.destExists, st.destVersion = ok, d.Version
	cut := now.Add(-l.DestWindow).Unix()
	for _, t := range d.Sends {
		if t > cut {
			st.destSends = append(st.destSends, t)
		}
	}
	w := l.windowStart(now)
	for _, c := range []struct {
		pk  string
		out *int
	}{{counterKey("ip", s.IPHash, w), &st.IPCount}, {counterKey("net", s.NetHash, w), &st.NetCount}, {counterKey("channel", string(s.Channel), w), &st.ChannelCount}} {
		var n counter
		if _, err := items.Decode(c.pk, &n); err != nil {
			return st, err
		}
		*c.out = n.N
	}
	_, st.Suppressed = items[store.SuppressionKey(s.DestHash)]
	return st, nil
}

// CheckClient says whether the client may make another sending request.
func (l Limits) CheckClient(st State, now time.Time) error {
	end := time.Unix(l.windowStart(now), 0).Add(l.Window).Sub(now)
	switch {
	case st.IPCount >= l.IPMax:
		return &Exceeded{Limit: ClientIP, RetryAfter: end}
	case st.NetCount >= l.NetMax:
		return &Exceeded{Limit: ClientNet, RetryAfter: end}
	}
	return nil
}

// CheckSend says whether a message may go to the destination now.
func (l Limits) CheckSend(st State, ch contact.Channel, now time.Time) error {
	if n := len(st.destSends); n > 0 {
		if wait := time.Unix(st.destSends[n-1], 0).Add(l.DestCooldown).Sub(now); wait > 0 {
			return &Exceeded{Limit: Cooldown, RetryAfter: wait}
		}
	}
	if len(st.destSends) >= l.DestMax {
		oldest := slices.Min(st.destSends)
		return &Exceeded{Limit: DestCap, RetryAfter: time.Unix(oldest, 0).Add(l.DestWindow).Sub(now)}
	}
	if st.ChannelCount >= l.Budget[ch] {
		return &Exceeded{Limit: BudgetName, RetryAfter: time.Unix(l.windowStart(now), 0).Add(l.Window).Sub(now)}
	}
	return nil
}

// ClaimClient adds to t the counting of one sending request against the client's
// address and network, each conditional on its limit not being reached.
func (l Limits) ClaimClient(t *store.Tx, s Subject, now time.Time) {
	w := l.windowStart(now)
	ttl := w + int64(l.Window/time.Second) + 60
	l.count(t, ClientIP, counterKey("ip", s.IPHash, w), l.IPMax, ttl)
	l.count(t, ClientNet, counterKey("net", s.NetHash, w), l.NetMax, ttl)
}

// ClaimSend adds to t the recording of one message to the destination, conditional
// on the destination's log being unchanged since st was read (so two requests can
// never both pass its cooldown), on its not being suppressed, and on the channel's
// budget.
func (l Limits) ClaimSend(t *store.Tx, s Subject, st State, now time.Time) error {
	sends := append(slices.Clone(st.destSends), now.Unix())
	item, err := store.Marshal(destKey(s.DestHash), destLog{Sends: sends, Version: st.destVersion + 1, TTL: now.Add(l.DestWindow).Unix()})
	if err != nil {
		return err
	}
	cond := store.Expr{Condition: "attribute_not_exists(pk)"}
	if st.destExists {
		cond = store.Expr{Condition: "ver = :ver", Values: map[string]types.AttributeValue{":ver": &types.AttributeValueMemberN{Value: strconv.FormatInt(st.destVersion, 10)}}}
	}
	t.Put(Cooldown, item, cond)
	t.Check(store.SuppressedName, store.SuppressionKey(s.DestHash), store.Expr{Condition: "attribute_not_exists(pk)"})
	w := l.windowStart(now)
	l.count(t, BudgetName, counterKey("channel", string(s.Channel), w), l.Budget[s.Channel], w+int64(l.Window/time.Second)+60)
	return nil
}

// Explain turns a cancelled claim into the limit that refused it, or returns nil
// where the failed condition was not one of the limits'. A lost race on the
// destination's log means another message just went there: its cooldown applies.
func (l Limits) Explain(failed *store.ConditionFailed, now time.Time) error {
	switch failed.Name {
	case Cooldown:
		return &Exceeded{Limit: Cooldown, RetryAfter: l.DestCooldown}
	case ClientIP, ClientNet, BudgetName:
		end := time.Unix(l.windowStart(now), 0).Add(l.Window).Sub(now)
		return &Exceeded{Limit: failed.Name, RetryAfter: end}
	}
	return nil
}

func (l Limits) count(t *store.Tx, name, pk string, max int, ttl int64) {
	t.Update(name, pk, store.Expr{
		Update:    "ADD n :one SET #ttl = :ttl",
		Condition: "attribute_not_exists(n) OR n < :max",
		Names:     map[string]string{"#ttl": "ttl"},
		Values: map[string]types.AttributeValue{
			":one": &types.AttributeValueMemberN{Value: "1"},
			":ttl": &types.AttributeValueMemberN{Value: strconv.FormatInt(ttl, 10)},
			":max": &types.AttributeValueMemberN{Value: strconv.Itoa(max)},
		},
	})
}

func (l Limits) windowStart(now time.Time) int64 { return now.Truncate(l.Window).Unix() }

type destLog struct {
	Sends   []int64 `dynamodbav:"sends"`
	Version int64   `dynamodbav:"ver"`
	TTL     int64   `dynamodbav:"ttl"`
}

type counter struct {
	N int `dynamodbav:"n"`
}

func destKey(hash string) string { return "dest#" + hash }

func counterKey(scope, id string, window int64) string {
	return "rl#" + scope + "#" + id + "#" + strconv.FormatInt(window, 10)
}
