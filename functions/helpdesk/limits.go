package helpdesk

import (
	"time"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/plan"
	"github.com/checkin-registry/registry/shared/ratelimit"
)

// Names of the helpdesk's limits, in errors, metrics and transactions.
const (
	LimitIP      = "helpdesk_client_ip"
	LimitNetwork = "helpdesk_client_network"
	LimitContact = "helpdesk_contact"
	LimitGlobal  = "helpdesk_global"
)

// LimitsFromEnv declares the helpdesk's limits, with the contract's defaults.
// Their scopes are the helpdesk's own, so they never share an item with the
// register function's; the service-wide one is a pause (503), the others the
// client's (429). The service-wide one is strangers' alone: a ticket with a
// valid token for the venue it names is never counted against it, and like the
// SMS budget's open share it counts its previous window whole, so no hour takes
// more than HELPDESK_GLOBAL_MAX strangers' tickets however they are timed.
func LimitsFromEnv(env *config.Env) plan.Plan {
	window := env.Duration("HELPDESK_WINDOW", time.Hour, time.Minute)
	tooMany := plan.Answer{Status: 429, Message: "Too many help requests from your network. Please try again later."}
	return plan.Plan{Metric: MetricTicketRefused, Limits: []plan.Limit{
		{Name: LimitIP, Of: identity.Client, Scope: "helpdesk-ip", Side: plan.EveryRequest,
			Rule: ratelimit.Sliding{Max: env.Int("HELPDESK_IP_MAX", 5, 1), Window: window}, Answer: tooMany},
		{Name: LimitNetwork, Of: identity.Network, Scope: "helpdesk-net", Side: plan.EveryRequest,
			Rule: ratelimit.Sliding{Max: env.Int("HELPDESK_NETWORK_MAX", 20, 1), Window: window}, Answer: tooMany},
		{Name: LimitContact, Of: identity.Destination, Scope: "helpdesk-contact", Side: plan.EveryRequest,
			Rule: ratelimit.Sliding{Max: env.Int("HELPDESK_CONTACT_MAX", 3, 1),
				Window: env.Duration("HELPDESK_CONTACT_WINDOW", 24*time.Hour, time.Minute)},
			Answer: plan.Answer{Status: 429, Message: "This contact has opened as many help requests as allowed for now."}},
		{Name: LimitGlobal, Of: identity.Service, Scope: "helpdesk-global", Side: plan.EveryRequest, Open: true,
			Rule:   ratelimit.Sliding{Max: env.Int("HELPDESK_GLOBAL_MAX", 300, 1), Window: window, Whole: true},
			Answer: plan.Answer{Status: 503, Message: "The helpdesk is taking no more requests for now because of high demand. Please try again later."}},
	}}
}
