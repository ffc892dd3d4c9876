// Package conversion declares the allowances that verified codes earn: the send
// plan's limits on a client, its network and a number range, whose counters of
// verified codes the verify function credits in the transaction that completes
// a registration. Register and verify both take them from here, so the credits
// land on the counters the limits read.
package conversion

import (
	"time"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/plan"
	"github.com/checkin-registry/registry/shared/ratelimit"
)

// Names of the limits, as they appear in errors, metrics and transactions.
const (
	ClientIP  = "client_ip"
	ClientNet = "client_network"
	Prefix    = "destination_prefix"
)

var tooMany = plan.Answer{Status: 429, Message: "Too many requests from your network. Please try again later."}

// Allowances are the earned limits with the contract's defaults: the client's
// and network's (of every sending request, over CLIENT_WINDOW), and the number
// range's (of codes sent, over PREFIX_WINDOW; a range that takes
// PREFIX_MAX_UNVERIFIED codes no one verifies is blocked for PREFIX_BLOCK).
func Allowances(env *config.Env) (client, network, prefix plan.Limit) {
	window := env.Duration("CLIENT_WINDOW", time.Hour, time.Minute)
	ipMax, netMax := env.Int("IP_MAX_REQUESTS", 10, 1), env.Int("NETWORK_MAX_REQUESTS", 30, 1)
	earn, shrink := env.Int("VERIFIED_EARNS", 3, 0), env.Int("UNVERIFIED_SHRINKS", 1, 0)
	client = plan.Limit{Name: ClientIP, Of: identity.Client, Scope: "ip", Side: plan.EveryRequest,
		Rule: ratelimit.Earned{Base: ipMax, Earn: earn, Shrink: shrink, Floor: min(3, ipMax),
			Ceiling: env.Int("IP_MAX_EARNED", 100*ipMax, 1), Window: window},
		Answer: tooMany}
	network = plan.Limit{Name: ClientNet, Of: identity.Network, Scope: "net", Side: plan.EveryRequest,
		Rule: ratelimit.Earned{Base: netMax, Earn: earn, Shrink: shrink, Floor: min(5, netMax),
			Ceiling: env.Int("NETWORK_MAX_EARNED", 100*netMax, 1), Window: window},
		Answer: tooMany}
	prefix = plan.Limit{Name: Prefix, Of: identity.Prefix, Scope: "prefix", Side: plan.Sent,
		Rule: ratelimit.Earned{Base: env.Int("PREFIX_MAX_UNVERIFIED", 20, 1) * 2, Earn: 5, Shrink: 1, Floor: 0,
			Ceiling: 1 << 20, Window: env.Duration("PREFIX_WINDOW", 24*time.Hour, time.Hour)},
		Answer: plan.Answer{Status: 429, Message: "Codes to this number range are paused for now."},
		Block:  env.Duration("PREFIX_BLOCK", 12*time.Hour, time.Minute)}
	return client, network, prefix
}

// Credits is the plan whose Credit a verify adds to its transaction.
func Credits(env *config.Env) plan.Plan {
	client, network, prefix := Allowances(env)
	return plan.Plan{Limits: []plan.Limit{client, network, prefix}}
}
