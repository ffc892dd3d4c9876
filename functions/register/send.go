package register

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/mode"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/otp"
	"github.com/checkin-registry/registry/shared/pow"
	"github.com/checkin-registry/registry/shared/ratelimit"
	"github.com/checkin-registry/registry/shared/store"
)

// optOutAudience is the audience of the tokens in opt-out links.
const optOutAudience = "optout"

type sendRequest struct {
	action string
	dest   contact.Destination
	// reg is the registration to create, or for a resend the one read.
	reg    store.Registration
	resend bool
	altcha string
	now    time.Time
	// retried is set on the one retry after a suppression raced the commit.
	retried bool
}

// sendCode is the one path by which a code leaves the service. In order: the
// protection mode, one read of every limit's state, the client's limits, proof of
// work where the mode or the client's volume demands it, the destination's limits
// and the channel's budget; then one transaction that claims them all and writes
// the registration; and only then the message. A request refused by a limit still
// counts against its client, so probing costs the prober.
func (h *Handler) sendCode(ctx context.Context, req events.APIGatewayProxyRequest, r sendRequest) (sentResponse, error) {
	m, err := h.modes.Current(ctx)
	if err != nil {
		return sentResponse{}, api.Unavailable(5, err)
	}
	if m == mode.Lockdown && r.dest.Channel == contact.SMS {
		h.metrics.Count(metrics.SendBlocked, 1, "Limit", "lockdown")
		e := api.Unavailable(300, nil)
		e.Message = "Codes by SMS are paused for now. Please use an e-mail address or try again later."
		return sentResponse{}, e
	}
	now := r.now
	ip, err := h.cfg.Client.IP(req)
	if err != nil {
		return sentResponse{}, err
	}
	subj := h.hasher.Subject(r.dest, ip)
	items, err := h.store.GetMany(ctx, h.cfg.Limits.Keys(subj, now), now)
	if err != nil {
		return sentResponse{}, err
	}
	st, err := h.cfg.Limits.State(items, subj, now)
	if err != nil {
		return sentResponse{}, err
	}
	if err := h.cfg.Limits.CheckClient(st, now); err != nil {
		return sentResponse{}, h.refused(err)
	}
	audit := store.Audit{At: now.Unix(), Action: r.action, Channel: string(r.dest.Channel), DestHash: subj.DestHash,
		IPHash: subj.IPHash, NetHash: subj.NetHash, Mode: string(m), Subject: r.reg.ID, TTL: now.Add(h.cfg.AuditTTL).Unix()}
	challenge, err := h.checkChallenge(m, st, r.altcha, now)
	if err != nil {
		return sentResponse{}, err
	}
	// base claims what every admitted request costs: its challenge and its client's counts.
	base := func(outcome string) (*store.Tx, error) {
		tx := h.store.Tx()
		if challenge != nil {
			tx.ClaimChallenge(challenge.ID, challenge.Expires)
		}
		h.cfg.Limits.ClaimClient(tx, subj, st, now)
		audit.Outcome = outcome
		id, err := store.NewID(h.rand)
		if err != nil {
			return nil, err
		}
		return tx, tx.PutAudit(id, audit)
	}
	silent := st.Suppressed || r.reg.Silent
	if !silent {
		if limit := h.cfg.Limits.CheckSend(st, r.dest.Channel, now); limit != nil {
			return sentResponse{}, h.refuseAfterClaim(ctx, base, st, now, limit)
		}
	}
	outcome := "sent"
	if silent {
		outcome = "suppressed"
	}
	tx, err := base(outcome)
	if err != nil {
		return sentResponse{}, err
	}
	code, err := otp.Generate(h.rand, h.cfg.CodeDigits)
	if err != nil {
		return sentResponse{}, err
	}
	send := r.reg.Sends + 1
	hash := otp.Hash(h.codeKey, r.reg.ID, send, code)
	if silent {
		// A hash of a random code no one will ever see: no code can match it.
		hash = otp.Hash(h.codeKey, r.reg.ID, send, code+"-silent")
	} else if err := h.cfg.Limits.ClaimSend(tx, subj, st, now); err != nil {
		return sentResponse{}, err
	}
	expires := now.Add(h.cfg.CodeTTL)
	reg := r.reg
	reg.Sends, reg.LastSentAt = send, now.Unix()
	if r.resend {
		tx.ResendRegistration(r.reg, hash, expires.Unix(), now.Unix(), h.cfg.MaxAttempts) // conditional on r.reg as read
	} else {
		reg.CodeHash, reg.CodeExpiresAt, reg.Silent, reg.DestinationHash = hash, expires.Unix(), silent, subj.DestHash
		if err := tx.PutRegistration(reg); err != nil {
			return sentResponse{}, err
		}
	}
	if err := h.store.Commit(ctx, tx); err != nil {
		var failed *store.ConditionFailed
		if errors.As(err, &failed) && failed.Name == store.SuppressedName && !r.retried {
			// Suppressed a moment ago: read again and answer like any suppressed
			// destination, so the response never reveals the block.
			r.retried = true
			return h.sendCode(ctx, req, r)
		}
		return sentResponse{}, h.lostRace(ctx, base, err, st, now)
	}
	if silent {
		h.metrics.Count(metrics.Suppressed, 1, "Channel", string(r.dest.Channel))
	} else if err := h.deliver(ctx, r.dest, subj.DestHash, code, now); err != nil {
		return sentResponse{}, err
	}
	return sentResponse{
		RegistrationID: reg.ID, Channel: reg.Channel, Destination: r.dest.Masked(),
		ExpiresAt: expires.UTC().Format(time.RFC3339), ResendAfter: h.resendAt(reg).UTC().Format(time.RFC3339),
	}, nil
}

// checkChallenge demands a solved challenge in elevated and lockdown modes, and in
// normal mode from a client past the soft threshold.
func (h *Handler) checkChallenge(m mode.Mode, st ratelimit.State, altcha string, now time.Time) (*pow.Claim, error) {
	if m == mode.Normal && h.cfg.Limits.IPRequests(st, now) < h.cfg.SoftThreshold {
		return nil, nil
	}
	c, err := h.challenger.Require(altcha, now, h.metrics)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// refuseAfterClaim records a request refused by a destination limit against its
// client, then answers the refusal.
func (h *Handler) refuseAfterClaim(ctx context.Context, base func(string) (*store.Tx, error), st ratelimit.State, now time.Time, limit error) error {
	var ex *ratelimit.Exceeded
	errors.As(limit, &ex)
	tx, err := base(ex.Limit)
	if err != nil {
		return err
	}
	if err := h.store.Commit(ctx, tx); err != nil {
		return h.lostRace(ctx, nil, err, st, now)
	}
	return h.refused(limit)
}

// lostRace explains a cancelled transaction. Where a destination-side condition
// failed (another request just sent there, or it was suppressed a moment ago),
// the client's claims are still recorded when base is given.
func (h *Handler) lostRace(ctx context.Context, base func(string) (*store.Tx, error), err error, st ratelimit.State, now time.Time) error {
	if errors.Is(err, store.ErrBusy) {
		return api.Unavailable(1, err) // contention, not a limit: no limit metric either
	}
	var failed *store.ConditionFailed
	if !errors.As(err, &failed) {
		return err
	}
	switch failed.Name {
	case store.ChallengeName:
		h.metrics.Count(metrics.ChallengeFailed, 1)
		return pow.ChallengeRequired("This challenge solution was already used; solve a new one.")
	case "registration":
		return api.RateLimited("Another request for this registration is in progress; please wait.", int(h.cfg.ResendWait/time.Second))
	}
	limit := h.cfg.Limits.Explain(failed, st, now)
	if limit == nil {
		return err
	}
	if base != nil && (failed.Name == ratelimit.Cooldown || failed.Name == ratelimit.BudgetName) {
		return h.refuseAfterClaim(ctx, base, st, now, limit)
	}
	return h.refused(limit)
}

// refused turns an exceeded limit into the contract's answer and counts it.
func (h *Handler) refused(err error) error {
	var ex *ratelimit.Exceeded
	if !errors.As(err, &ex) {
		return err
	}
	h.metrics.Count(metrics.SendBlocked, 1, "Limit", ex.Limit)
	switch ex.Limit {
	case ratelimit.BudgetName:
		h.metrics.Count(metrics.BudgetExhausted, 1)
		e := api.Unavailable(ex.RetryAfterSeconds(), nil)
		e.Message = "Sending is paused for now because of high demand. Please try again later."
		return e
	case ratelimit.Cooldown:
		return api.RateLimited("A code was sent to this destination moments ago. Please wait before asking again.", ex.RetryAfterSeconds())
	case ratelimit.DestCap:
		return api.RateLimited("This destination has had as many codes as allowed for now.", ex.RetryAfterSeconds())
	default:
		return api.RateLimited("Too many requests from your network. Please try again later.", ex.RetryAfterSeconds())
	}
}

// deliver sends the code. A failure leaves the claims in place (they bound what was
// attempted, not what arrived) and answers 503.
func (h *Handler) deliver(ctx context.Context, d contact.Destination, destHash, code string, now time.Time) error {
	tok, _ := h.optout.Issue(optOutAudience, destHash, now, h.cfg.OptOutTTL)
	link := h.cfg.PublicBaseURL + "/v1/optout?token=" + url.QueryEscape(tok)
	if err := h.sender.Send(ctx, notify.CodeMessage(d, code, h.cfg.CodeTTL, link)); err != nil {
		h.metrics.Count(metrics.SendFailed, 1, "Channel", string(d.Channel))
		return api.Unavailable(60, err)
	}
	h.metrics.Count(metrics.CodeSent, 1, "Channel", string(d.Channel))
	return nil
}
