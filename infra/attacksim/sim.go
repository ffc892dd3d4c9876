package attacksim

import (
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/notify"
)

// Start is the top of the hour in which every scenario's attack begins, at its
// Offset: by default at Start, when an attacker who knows the budget resets on
// the clock hour would start.
var Start = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

// owner says who a number belongs to; a number no one in the simulation owns is
// a stranger's, and every code sent to it is unsolicited.
type owner int

const (
	stranger owner = iota
	business
	botSIM
)

// sim is one scenario's run.
type sim struct {
	sc       Scenario
	st       *stack
	rng      *rand.Rand
	q        agenda
	seq      int
	start    time.Time
	end      time.Time
	progress io.Writer
	// owners of numbers the simulation gave out; counts of codes by number.
	owners   map[string]owner
	received map[string]int
	res      Result
	minute   int
	// businesses are the counted honest arrivals.
	businesses []*businessRun
	venues     []venue
}

type venue struct{ id, token, phone string }

// Run plays the scenario against the emulator at motoURL, drawing a progress bar
// on progress (if not nil), and answers what it measured.
func Run(ctx context.Context, motoURL string, sc Scenario, progress io.Writer) (Result, error) {
	start := Start.Add(sc.Offset)
	clock := apitest.NewClock(start)
	if sc.Tickets.Venues > 0 {
		clock = apitest.NewClock(start.Add(-time.Hour)) // the venues register first
	}
	st, err := newStack(ctx, motoURL, clock, sc.Env)
	if err != nil {
		return Result{}, err
	}
	s := &sim{sc: sc, st: st, rng: rand.New(rand.NewPCG(sc.Seed, 0x5eed)), start: start, end: start.Add(sc.Duration), progress: progress,
		owners: map[string]owner{}, received: map[string]int{}}
	s.res.Scenario = sc.Name
	st.outbox.onSend = s.delivered
	if sc.Tickets.Venues > 0 {
		s.setUpVenues()
	}
	s.startHonest()
	s.startBots()
	s.startTickets()
	// Nothing after the last arrival's patience counts.
	last := s.end.Add(s.sc.Honest.Patience)
	for s.q.Len() > 0 && !s.q[0].at.After(last) {
		s.step()
	}
	s.tick(last)
	if progress != nil {
		fmt.Fprintln(progress)
	}
	s.finish()
	return s.res, nil
}

// event is something that happens at a virtual time; seq keeps ties in order.
type event struct {
	at  time.Time
	seq int
	fn  func()
}

type agenda []event

func (q agenda) Len() int { return len(q) }
func (q agenda) Less(i, j int) bool {
	return q[i].at.Before(q[j].at) || q[i].at.Equal(q[j].at) && q[i].seq < q[j].seq
}
func (q agenda) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *agenda) Push(x any)   { *q = append(*q, x.(event)) }
func (q *agenda) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// step runs the next event at its time.
func (s *sim) step() {
	e := heap.Pop(&s.q).(event)
	if d := e.at.Sub(s.now()); d > 0 {
		s.st.clock.Advance(d)
	}
	s.tick(e.at)
	e.fn()
}

func (s *sim) now() time.Time { return s.st.clock.Now() }

// at schedules fn at t (never before now).
func (s *sim) at(t time.Time, fn func()) {
	if t.Before(s.now()) {
		t = s.now()
	}
	s.seq++
	heap.Push(&s.q, event{at: t, seq: s.seq, fn: fn})
}

func (s *sim) after(d time.Duration, fn func()) { s.at(s.now().Add(d), fn) }

// gap is a random wait with mean 1/rate seconds (a Poisson process).
func (s *sim) gap(rate float64) time.Duration {
	return time.Duration(s.rng.ExpFloat64() / rate * float64(time.Second))
}

func (s *sim) uniform(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)+1))
}

// delivered is told of every message the service hands to SNS or SES.
func (s *sim) delivered(m notify.Message) {
	if m.Channel == notify.Topic {
		return
	}
	s.received[m.To]++
	if s.owners[m.To] == stranger {
		s.res.Unsolicited++
		if strings.HasPrefix(m.To, s.sc.Bots.Prefix) && s.sc.Bots.Prefix != "" {
			s.res.PrefixSends++
		}
	}
}

// answer is the parts of a response body the clients read.
type answer struct {
	RegistrationID string `json:"registrationId"`
	AccessToken    string `json:"accessToken"`
	VenueID        string `json:"venueId"`
	MaxNumber      int64  `json:"maxnumber"`
	Inbound        []struct {
		Via, To, Text string
	} `json:"inbound"`
	Error struct {
		Code              string `json:"code"`
		RetryAfterSeconds int    `json:"retryAfterSeconds"`
		InboundAvailable  bool   `json:"inboundAvailable"`
	} `json:"error"`
	// why is what the handler's metrics say refused the request: the limit
	// named by its refusal, or the challenge it asked for; "" where none did.
	why string
}

func (s *sim) call(function, method, resource string, params map[string]string, body any, ip, bearer string) (int, answer) {
	req := apitest.Request(method, resource, params, body, ip)
	if bearer != "" {
		req.Headers["Authorization"] = "Bearer " + bearer
	}
	from := s.st.metrics.Len()
	resp := s.st.call(function, req)
	var a answer
	json.Unmarshal([]byte(resp.Body), &a)
	a.why = refusedBy(s.st.metrics.Bytes()[from:])
	return resp.StatusCode, a
}

// refusedBy is what the metric lines a request wrote say refused it: the Limit
// of a refusal, or that a challenge (or a harder one) was asked for.
func refusedBy(lines []byte) string {
	why := ""
	for _, line := range bytes.Split(lines, []byte("\n")) {
		var m map[string]any
		if json.Unmarshal(line, &m) != nil {
			continue
		}
		switch {
		case m["Limit"] != nil:
			return fmt.Sprint(m["Limit"])
		case m[metrics.ChallengeFailed] != nil:
			why = "challenge failed"
		case m[metrics.ChallengeRequired] != nil && why == "":
			why = "challenge required"
		}
	}
	return why
}

// solve answers a solved challenge as hard as the one GET /v1/challenge sets
// (minted by the service's key with the same hardness, so its salt names the
// same maxnumber), and the hashes a brute-force solver takes for it.
func (s *sim) solve(ip string) (string, int64) {
	calls := s.st.meter.calls.Load()
	_, c := s.call("RegisterFunction", "GET", "/v1/challenge", nil, nil, ip, "")
	s.res.Challenges++
	s.res.challengeCalls += s.st.meter.calls.Load() - calls
	base := s.st.challenger.MaxNumber
	challenge, n, err := s.st.challenger.Harder(max(c.MaxNumber, base) / base).Issue(s.now())
	if err != nil {
		return "", 0
	}
	payload, _ := challenge.Payload(n)
	return payload, n + 1
}

func registration(phone string, altcha string) map[string]any {
	b := map[string]any{"businessName": "Kedai Runcit Ali", "address": "12 Jalan Ampang, 50450 Kuala Lumpur", "phone": phone}
	if altcha != "" {
		b["altcha"] = altcha
	}
	return b
}

func (s *sim) register(phone, ip, altcha string) (int, answer) {
	return s.call("RegisterFunction", "POST", "/v1/registrations", nil, registration(phone, altcha), ip, "")
}

func (s *sim) verifyCode(id, phone, ip string) (int, answer) {
	return s.call("VerifyFunction", "POST", "/v1/registrations/{registrationId}/verify", map[string]string{"registrationId": id},
		map[string]any{"code": s.st.outbox.lastCode(phone)}, ip, "")
}

func retryAfter(a answer) time.Duration {
	return time.Duration(max(a.Error.RetryAfterSeconds, 1)) * time.Second
}

// tick draws the progress bar and records the time series, once a virtual minute.
func (s *sim) tick(t time.Time) {
	for m := int(t.Sub(s.start) / time.Minute); s.minute <= m; s.minute++ {
		s.res.Series = append(s.res.Series, Point{Minute: s.minute, Unsolicited: s.res.Unsolicited, Arrived: s.res.HonestArrived,
			Proven: s.res.HonestProven, BotRequests: s.res.AttackerRequests, TicketsRefused: s.res.TicketsRefused, JunkAccepted: s.res.JunkAccepted})
		s.bar()
	}
}

func (s *sim) bar() {
	if s.progress == nil {
		return
	}
	total := int((s.sc.Duration + s.sc.Honest.Patience) / time.Minute)
	done := s.minute
	if done > total {
		return
	}
	width := 30
	filled := width * done / max(total, 1)
	fmt.Fprintf(s.progress, "\r%-15s [%s%s] %3d%%  %3dm/%dm  unsolicited %d  honest %d/%d ", s.sc.Name,
		strings.Repeat("#", filled), strings.Repeat("·", width-filled), 100*done/max(total, 1), done, total,
		s.res.Unsolicited, s.res.HonestProven, s.res.HonestArrived)
}

// finish turns the counts into the result's figures.
func (s *sim) finish() {
	r := &s.res
	for n, c := range s.received {
		if s.owners[n] == stranger {
			r.MostBombed = max(r.MostBombed, c)
		}
	}
	if len(r.proofTimes) > 0 {
		slices.Sort(r.proofTimes)
		r.ProofP50 = r.proofTimes[len(r.proofTimes)/2]
		r.ProofP95 = r.proofTimes[int(math.Ceil(0.95*float64(len(r.proofTimes))))-1]
	}
	if s.sc.Bots.HashRate > 0 {
		r.AttackerCPU = float64(r.attackerHashes) / s.sc.Bots.HashRate
	}
	m := s.st.meter
	r.Requests = m.requests.Load()
	if r.Requests > 0 {
		r.DDBPerRequest = float64(m.calls.Load()) / float64(r.Requests)
	}
	r.CostPerMillion = costPerMillion(r.Requests, m.readUnits.Load(), m.writeUnits.Load())
	if r.Challenges > 0 {
		r.CallsPerChallenge = float64(r.challengeCalls) / float64(r.Challenges)
	}
	for _, b := range s.businesses {
		if !b.proven {
			if r.HonestFailed == nil {
				r.HonestFailed = map[string]int{}
			}
			r.HonestFailed[cmp.Or(b.last, "no answer")]++
		}
	}
	r.BlockedPrefix = strings.Count(s.st.metrics.String(), `"PrefixBlocked"`) > 0
}
