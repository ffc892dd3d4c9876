package attacksim

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Result is what one scenario's run measured.
type Result struct {
	Scenario string
	// Unsolicited is the codes sent to numbers their requester does not own (the
	// botnet's targets, honest businesses' typos); MostBombed the most any one
	// such number got.
	Unsolicited, MostBombed int
	// PrefixSends is the unsolicited codes into the botnet's number range, and
	// BlockedPrefix whether a metric said a prefix was blocked.
	PrefixSends   int
	BlockedPrefix bool
	// OwnVerified is the codes to its own SIMs that the botnet verified: each
	// buys its address and network standing (see plan.Reading.Verified).
	OwnVerified int
	// HonestArrived businesses came; HonestProven proved their contact, in
	// ProofP50 and ProofP95 from arriving.
	HonestArrived, HonestProven int
	// HonestInbound of those proved it by a message of theirs, refused a code.
	HonestInbound int
	// HonestFailed counts the businesses that never proved their contact by
	// where they stood when their patience ran out: the path and answer of
	// their last request, and the limit that refused it.
	HonestFailed       map[string]int
	ProofP50, ProofP95 time.Duration
	// AttackerCPU is the seconds of one core the attacker spent on proof of work.
	AttackerCPU      float64
	AttackerRequests int
	// Requests is every request the handlers served, DDBPerRequest their
	// DynamoDB calls each, CostPerMillion the dollars per million of them.
	Requests       int64
	DDBPerRequest  float64
	CostPerMillion float64
	// Challenges is the GET /v1/challenge requests among them, and
	// CallsPerChallenge their DynamoDB calls each.
	Challenges        int64
	CallsPerChallenge float64
	// Helpdesk: junk tickets accepted; venue owners' tickets and strangers', and
	// how many of each were refused.
	JunkAccepted                     int
	OwnerTickets, TicketsRefused     int
	StrangerTickets, StrangerRefused int
	// Series is the running counts at the start of each virtual minute.
	Series []Point

	proofTimes     []time.Duration
	attackerHashes int64
	challengeCalls int64
}

// Point is the running counts at one virtual minute.
type Point struct {
	Minute                                    int
	Unsolicited, Arrived, Proven, BotRequests int
	TicketsRefused, JunkAccepted              int
}

// HonestRate is the share of honest businesses that proved their contact.
func (r Result) HonestRate() float64 {
	if r.HonestArrived == 0 {
		return 1
	}
	return float64(r.HonestProven) / float64(r.HonestArrived)
}

// Table writes one row per result.
func Table(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tunsolicited SMS\tmost to one victim\tinto prefix\town SIMs verified\thonest proven\tproof p50\tp95\tattacker PoW CPU-s\trequests\tDynamoDB calls/req\tchallenges (calls each)\t$/1M req\towner tickets refused\tstranger tickets refused\tjunk tickets\t")
	for _, r := range results {
		honest := "-"
		if r.HonestArrived > 0 {
			honest = fmt.Sprintf("%d/%d (%.0f%%, %d inbound)", r.HonestProven, r.HonestArrived, 100*r.HonestRate(), r.HonestInbound)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%.0f\t%d\t%.2f\t%d (%.2f)\t%.2f\t%d/%d\t%d/%d\t%d\t\n", r.Scenario, r.Unsolicited, r.MostBombed,
			r.PrefixSends, r.OwnVerified, honest, r.ProofP50.Round(time.Second), r.ProofP95.Round(time.Second),
			r.AttackerCPU, r.Requests, r.DDBPerRequest, r.Challenges, r.CallsPerChallenge, r.CostPerMillion, r.TicketsRefused, r.OwnerTickets, r.StrangerRefused, r.StrangerTickets, r.JunkAccepted)
	}
	return tw.Flush()
}

// Failures writes, for each result with honest businesses that failed, why
// they did, most common first.
func Failures(w io.Writer, results []Result) error {
	for _, r := range results {
		if len(r.HonestFailed) == 0 {
			continue
		}
		whys := slices.Collect(maps.Keys(r.HonestFailed))
		slices.SortFunc(whys, func(a, b string) int {
			return cmp.Or(r.HonestFailed[b]-r.HonestFailed[a], strings.Compare(a, b))
		})
		fmt.Fprintf(w, "%s: %d of %d honest businesses unproven:\n", r.Scenario, r.HonestArrived-r.HonestProven, r.HonestArrived)
		for _, why := range whys {
			if _, err := fmt.Fprintf(w, "  %4d  %s\n", r.HonestFailed[why], why); err != nil {
				return err
			}
		}
	}
	return nil
}

// CSV writes every result's time series, one row per scenario and minute.
func CSV(w io.Writer, results []Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"scenario", "minute", "unsolicited_sms", "honest_arrived", "honest_proven", "attacker_requests", "owner_tickets_refused", "junk_tickets"})
	for _, r := range results {
		for _, p := range r.Series {
			cw.Write([]string{r.Scenario, strconv.Itoa(p.Minute), strconv.Itoa(p.Unsolicited), strconv.Itoa(p.Arrived), strconv.Itoa(p.Proven),
				strconv.Itoa(p.BotRequests), strconv.Itoa(p.TicketsRefused), strconv.Itoa(p.JunkAccepted)})
		}
	}
	cw.Flush()
	return cw.Error()
}

// Chart writes a PNG of each result's running counts over virtual time, one
// panel per scenario.
func Chart(w io.Writer, results []Result) error {
	panels := make([][]*plot.Plot, len(results))
	for i, r := range results {
		p := plot.New()
		p.Title.Text = r.Scenario
		p.X.Label.Text = "virtual minutes"
		p.Y.Label.Text = "count"
		p.Legend.Top, p.Legend.Left = true, true
		for k, s := range []struct {
			name string
			v    func(Point) int
		}{
			{"unsolicited SMS", func(p Point) int { return p.Unsolicited }},
			{"honest arrived", func(p Point) int { return p.Arrived }},
			{"honest proven", func(p Point) int { return p.Proven }},
			{"junk tickets", func(p Point) int { return p.JunkAccepted }},
			{"owner tickets refused", func(p Point) int { return p.TicketsRefused }},
		} {
			pts := make(plotter.XYs, len(r.Series))
			nonzero := false
			for j, pt := range r.Series {
				pts[j].X, pts[j].Y = float64(pt.Minute), float64(s.v(pt))
				nonzero = nonzero || pts[j].Y != 0
			}
			if !nonzero {
				continue
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return err
			}
			l.Color, l.Dashes, l.Width = plotutil.Color(k), plotutil.Dashes(k), vg.Points(1.5)
			p.Add(l)
			p.Legend.Add(s.name, l)
		}
		panels[i] = []*plot.Plot{p}
	}
	c := vgimg.New(7*vg.Inch, 3*vg.Inch*vg.Length(len(results)))
	dc := draw.New(c)
	canvases := plot.Align(panels, draw.Tiles{Rows: len(results), Cols: 1, PadY: vg.Millimeter * 4}, dc)
	for i := range panels {
		panels[i][0].Draw(canvases[i][0])
	}
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(w)
	return err
}
