package register

import (
	"time"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/conversion"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/plan"
	"github.com/checkin-registry/registry/shared/ratelimit"
)

// Names of the limits on sending a code, as they appear in errors, metrics,
// audit records and transactions.
const (
	LimitClientIP    = conversion.ClientIP
	LimitClientNet   = conversion.ClientNet
	LimitProofOfWork = "proof_of_work"
	LimitCooldown    = "destination_cooldown"
	LimitDestCap     = "destination_cap"
	LimitDomainHour  = "domain_hourly"
	LimitDomainDay   = "domain_daily"
	LimitBudget      = "channel_budget"
	LimitOpenBudget  = "channel_open_budget"
	LimitOpenPoW     = "channel_open_proof_of_work"
	LimitPrefix      = conversion.Prefix
)

var (
	paused     = plan.Answer{Status: 503, Message: "Sending is paused for now because of high demand. Please try again later.", Metric: metrics.BudgetExhausted}
	cooldown   = plan.Answer{Status: 429, Message: "A code was sent to this destination moments ago. Please wait before asking again."}
	destFull   = plan.Answer{Status: 429, Message: "This destination has had as many codes as allowed for now."}
	domainFull = plan.Answer{Status: 429, Message: "Addresses at this domain have had as many codes as allowed for now."}
	solveFirst = plan.Answer{Status: 428, Message: "Please solve the challenge from GET /v1/challenge and send it as altcha."}
	openSpent  = plan.Answer{Status: 503, Message: "Sending to new clients is paused for now because of high demand. Please try again later.", Metric: metrics.BudgetExhausted}
)

// LimitsFromEnv declares every limit on sending a code, each once, with the
// contract's defaults. The client's limits count every sending request, the
// destination's and the channel's only the codes that go out. The soft threshold
// shares the client's counter: past it, a client without a solved challenge is
// refused with 428, and the count is claimed in the same transaction, so no
// number of simultaneous requests gets past it.
//
// The client's and network's allowances are earned: each verified code (which
// verify credits in its own transaction) raises them, each code never verified
// lowers them, between a floor and a ceiling. The channel budget slides and has
// an open share: clients and networks without verified codes (strangers, and
// every bomber) draw on it alone, and past two thirds of it must solve a
// challenge. The open share counts its previous window whole
// (ratelimit.Sliding.Whole): no hour, however an attacker times its requests
// against the windows, sends strangers more than SMS_OPEN_BUDGET. A number range that takes many codes and verifies almost none is
// blocked for PREFIX_BLOCK.
func LimitsFromEnv(env *config.Env) plan.Plan {
	window := env.Duration("CLIENT_WINDOW", time.Hour, time.Minute)
	destWindow := env.Duration("DEST_WINDOW", 24*time.Hour, time.Minute)
	client, network, prefix := conversion.Allowances(env)
	smsOpen, emailOpen := env.Int("SMS_OPEN_BUDGET", 60, 0), env.Int("EMAIL_OPEN_BUDGET", 400, 0)
	smsBudget, emailBudget := env.Int("SMS_HOURLY_BUDGET", 500, 0), env.Int("EMAIL_HOURLY_BUDGET", 2000, 0)
	// Every code sent updates its channel's budget counters: spread them over up
	// to BUDGET_SHARDS items each (README, Scaling), none holding fewer than 15.
	shards := min(env.Int("BUDGET_SHARDS", 4, 1), max(1, min(smsBudget, emailBudget, smsOpen, emailOpen)/15))
	return plan.Plan{Metric: metrics.SendBlocked, Limits: []plan.Limit{
		client, network,
		{Name: LimitProofOfWork, Of: identity.Client, Scope: "ip", Side: plan.EveryRequest,
			Rule:   ratelimit.Sliding{Max: env.Int("POW_SOFT_THRESHOLD", 3, 0), Window: window},
			Answer: solveFirst},
		{Name: LimitCooldown, Of: identity.Destination, Scope: "dest", Side: plan.Sent,
			Rule:   ratelimit.Bound{N: 1, Window: env.Duration("DEST_COOLDOWN", 60*time.Second, time.Second)},
			Answer: cooldown},
		{Name: LimitDestCap, Of: identity.Destination, Scope: "dest", Side: plan.Sent,
			Rule:   ratelimit.Bound{N: env.Int("DEST_MAX_SENDS", 3, 1), Window: destWindow},
			Answer: destFull},
		// A catch-all domain delivers any local part to one inbox, so every domain
		// but the big providers' (whose mailboxes fold) has limits of its own.
		{Name: LimitDomainHour, Of: identity.Domain, Scope: "domain", Side: plan.Sent,
			Rule:   ratelimit.Bound{N: env.Int("DOMAIN_HOURLY_MAX", 10, 1), Window: time.Hour},
			Answer: domainFull},
		{Name: LimitDomainDay, Of: identity.Domain, Scope: "domain", Side: plan.Sent,
			Rule:   ratelimit.Bound{N: env.Int("DOMAIN_DAILY_MAX", 30, 1), Window: 24 * time.Hour},
			Answer: domainFull},
		prefix,
		{Name: LimitBudget, Of: identity.Channel, Channel: contact.SMS, Scope: "channel", Side: plan.Sent, Shards: shards,
			Rule: ratelimit.Sliding{Max: smsBudget / shards, Window: window}, Answer: paused},
		{Name: LimitBudget, Of: identity.Channel, Channel: contact.Email, Scope: "channel", Side: plan.Sent, Shards: shards,
			Rule: ratelimit.Sliding{Max: emailBudget / shards, Window: window}, Answer: paused},
		{Name: LimitOpenBudget, Of: identity.Channel, Channel: contact.SMS, Scope: "channel-open", Side: plan.Sent, Open: true,
			Shards: shards, Rule: ratelimit.Sliding{Max: smsOpen / shards, Window: window, Whole: true}, Answer: openSpent},
		{Name: LimitOpenPoW, Of: identity.Channel, Channel: contact.SMS, Scope: "channel-open", Side: plan.Sent, Open: true,
			Shards: shards, Rule: ratelimit.Sliding{Max: smsOpen * 2 / 3 / shards, Window: window, Whole: true}, Answer: solveFirst},
		{Name: LimitOpenBudget, Of: identity.Channel, Channel: contact.Email, Scope: "channel-open", Side: plan.Sent, Open: true,
			Shards: shards, Rule: ratelimit.Sliding{Max: emailOpen / shards, Window: window, Whole: true}, Answer: openSpent},
		{Name: LimitOpenPoW, Of: identity.Channel, Channel: contact.Email, Scope: "channel-open", Side: plan.Sent, Open: true,
			Shards: shards, Rule: ratelimit.Sliding{Max: emailOpen * 2 / 3 / shards, Window: window, Whole: true}, Answer: solveFirst},
	}}
}
