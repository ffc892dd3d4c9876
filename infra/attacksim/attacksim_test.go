package attacksim_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"image/png"
	"os"
	"strings"
	"testing"

	"github.com/checkin-registry/registry/infra/attacksim"
	"github.com/checkin-registry/registry/infra/moto/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

// bounds are what each scenario's short version must stay within: the limits'
// promises (README, The attack simulator).
var bounds = map[string]func(t *testing.T, r attacksim.Result){
	// The hour's bound of 60 unsolicited SMS holds in the 10-minute version as
	// it is, unscaled: the spray spends the open share in its first minutes, and
	// nothing of it comes back within the hour (a full hour: README).
	"spray": func(t *testing.T, r attacksim.Result) {
		atMost(t, "unsolicited SMS (the open share)", r.Unsolicited, 60)
		atMost(t, "codes to the most-bombed victim", r.MostBombed, 3)
	},
	// Across the turn of the budget's window, the same.
	"spray-late": func(t *testing.T, r attacksim.Result) {
		atMost(t, "unsolicited SMS (the open share, however timed)", r.Unsolicited, 60)
	},
	"botnet": func(t *testing.T, r attacksim.Result) {
		// Strangers have the open share's 60; a bot address whose own SIM's code
		// was verified may send as a client in good standing, one code for every
		// two it verified.
		atMost(t, "unsolicited SMS (the open share and what its own SIMs buy)", r.Unsolicited, 60+r.OwnVerified/2)
		atMost(t, "codes to the most-bombed victim", r.MostBombed, 3)
		// By a code, or by a message of theirs where a code is refused.
		if r.HonestRate() < 0.95 || r.HonestInbound == 0 {
			t.Errorf("honest businesses proven: %d/%d, %d of them inbound; want 95%% and some inbound (unproven: %v)",
				r.HonestProven, r.HonestArrived, r.HonestInbound, r.HonestFailed)
		}
	},
	// Standing comes only from codes we sent and saw verified: SIMs proven by
	// their own texts buy none, so strangers still get only the open share.
	"botnet-own-inbound": func(t *testing.T, r attacksim.Result) {
		atMost(t, "unsolicited SMS (the open share alone)", r.Unsolicited, 60)
		if r.HonestRate() < 0.95 {
			t.Errorf("honest businesses proven: %d/%d (unproven: %v)", r.HonestProven, r.HonestArrived, r.HonestFailed)
		}
	},
	"cgnat": func(t *testing.T, r attacksim.Result) {
		atMost(t, "unsolicited SMS", r.Unsolicited, 0)
		atLeast(t, "businesses behind the one address proven", r.HonestProven, r.HonestArrived)
	},
	"pumping": func(t *testing.T, r attacksim.Result) {
		atMost(t, "codes into the pumped prefix", r.PrefixSends, 50)
		if !r.BlockedPrefix {
			t.Error("no PrefixBlocked metric")
		}
	},
	"helpdesk-flood": func(t *testing.T, r attacksim.Result) {
		atMost(t, "junk tickets", r.JunkAccepted, 300)
		atLeast(t, "owner tickets", r.OwnerTickets, 1)
		atMost(t, "owner tickets refused", r.TicketsRefused, 0)
	},
}

// Each scenario's 10-minute version, against the real handlers, within its
// bounds; and requests within the DynamoDB calls they cost.
func TestScenarios(t *testing.T) {
	url := mototest.URL(t)
	var results []attacksim.Result
	for _, name := range attacksim.Names {
		t.Run(name, func(t *testing.T) {
			sc, err := attacksim.Named(name, true)
			if err != nil {
				t.Fatal(err)
			}
			r, err := attacksim.Run(context.Background(), url, sc, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("unsolicited %d (most to one %d, into prefix %d, own SIMs verified %d), honest %d/%d (unproven: %v), PoW %.0f CPU-s, %d requests at %.2f calls, tickets refused %d/%d, junk %d",
				r.Unsolicited, r.MostBombed, r.PrefixSends, r.OwnVerified, r.HonestProven, r.HonestArrived, r.HonestFailed, r.AttackerCPU, r.Requests, r.DDBPerRequest,
				r.TicketsRefused, r.OwnerTickets, r.JunkAccepted)
			// Two calls a request, and the protection mode's read once MODE_CACHE_TTL
			// has passed since the last (often, in virtual time).
			if r.Requests == 0 || r.DDBPerRequest > 2.5 || r.CostPerMillion <= 0 {
				t.Errorf("%d requests at %.2f DynamoDB calls and $%.2f per million", r.Requests, r.DDBPerRequest, r.CostPerMillion)
			}
			// One instance serves them all here, so a challenge asked for after the
			// refusal that asked for it takes the refusal's reading.
			if r.Challenges > 0 && r.CallsPerChallenge > 0.1 {
				t.Errorf("%d challenges at %.2f DynamoDB calls each, want next to none", r.Challenges, r.CallsPerChallenge)
			}
			if len(r.Series) < 10 || r.Series[len(r.Series)-1].Unsolicited != r.Unsolicited {
				t.Errorf("series of %d minutes ends at %+v, want the final counts", len(r.Series), r.Series[len(r.Series)-1])
			}
			bounds[name](t, r)
			results = append(results, r)
		})
	}
	checkReports(t, results)
}

// checkReports writes the table, CSV and chart of the results and reads them back.
func checkReports(t *testing.T, results []attacksim.Result) {
	var table, rows, chart bytes.Buffer
	if err := attacksim.Table(&table, results); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(table.String(), "\n"); lines != len(results)+1 {
		t.Errorf("table of %d lines for %d results:\n%s", lines, len(results), table.String())
	}
	if err := attacksim.CSV(&rows, results); err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(&rows).ReadAll()
	if err != nil || len(records) < 1+10*len(results) {
		t.Errorf("CSV of %d records (%v)", len(records), err)
	}
	if err := attacksim.Chart(&chart, results); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&chart)
	if err != nil {
		t.Fatalf("chart: %v", err)
	}
	if b := img.Bounds(); b.Dy() < b.Dx() {
		t.Errorf("chart %v: want one panel under another", b)
	}
}

func atMost(t *testing.T, what string, got, limit int) {
	t.Helper()
	if got > limit {
		t.Errorf("%s: %d, want at most %d", what, got, limit)
	}
}

func atLeast(t *testing.T, what string, got, limit int) {
	t.Helper()
	if got < limit {
		t.Errorf("%s: %d, want at least %d", what, got, limit)
	}
}
