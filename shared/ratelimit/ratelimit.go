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
	"github.com/checkin-registry/registry/shared/secret"
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
	return Subject{DestHash: h.Hash("dest", d.Key), Channel: d.Channel, IPHash: h.Hash("ip", Client(ip)), NetHash: h.Hash("net", Network(ip))}
}

// Client is what counts as one client: an IPv4 address, or the /64 of an IPv6
// one (a single subscriber's LAN; its host part is the client's to choose), in
// canonical form whatever the spelling. An unparsable string is itself.
func Client(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "invalid:" + ip
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
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
	// IPCount, NetCount and ChannelCount are the requests counted in the current
	// fixed window; prevIP and prevNet those of the window before it.
	IPCount, NetCount, ChannelCount int
	prevIP, prevNet                 int
	// Suppressed is true where the destination asked for no more messages or bounced.
	Suppressed bool
}

// Keys are the items State is read from, for one store.GetMany with the caller's own.
func (l Limits) Keys(s Subject, now time.Time) []string {
	w, prev := l.windowStart(now), l.windowStart(now)-int64(l.Window/time.Second)
	return []string{destKey(s.DestHash), counterKey("ip", s.IPHash, w), counterKey("net", s.NetHash, w),
		counterKey("ip", s.IPHash, prev), counterKey("net", s.NetHash, prev),
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
	w, prev := l.windowStart(now), l.windowStart(now)-int64(l.Window/time.Second)
	for _, c := range []struct {
		pk  string
		out *int
	}{
		{counterKey("ip", s.IPHash, w), &st.IPCount}, {counterKey("net", s.NetHash, w), &st.NetCount},
		{counterKey("ip", s.IPHash, prev), &st.prevIP}, {counterKey("net", s.NetHash, prev), &st.prevNet},
		{counterKey("channel", string(s.Channel), w), &st.ChannelCount},
	} {
		var n counter
		if _, err := items.Decode(c.pk, &n); err != nil {
			return st, err
		}
		*c.out = n.N
	}
	_, st.Suppressed = items[store.SuppressionKey(s.DestHash)]
	return st, nil
}

// allowance and wait are the client limits' sliding arithmetic (see slide).
func (l Limits) allowance(max, prev int, now time.Time) int {
	return slide(l.Window).allowance(max, prev, now)
}

func (l Limits) wait(max, cur, prev int, now time.Time) time.Duration {
	return slide(l.Window).wait(max, cur, prev, now)
}

// IPRequests is the client address's sliding count of sending requests.
func (l Limits) IPRequests(st State, now time.Time) int {
	return l.IPMax - l.allowance(l.IPMax, st.prevIP, now) + st.IPCount
}

// CheckClient says whether the client may make another sending request.
func (l Limits) CheckClient(st State, now time.Time) error {
	switch {
	case st.IPCount >= l.allowance(l.IPMax, st.prevIP, now):
		return &Exceeded{Limit: ClientIP, RetryAfter: l.wait(l.IPMax, st.IPCount, st.prevIP, now)}
	case st.NetCount >= l.allowance(l.NetMax, st.prevNet, now):
		return &Exceeded{Limit: ClientNet, RetryAfter: l.wait(l.NetMax, st.NetCount, st.prevNet, now)}
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
// address and network, each conditional on its sliding limit not being reached.
// The counters outlive their window by one more, in which they are "previous".
func (l Limits) ClaimClient(t *store.Tx, s Subject, st State, now time.Time) {
	w := l.windowStart(now)
	ttl := w + 2*int64(l.Window/time.Second) + 60
	l.count(t, ClientIP, counterKey("ip", s.IPHash, w), l.allowance(l.IPMax, st.prevIP, now), ttl)
	l.count(t, ClientNet, counterKey("net", s.NetHash, w), l.allowance(l.NetMax, st.prevNet, now), ttl)
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
	// A log that expired may still be in the table (TTL deletion is lazy): it counts
	// as absent, as State read it.
	cond := store.Expr{Condition: "attribute_not_exists(pk) OR #ttl <= :now", Names: map[string]string{"#ttl": "ttl"},
		Values: map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)}}}
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
func (l Limits) Explain(failed *store.ConditionFailed, st State, now time.Time) error {
	switch failed.Name {
	case Cooldown:
		return &Exceeded{Limit: Cooldown, RetryAfter: l.DestCooldown}
	case ClientIP: // others took the rest of the allowance first
		return &Exceeded{Limit: ClientIP, RetryAfter: l.wait(l.IPMax, l.allowance(l.IPMax, st.prevIP, now), st.prevIP, now)}
	case ClientNet:
		return &Exceeded{Limit: ClientNet, RetryAfter: l.wait(l.NetMax, l.allowance(l.NetMax, st.prevNet, now), st.prevNet, now)}
	case BudgetName:
		return &Exceeded{Limit: BudgetName, RetryAfter: time.Unix(l.windowStart(now), 0).Add(l.Window).Sub(now)}
	}
	return nil
}

func (l Limits) count(t *store.Tx, name, pk string, max int, ttl int64) {
	cond := "attribute_not_exists(n) OR n < :max"
	if max <= 0 {
		cond = "n < :max" // false where n is missing too: nothing is allowed
	}
	t.Update(name, pk, store.Expr{
		Update:    "ADD n :one SET #ttl = :ttl",
		Condition: cond,
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

// NewHasher is the service's one hasher: every function that hashes a destination
// or an address must use this key, or suppressions, proven contacts and limits
// would silently stop matching between functions.
func NewHasher(keys secret.Keys) Hasher { return Hasher{Key: keys.Derive("hash")} }
