package attacksim

import (
	"fmt"
	"slices"
	"time"
)

// Scenario is one simulated stretch of traffic: a botnet, honest businesses and,
// for the helpdesk, junk and honest tickets. Every rate is in virtual time.
type Scenario struct {
	Name, About string
	// Duration is how long the attack and honest arrivals last; businesses that
	// arrived keep trying for Honest.Patience after it.
	Duration time.Duration
	// Offset is how far into its clock hour (Start) the scenario begins.
	Offset time.Duration
	Seed   uint64
	// Env is added to every function's environment (limits, budgets).
	Env     map[string]string
	Bots    Botnet
	Honest  Honest
	Tickets Tickets
}

// Botnet asks for codes to numbers it does not own, from many addresses.
type Botnet struct {
	// Addresses client IPv4 addresses spread over Networks /24s.
	Addresses, Networks int
	// Rate is the whole botnet's sending requests a second, at most.
	Rate float64
	// HashRate is each address's proof-of-work speed, hashes a second.
	HashRate float64
	// Prefix, if set, is the number range every target is in (an E.164 number
	// without its last 4 digits): SMS pumping. Otherwise targets are spread over
	// all Malaysian mobile numbers.
	Prefix string
	// OwnSIMs is the share of requests that go to the botnet's own SIMs, whose
	// codes it verifies to earn its addresses allowance.
	OwnSIMs float64
	// OwnInbound, if set, has the botnet prove its own SIMs by message (an SMS
	// from the SIM to the service) rather than by a code sent to them.
	OwnInbound bool
}

// Honest businesses register, receive their code and verify it.
type Honest struct {
	// PerMinute arrivals, at random; or exactly Count spread evenly over Duration.
	PerMinute float64
	Count     int
	// CGNAT is the share behind one shared carrier-grade-NAT IPv4 address.
	CGNAT float64
	// Fast is the share that verifies within 2 minutes; the rest take 2 to 4½.
	Fast float64
	// Typos is the share whose first try has a mistyped number (a stranger's).
	Typos float64
	// HashRate is a phone browser's proof-of-work speed, hashes a second.
	HashRate float64
	// Patience is how long after arriving a business keeps trying.
	Patience time.Duration
}

// Tickets are a junk flood on the helpdesk and honest help requests.
type Tickets struct {
	// JunkAddresses over JunkNetworks /24s file JunkRate tickets a second in all.
	JunkAddresses, JunkNetworks int
	JunkRate                    float64
	// Venues are registered and verified before the flood; their owners file
	// PerMinute honest tickets with their venue token, and a Stranger share of
	// honest tickets come from people with no venue.
	Venues    int
	PerMinute float64
	Stranger  float64
}

// Scenarios are the shipped scenarios, by name, at full size.
var Scenarios = map[string]Scenario{
	"spray": {
		About:    "51 addresses in 17 networks solve every puzzle and spray strangers with codes",
		Duration: time.Hour,
		Bots:     Botnet{Addresses: 51, Networks: 17, Rate: 3.6, HashRate: 2e6},
		Honest:   Honest{PerMinute: 1, CGNAT: 0.1, Fast: 0.9, Typos: 0.02, HashRate: 5e5, Patience: 30 * time.Minute},
	},
	"botnet": {
		About:    "5,000 addresses over 2,000 networks for an hour, 2% of requests to SIMs it verifies",
		Duration: time.Hour,
		Bots:     Botnet{Addresses: 5000, Networks: 2000, Rate: 2, HashRate: 2e6, OwnSIMs: 0.02},
		Honest:   Honest{PerMinute: 2, CGNAT: 0.2, Fast: 0.9, Typos: 0.02, HashRate: 5e5, Patience: 30 * time.Minute},
	},
	"botnet-own-inbound": {
		About:    "the botnet, half its requests proving SIMs it owns by text (which costs it nothing of ours) to buy standing",
		Duration: time.Hour,
		Bots:     Botnet{Addresses: 5000, Networks: 2000, Rate: 2, HashRate: 2e6, OwnSIMs: 0.5, OwnInbound: true},
		Honest:   Honest{PerMinute: 2, CGNAT: 0.2, Fast: 0.9, Typos: 0.02, HashRate: 5e5, Patience: 30 * time.Minute},
	},
	"cgnat": {
		About:    "200 honest businesses behind one carrier-grade-NAT IPv4 address, all verifying",
		Duration: time.Hour,
		Honest:   Honest{Count: 200, CGNAT: 1, Fast: 1, HashRate: 5e5, Patience: 30 * time.Minute},
	},
	"spray-late": {
		About:    "the spray, started 5 minutes before the hour turns, across the budget's window",
		Duration: time.Hour,
		Offset:   55 * time.Minute,
		Bots:     Botnet{Addresses: 51, Networks: 17, Rate: 3.6, HashRate: 2e6},
		Honest:   Honest{PerMinute: 1, CGNAT: 0.1, Fast: 0.9, Typos: 0.02, HashRate: 5e5, Patience: 30 * time.Minute},
	},
	"pumping": {
		About:    "20 addresses pump SMS into one number range (+6012345xxxx) and verify none",
		Duration: time.Hour,
		Bots:     Botnet{Addresses: 20, Networks: 20, Rate: 0.5, HashRate: 2e6, Prefix: "+6012345"},
		Honest:   Honest{PerMinute: 1, CGNAT: 0.1, Fast: 0.9, Typos: 0.02, HashRate: 5e5, Patience: 30 * time.Minute},
	},
	"helpdesk-flood": {
		About:    "60 addresses in 15 networks flood the helpdesk with junk while venue owners ask for help",
		Duration: time.Hour,
		Tickets:  Tickets{JunkAddresses: 60, JunkNetworks: 15, JunkRate: 1, Venues: 40, PerMinute: 1, Stranger: 0.2},
	},
}

// Names are the scenarios in the order they are run and reported.
var Names = []string{"spray", "botnet", "cgnat", "pumping", "helpdesk-flood", "spray-late", "botnet-own-inbound"}

// Named is the scenario called name, at full size or, short, in the few virtual
// minutes of its first phase that CI runs.
func Named(name string, short bool) (Scenario, error) {
	sc, ok := Scenarios[name]
	if !ok {
		return sc, fmt.Errorf("no scenario %q (have %v)", name, Names)
	}
	sc.Name = name
	if sc.Seed == 0 {
		sc.Seed = uint64(1 + slices.Index(Names, name))
	}
	if short {
		sc = sc.shorten()
	}
	return sc, nil
}

// shorten keeps a scenario's attack as it is (its rates, addresses and
// networks, up to a tenth of a big botnet) for its first 10 minutes.
func (sc Scenario) shorten() Scenario {
	sc.Duration = 10 * time.Minute
	if sc.Bots.Addresses > 1000 {
		sc.Bots.Addresses, sc.Bots.Networks, sc.Bots.Rate = sc.Bots.Addresses/10, sc.Bots.Networks/10, sc.Bots.Rate/2
	}
	if sc.Honest.Count > 0 {
		sc.Honest.Count /= 5
	}
	if sc.Tickets.Venues > 0 {
		sc.Tickets.Venues /= 4
		sc.Tickets.PerMinute *= 2
	}
	return sc
}
