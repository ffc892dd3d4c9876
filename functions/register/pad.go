package register

import (
	"context"
	"time"

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
			return nil
		}
		return h.deliver(ctx, a.dest, a.subject.Destination, a.code, a.now)
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
