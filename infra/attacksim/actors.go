package attacksim

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// cgnatAddress is the one public IPv4 address behind which a CGNAT's
// subscribers all appear.
const cgnatAddress = "175.139.200.1"

// A business is an honest one registering its venue with its own number.
type businessRun struct {
	s       *sim
	phone   string
	ip      string
	arrived time.Time
	fast    bool
	// counted is false for the venues set up before a helpdesk scenario.
	counted bool
	done    func(venue)
	// proven is set once it proved its contact; last is where it stood after
	// its last request (why it failed, for one that never proves it).
	proven bool
	last   string
}

// stood records where b stands after a request on path answered status.
func (b *businessRun) stood(path string, status int, a answer) {
	b.last = fmt.Sprintf("%s: %d %s", path, status, a.Error.Code)
	if a.why != "" {
		b.last += " (" + a.why + ")"
	}
}

// provenAt counts b's proof, on the inbound path or not.
func (b *businessRun) provenAt(inbound bool) {
	s := b.s
	b.proven, b.last = true, ""
	if !b.counted {
		return
	}
	s.res.HonestProven++
	if inbound {
		s.res.HonestInbound++
	}
	s.res.proofTimes = append(s.res.proofTimes, s.now().Sub(b.arrived))
}

func (s *sim) startHonest() {
	h := s.sc.Honest
	switch {
	case h.Count > 0:
		every := s.sc.Duration / time.Duration(h.Count)
		for i := range h.Count {
			s.at(s.start.Add(time.Duration(i)*every), func() { s.arrive(i, true, nil) })
		}
	case h.PerMinute > 0:
		var next func(i int)
		next = func(i int) {
			s.arrive(i, true, nil)
			if t := s.now().Add(s.gap(h.PerMinute / 60)); t.Before(s.end) {
				s.at(t, func() { next(i + 1) })
			}
		}
		s.at(s.start.Add(s.gap(h.PerMinute/60)), func() { next(0) })
	}
}

// arrive starts business i's registration. A mistyped first number reaches a
// stranger; the business notices no code came and starts again.
func (s *sim) arrive(i int, counted bool, done func(venue)) {
	h := s.sc.Honest
	b := &businessRun{s: s, phone: fmt.Sprintf("+6017%07d", 1000000+i), arrived: s.now(), counted: counted, done: done,
		fast: s.rng.Float64() < h.Fast, ip: fmt.Sprintf("60.%d.%d.7", 1+i/250%250, i%250)}
	if s.rng.Float64() < h.CGNAT {
		b.ip = cgnatAddress
	}
	s.owners[b.phone] = business
	if counted {
		s.res.HonestArrived++
		s.businesses = append(s.businesses, b)
	}
	if s.rng.Float64() < h.Typos {
		typo := fmt.Sprintf("+6017%07d", 9000000+s.rng.IntN(999999))
		b.send(typo, "", func(string) {
			s.after(s.uniform(2*time.Minute, 4*time.Minute), func() { b.send(b.phone, "", b.received) })
		})
		return
	}
	b.send(b.phone, "", b.received)
}

// send asks for a code to number, solving the challenge or waiting out a limit
// as the site tells it to, until its patience runs out; then sent.
func (b *businessRun) send(number, altcha string, sent func(id string)) {
	s := b.s
	if s.now().Sub(b.arrived) > s.sc.Honest.Patience {
		return
	}
	status, a := s.register(number, b.ip, altcha)
	path := "code"
	if number != b.phone {
		path = "typo"
	}
	b.stood(path, status, a)
	switch {
	case status == 202:
		b.last = path + ": sent, not verified"
		sent(a.RegistrationID)
	case status == 428:
		payload, hashes := s.solve(b.ip)
		s.after(time.Duration(float64(hashes)/s.sc.Honest.HashRate*float64(time.Second))+2*time.Second, func() { b.send(number, payload, sent) })
	case (status == 429 || status == 503) && number != b.phone:
		// A refused typo reaches no one either: the business gets no code (and
		// is offered to prove by message a number that is not its own), checks
		// the number and starts again, as when the code went to a stranger.
		sent("")
	case (status == 429 || status == 503) && a.Error.InboundAvailable && number == b.phone:
		b.proveInbound("")
	case status == 429 || status == 503:
		s.after(retryAfter(a), func() { b.send(number, "", sent) })
	}
}

// proveInbound is the business's answer to a refused code: it registers for
// proof by message, sends the text shown by SMS a minute later, and verifies.
func (b *businessRun) proveInbound(altcha string) {
	s := b.s
	if s.now().Sub(b.arrived) > s.sc.Honest.Patience {
		return
	}
	body := registration(b.phone, altcha)
	body["proof"] = "inbound"
	status, a := s.call("RegisterFunction", "POST", "/v1/registrations", nil, body, b.ip, "")
	b.stood("inbound", status, a)
	switch status {
	case 202:
		b.last = "inbound: started, not verified"
	case 428:
		payload, hashes := s.solve(b.ip)
		s.after(time.Duration(float64(hashes)/s.sc.Honest.HashRate*float64(time.Second))+2*time.Second, func() { b.proveInbound(payload) })
		return
	case 429, 503:
		s.after(retryAfter(a), func() { b.proveInbound("") })
		return
	default:
		return
	}
	for _, offer := range a.Inbound {
		if offer.Via != "sms" {
			continue
		}
		s.after(s.uniform(30*time.Second, 90*time.Second), func() {
			msg, _ := json.Marshal(map[string]string{"originationNumber": b.phone, "destinationNumber": offer.To,
				"messageBody": offer.Text, "inboundMessageId": fmt.Sprintf("sim-%d", s.rng.Int64())})
			s.st.meter.requests.Add(1)
			if err := s.st.inbound.HandleMessage(context.Background(), string(msg)); err != nil {
				b.last = "inbound: message not taken"
				return
			}
			s.after(10*time.Second, func() {
				status, a := s.call("VerifyFunction", "POST", "/v1/registrations/{registrationId}/verify",
					map[string]string{"registrationId": a.RegistrationID}, map[string]any{}, b.ip, "")
				if status == 200 {
					b.provenAt(true)
				} else {
					b.stood("inbound verify", status, a)
				}
			})
		})
		return
	}
}

// received is the code's arrival: the business types it in a little later.
func (b *businessRun) received(id string) {
	s := b.s
	think := s.uniform(20*time.Second, 2*time.Minute)
	if !b.fast {
		think = s.uniform(2*time.Minute, 4*time.Minute+30*time.Second)
	}
	s.after(think, func() {
		status, a := s.verifyCode(id, b.phone, b.ip)
		if status != 200 {
			b.stood("verify", status, a)
			return
		}
		b.provenAt(false)
		if b.done != nil {
			b.done(venue{id: a.VenueID, token: a.AccessToken, phone: b.phone})
		}
	})
}

// A bot is one address of the botnet.
type bot struct {
	s  *sim
	ip string
}

func (s *sim) startBots() {
	n := s.sc.Bots
	if n.Addresses == 0 {
		return
	}
	for i := range n.Addresses {
		b := &bot{s: s, ip: fmt.Sprintf("45.%d.%d.%d", i%n.Networks/250, i%n.Networks%250, 1+i/n.Networks)}
		s.at(s.start.Add(s.gap(n.Rate/float64(n.Addresses))), func() { b.attempt("") })
	}
	for i := range 200 {
		s.owners[ownSIM(i)] = botSIM
	}
}

func ownSIM(i int) string { return fmt.Sprintf("+6019%07d", 5000000+i) }

// target is the number the bot asks a code for next.
func (b *bot) target() (string, bool) {
	s, n := b.s, b.s.sc.Bots
	if s.rng.Float64() < n.OwnSIMs {
		return ownSIM(s.rng.IntN(200)), true
	}
	if n.Prefix != "" {
		return fmt.Sprintf("%s%04d", n.Prefix, s.rng.IntN(10000)), false
	}
	return fmt.Sprintf("+6013%07d", s.rng.IntN(10000000)), false
}

// attempt is one sending request. The bot solves every challenge it is set, waits
// out a limit on its address (at most 10 minutes: past that it tries a new target),
// and verifies the codes that reach its own SIMs.
func (b *bot) attempt(altcha string) {
	s := b.s
	if !s.now().Before(s.end) {
		return
	}
	number, own := b.target()
	s.res.AttackerRequests++
	if own && s.sc.Bots.OwnInbound {
		b.proveOwn(number, altcha)
		return
	}
	status, a := s.register(number, b.ip, altcha)
	next := s.gap(s.sc.Bots.Rate / float64(s.sc.Bots.Addresses))
	if status == 202 && own {
		s.after(30*time.Second, func() {
			if status, _ := s.verifyCode(a.RegistrationID, number, b.ip); status == 200 {
				s.res.OwnVerified++
			}
		})
	}
	b.again(status, a, next)
}

// proveOwn registers one of the botnet's own SIMs for proof by message, as the
// address, and sends the text from the SIM: a proof costs it an SMS of its own
// and the service none, and so earns the address no standing (a verify only
// refunds its request).
func (b *bot) proveOwn(number, altcha string) {
	s := b.s
	body := registration(number, altcha)
	body["proof"] = "inbound"
	status, a := s.call("RegisterFunction", "POST", "/v1/registrations", nil, body, b.ip, "")
	next := s.gap(s.sc.Bots.Rate / float64(s.sc.Bots.Addresses))
	switch status {
	case 202:
		for _, offer := range a.Inbound {
			if offer.Via != "sms" {
				continue
			}
			s.after(5*time.Second, func() {
				msg, _ := json.Marshal(map[string]string{"originationNumber": number, "destinationNumber": offer.To,
					"messageBody": offer.Text, "inboundMessageId": fmt.Sprintf("sim-%d", s.rng.Int64())})
				s.st.meter.requests.Add(1)
				if s.st.inbound.HandleMessage(context.Background(), string(msg)) != nil {
					return
				}
				s.after(5*time.Second, func() {
					if status, _ := s.call("VerifyFunction", "POST", "/v1/registrations/{registrationId}/verify",
						map[string]string{"registrationId": a.RegistrationID}, map[string]any{}, b.ip, ""); status == 200 {
						s.res.OwnVerified++
					}
				})
			})
			break
		}
	}
	b.again(status, a, next)
}

// again has the bot try again after an answer: at once with a solution where it
// was asked for proof of work (once the solving is done), no sooner than the
// Retry-After of a refusal, else after next.
func (b *bot) again(status int, a answer, next time.Duration) {
	s := b.s
	switch status {
	case 428:
		payload, hashes := s.solve(b.ip)
		s.res.attackerHashes += hashes
		s.after(time.Duration(float64(hashes)/s.sc.Bots.HashRate*float64(time.Second)), func() { b.attempt(payload) })
		return
	case 429, 503:
		next = max(next, min(retryAfter(a), 10*time.Minute))
	}
	s.after(next, func() { b.attempt("") })
}

// setUpVenues registers and verifies the venues whose owners file honest tickets,
// in the hour before the flood, from addresses of their own.
func (s *sim) setUpVenues() {
	n := s.sc.Tickets.Venues
	every := 50 * time.Minute / time.Duration(n)
	save := s.sc.Honest
	s.sc.Honest = Honest{Fast: 1, HashRate: 5e5, Patience: time.Hour}
	for i := range n {
		s.at(s.start.Add(-time.Hour+time.Duration(i)*every), func() {
			s.arrive(100000+i, false, func(v venue) { s.venues = append(s.venues, v) })
		})
	}
	// Run the set-up to the flood's start, then count from zero.
	for s.q.Len() > 0 && s.q[0].at.Before(s.start) {
		s.step()
	}
	s.sc.Honest = save
	s.st.meter.reset()
}

func (s *sim) startTickets() {
	t := s.sc.Tickets
	if t.JunkRate > 0 {
		for i := range t.JunkAddresses {
			ip := fmt.Sprintf("91.%d.%d.%d", i%t.JunkNetworks/250, i%t.JunkNetworks%250, 1+i/t.JunkNetworks)
			var junk func()
			junk = func() {
				if !s.now().Before(s.end) {
					return
				}
				s.res.AttackerRequests++
				status, a := s.ticket(fmt.Sprintf("+6013%07d", s.rng.IntN(10000000)), ip, "", "")
				next := s.gap(t.JunkRate / float64(t.JunkAddresses))
				if status == 201 {
					s.res.JunkAccepted++
				} else if status == 429 || status == 503 {
					next = max(next, min(retryAfter(a), 10*time.Minute))
				}
				s.after(next, junk)
			}
			s.at(s.start.Add(s.gap(t.JunkRate/float64(t.JunkAddresses))), junk)
		}
	}
	if t.PerMinute > 0 {
		var next func(i int)
		next = func(i int) {
			s.honestTicket(i)
			if at := s.now().Add(s.gap(t.PerMinute / 60)); at.Before(s.end) {
				s.at(at, func() { next(i + 1) })
			}
		}
		s.at(s.start.Add(s.gap(t.PerMinute/60)), func() { next(0) })
	}
}

// honestTicket is a venue owner's help request, with its venue token, or a
// stranger's, from an address of its own.
func (s *sim) honestTicket(i int) {
	ip := fmt.Sprintf("61.%d.%d.7", 1+i/250%250, i%250)
	if len(s.venues) == 0 || s.rng.Float64() < s.sc.Tickets.Stranger {
		s.res.StrangerTickets++
		if status, _ := s.ticket(fmt.Sprintf("+6016%07d", 1000000+i), ip, "", ""); status != 201 {
			s.res.StrangerRefused++
		}
		return
	}
	// Each owner asks once; past the last one, the first again.
	v := s.venues[s.res.OwnerTickets%len(s.venues)]
	s.res.OwnerTickets++
	if status, _ := s.ticket(v.phone, ip, v.id, v.token); status != 201 {
		s.res.TicketsRefused++
	}
}

func (s *sim) ticket(phone, ip, venueID, token string) (int, answer) {
	body := map[string]any{"name": "Siti Aminah", "phone": phone, "topic": "qr-code",
		"message": fmt.Sprintf("My QR poster does not print right, request %d.", s.rng.Int64())}
	if venueID != "" {
		body["venueId"] = venueID
	}
	return s.call("HelpdeskFunction", "POST", "/v1/helpdesk/tickets", nil, body, ip, token)
}
