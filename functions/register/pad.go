package register

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/store"
)

// SignInPadOverrun counts sign-ins whose send took them past SIGNIN_PAD: each
// one answered later than a sign-in to a contact without venues would have.
const SignInPadOverrun = "SignInPadOverrun"

// answerMargin is what a padded sign-in keeps of its Lambda's time to write its
// answer: neither the send nor the wait runs past the deadline less this.
const answerMargin = 500 * time.Millisecond

// dispatch sends the attempt's code, or nothing where it is silent.
//
// A sign-in sends only to a contact that owns a venue, and so must not answer
// any sooner, or otherwise, for one that owns none. It holds its answer until
// SIGNIN_PAD after it began, on the injected clock, whatever was or was not
// sent, and a failed send answers the same 202 (the owner asks again; the
// metric SendFailed tells the operators). A send that overruns the pad is
// answered when it ends, counted in SignInPadOverrun: raise SIGNIN_PAD above
// the sends' p99 when that metric is not zero. Neither the send nor the wait
// runs into the Lambda's timeout, which would answer an owner with a 502.
func (h *Handler) dispatch(ctx context.Context, a *attempt) error {
	if a.reg.Kind != store.SignIn {
		if a.silent {
			h.metrics.Count(metrics.Suppressed, 1, "Channel", string(a.dest.Channel))
			// Answering at once would tell whoever typed the address that it
			// opted out or bounced: take as long as a recent send did.
			_ = h.sleep(ctx, h.sendTimes.draw(a.dest.Channel, h.rand))
			return nil
		}
		began := h.now()
		err := h.deliver(ctx, a.dest, a.subject.Destination, a.code, a.now)
		if err == nil {
			h.sendTimes.add(a.dest.Channel, h.now().Sub(began))
		}
		return err
	}
	end := a.now.Add(h.cfg.SignInPad)
	sendCtx := ctx
	deadline, bounded := ctx.Deadline()
	if bounded {
		var cancel context.CancelFunc
		sendCtx, cancel = context.WithDeadline(ctx, deadline.Add(-answerMargin))
		defer cancel()
	}
	if a.silent {
		h.metrics.Count(metrics.Suppressed, 1, "Channel", string(a.dest.Channel))
	} else if err := h.deliver(sendCtx, a.dest, a.subject.Destination, a.code, a.now); err != nil {
		// Refusing here would tell an owner from a stranger.
		h.log.WarnContext(ctx, "sign-in code not sent", "channel", string(a.dest.Channel), "err", err)
	}
	wait := end.Sub(h.now())
	if wait < 0 {
		h.metrics.Count(SignInPadOverrun, 1, "Channel", string(a.dest.Channel))
		h.log.WarnContext(ctx, "sign-in send overran its padding", "by", (-wait).String())
		return nil
	}
	if bounded {
		wait = min(wait, time.Until(deadline)-answerMargin)
	}
	// A wait cut short (the context done) answers at once: nothing is left to hide.
	_ = h.sleep(ctx, wait)
	return nil
}

// sendSamples is how many recent send times per channel a silent registration
// draws from; coldSendTime stands in before this instance has sent any.
const (
	sendSamples  = 32
	coldSendTime = 150 * time.Millisecond
)

// sendTimes remembers how long this instance's last sends took, per channel. A
// registration or resend to a suppressed destination sends nothing, and waits
// a time drawn from these instead, so that its answer comes as late as a sent
// one would. Registrations are not padded to a fixed time as sign-ins are: an
// honest registration would then always wait the pad for the rare suppressed
// one. Nothing here is kept beyond the instance.
type sendTimes struct {
	mu     sync.Mutex
	recent map[contact.Channel][]time.Duration
	next   map[contact.Channel]int
}

func (s *sendTimes) add(ch contact.Channel, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recent == nil {
		s.recent, s.next = map[contact.Channel][]time.Duration{}, map[contact.Channel]int{}
	}
	if r := s.recent[ch]; len(r) < sendSamples {
		s.recent[ch] = append(r, d)
		return
	}
	s.recent[ch][s.next[ch]] = d
	s.next[ch] = (s.next[ch] + 1) % sendSamples
}

// draw picks one of the channel's recent send times at random (coldSendTime
// where there is none).
func (s *sendTimes) draw(ch contact.Channel, rand io.Reader) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.recent[ch]
	if len(r) == 0 {
		return coldSendTime
	}
	var b [1]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return r[len(r)-1]
	}
	return r[int(b[0])%len(r)]
}
