// Package plan applies limits that are declared as data. Each Limit names what it
// counts (a kind of identity), the items that count it (a scope), its arithmetic
// (shared/ratelimit) and its answer. One engine walks the list the same way for
// the one batch read (Keys), the checks before a transaction (Check), the claims
// in it (Claim) and the explanation of a cancelled one (Explain), so adding a
// limit adds one entry.
//
// Limits on one item claim it once: the counters of one scope and window share a
// counter and claim it under the tightest allowance; the bounds of one log scope
// share the log and claim it under all their conditions.
package plan

import (
	"errors"
	"fmt"
	"time"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/ratelimit"
)

// Side says which requests a limit counts.
type Side int

const (
	// EveryRequest limits count every request that passes them, even one that a
	// Sent limit then refuses: probing costs the prober.
	EveryRequest Side = iota
	// Sent limits count only the requests that go through (a message sent).
	Sent
)

// Answer is what a refusal by a limit says to the client.
type Answer struct {
	// Status is 429 (rate_limited), 503 (temporarily_unavailable) or 428
	// (challenge_required: a solved challenge lifts the limit, see Reading.Waive).
	Status  int
	Message string
	// Metric, if set, is counted for each refusal besides the plan's own.
	Metric string
}

// Limit is one bound, declared once.
type Limit struct {
	// Name is the limit's name in errors, metrics, audit records and transactions.
	Name string
	// Of is what the limit counts per: a destination, a client, the service...
	Of identity.Kind
	// Channel, if set, is the one channel the limit applies to.
	Channel contact.Channel
	// Scope names the limit's items; limits that share a scope and Of share them.
	Scope string
	Side  Side
	// Rule is the arithmetic: ratelimit.Sliding (a counter that slides over two
	// windows), ratelimit.Fixed (a counter per clock window) or ratelimit.Bound
	// (a bound on a log of send times).
	Rule   any
	Answer Answer
	// Open limits apply only to requests whose client and network have no
	// verified code in their Earned limits' window: the share of a budget that
	// strangers may use (see Reading.Verified).
	Open bool
	// Block, if set, is how long a refusal by the limit's rule blocks its
	// identity outright (Reading.BlockOn writes the block; reads see it).
	Block time.Duration
	// Shards, if more than 1, spreads the limit's identity over that many items,
	// each holding the Rule's count: a request counts on the one its destination
	// hashes to. A service-wide counter that every send updates in its
	// transaction is a hot item; N of them conflict N times less.
	Shards int
}

// Plan is a list of limits and the metric that counts their refusals.
type Plan struct {
	// Metric is counted once per refusal, with the dimension Limit. A 428 answer is
	// counted as metrics.ChallengeRequired instead.
	Metric string
	Limits []Limit
}

// Validate checks the declarations: a known rule, a scope, and one kind of rule
// (and one window, for counters) per scope.
func (p Plan) Validate() error {
	seen := map[string]Limit{}
	var errs []error
	for _, l := range p.Limits {
		switch r := l.Rule.(type) {
		case ratelimit.Sliding:
			if r.Window < time.Second {
				errs = append(errs, fmt.Errorf("limit %s: window %s too short", l.Name, r.Window))
			}
		case ratelimit.Fixed:
			if r.Window < time.Second {
				errs = append(errs, fmt.Errorf("limit %s: window %s too short", l.Name, r.Window))
			}
		case ratelimit.Earned:
			if r.Window < time.Second || r.Ceiling < 1 {
				errs = append(errs, fmt.Errorf("limit %s: an earned allowance needs a window and a ceiling", l.Name))
			}
		case ratelimit.Bound:
			if r.N < 1 || r.Window < time.Second {
				errs = append(errs, fmt.Errorf("limit %s: a log bound needs at least 1 entry and a window", l.Name))
			}
		default:
			errs = append(errs, fmt.Errorf("limit %s: unknown rule %T", l.Name, l.Rule))
		}
		if l.Scope == "" || l.Name == "" {
			errs = append(errs, fmt.Errorf("limit %q: a name and a scope are needed", l.Name))
		}
		if o, ok := seen[l.Scope]; ok && (o.Of != l.Of || o.Side != l.Side || o.Shards != l.Shards || !sameItems(o.Rule, l.Rule)) {
			errs = append(errs, fmt.Errorf("limits %s and %s share scope %q but not their items", o.Name, l.Name, l.Scope))
		}
		seen[l.Scope] = l
	}
	return errors.Join(errs...)
}

// sameItems says whether two rules can share one scope's items. An earned
// allowance counts requests in the same counters as a sliding limit.
func sameItems(a, b any) bool {
	if e, ok := a.(ratelimit.Earned); ok {
		a = e.Sliding()
	}
	if e, ok := b.(ratelimit.Earned); ok {
		b = e.Sliding()
	}
	switch a := a.(type) {
	case ratelimit.Sliding:
		b, ok := b.(ratelimit.Sliding)
		return ok && a.Window == b.Window
	case ratelimit.Fixed:
		b, ok := b.(ratelimit.Fixed)
		return ok && a.Window == b.Window
	case ratelimit.Bound:
		_, ok := b.(ratelimit.Bound)
		return ok
	}
	return false
}

// Refusal is a request refused by a limit.
type Refusal struct {
	Limit *Limit
	ratelimit.Exceeded
	// Blocked is set where a block the limit wrote before refused the request.
	Blocked bool
}

// Refused counts r in rec and answers the contract's error for it.
func (p Plan) Refused(r *Refusal, rec *metrics.Recorder) error {
	a := r.Limit.Answer
	if a.Status == 428 {
		rec.Count(metrics.ChallengeRequired, 1)
	} else {
		rec.Count(p.Metric, 1, "Limit", r.Limit.Name)
	}
	if a.Metric != "" {
		rec.Count(a.Metric, 1)
	}
	switch a.Status {
	case 428:
		return &api.Error{Code: api.CodeChallengeRequired, Message: a.Message}
	case 503:
		e := api.Unavailable(r.RetryAfterSeconds(), nil)
		e.Message = a.Message
		return e
	}
	return api.RateLimited(a.Message, r.RetryAfterSeconds())
}
