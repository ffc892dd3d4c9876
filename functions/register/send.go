package register

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/mode"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/otp"
	"github.com/checkin-registry/registry/shared/plan"
	"github.com/checkin-registry/registry/shared/pow"
	"github.com/checkin-registry/registry/shared/store"
)

// optOutAudience is the audience of the tokens in opt-out links.
const optOutAudience = "optout"

// sendRequest is a request for a code: a new registration, or a resend of one.
type sendRequest struct {
	action string
	// dest and reg are the destination and the registration to create; for a
	// resend, reg holds only the ID, and both come from the one read.
	dest   contact.Destination
	reg    store.Registration
	resend bool
	altcha string
	now    time.Time
}

// attempt is one request on its way through the send plan.
type attempt struct {
	sendRequest
	mode      mode.Mode
	subject   identity.Subject
	reading   *plan.Reading
	challenge *pow.Claim
	// silent is set for a suppressed destination: it is answered and limited like
	// any other, but no code goes out and none can match.
	silent bool
	// suppressed is why a request is silent where it is not a sign-in to a
	// contact without venues (which is checked like any other).
	suppressed bool
	code       string
	expires    time.Time
	// trimmed is set once a log too long to prepend to was learnt for trimming.
	trimmed bool
}

// sendCode is the one path by which a code leaves the service. In order: the
// protection mode; one read of the registration (for a resend), the suppressions
// and every limit the plan declares; the client's limits; proof of work where the
// mode or the client's volume demands it; the destination's and the channel's
// limits; then one transaction that claims them all and writes the registration;
// and only then the message. A request refused by a destination or channel limit
// still counts against its client, so probing costs the prober. A suppressed
// destination goes the same way and gets the same answers; only no code is sent.
// So does a sign-in for a contact that owns no venue: its read includes the
// contact's account item whether or not there is one, and it is limited, claimed
// and answered like any other, but silent; and every sign-in answers at the
// same time after it began, sent or not (dispatch).
// A refusal (429 or 503) says whether inbound proof is open instead.
func (h *Handler) sendCode(ctx context.Context, req events.APIGatewayProxyRequest, r sendRequest) (sentResponse, error) {
	a := &attempt{sendRequest: r}
	sent, err := h.send(ctx, req, a)
	return sent, h.offerInbound(err, a.dest.Channel)
}

func (h *Handler) send(ctx context.Context, req events.APIGatewayProxyRequest, a *attempt) (sentResponse, error) {
	r := a.sendRequest
	m, err := h.modes.Current(ctx)
	if err != nil {
		return sentResponse{}, api.Unavailable(5, err)
	}
	if !r.resend {
		if err := h.paused(m, r.dest.Channel); err != nil {
			return sentResponse{}, err
		}
	}
	ip, err := h.cfg.Client.IP(req)
	if err != nil {
		return sentResponse{}, err
	}
	a.mode, a.subject = m, h.ids.Requester(ip)
	var keys []string
	if r.resend {
		keys = append(keys, store.RegistrationKey(r.reg.ID))
	} else {
		a.subject = h.ids.Subject(r.dest, ip)
		keys = append(keys, store.SuppressionKey(a.subject.Destination), store.SuppressionKey(a.subject.Address))
		if r.reg.Kind == store.SignIn {
			keys = append(keys, store.VerifiedContactKey(a.subject.Destination))
		}
	}
	keys = append(keys, h.cfg.Limits.Keys(a.subject, r.now)...)
	items, err := h.store.GetMany(ctx, keys, r.now)
	if err != nil {
		return sentResponse{}, err
	}
	a.reading = h.cfg.Limits.Read(items, a.subject, r.now)
	if r.resend {
		if err := h.resendable(a, items, ip); err != nil {
			return sentResponse{}, err
		}
	}
	a.suppressed = a.reg.Silent || items.Suppressed(a.subject.Destination, a.subject.Address)
	a.silent = a.suppressed || r.reg.Kind == store.SignIn && !items.OwnsVenues(a.subject.Destination)
	hardness := h.hardness(a.reading, a.subject)
	if err := h.admitClient(a, hardness); err != nil {
		return sentResponse{}, err
	}
	ref, err := a.reading.Check(a.subject, plan.Sent)
	if err != nil {
		return sentResponse{}, err
	}
	if ref != nil && ref.Limit.Answer.Status == 428 && a.challenge == nil && a.altcha != "" {
		// The open share past its free part: a solved challenge lifts it.
		if err := h.solved(a, hardness); err != nil {
			return sentResponse{}, err
		}
		if ref, err = a.reading.Check(a.subject, plan.Sent); err != nil {
			return sentResponse{}, err
		}
	}
	if ref != nil {
		return sentResponse{}, h.refuse(ctx, a, ref)
	}
	if a.code, err = otp.Generate(h.rand, h.cfg.CodeDigits); err != nil {
		return sentResponse{}, err
	}
	a.expires = r.now.Add(h.cfg.CodeTTL)
	reg, err := h.commit(ctx, a)
	if err != nil {
		return sentResponse{}, err
	}
	if err := h.dispatch(ctx, a); err != nil {
		return sentResponse{}, err
	}
	return sentResponse{
		RegistrationID: reg.ID, Channel: reg.Channel, Destination: a.dest.Masked(),
		ExpiresAt: a.expires.UTC().Format(time.RFC3339), ResendAfter: h.resendAt(reg).UTC().Format(time.RFC3339),
	}, nil
}

// admitClient applies what every request on the send path pays, whether or not
// anything is sent: the client's limits, and proof of work where the mode or the
// client's volume or its network's unverified codes demand it.
func (h *Handler) admitClient(a *attempt, hardness int64) error {
	ref, err := a.reading.Check(a.subject, plan.EveryRequest)
	if err != nil {
		return err
	}
	if ref != nil && ref.Limit.Answer.Status != 428 {
		return h.cfg.Limits.Refused(ref, h.metrics)
	}
	if ref != nil || a.mode != mode.Normal || hardness > 1 {
		if err := h.solved(a, hardness); err != nil {
			return err
		}
		// Solved: any client limit declared after the threshold is checked too.
		if ref, err = a.reading.Check(a.subject, plan.EveryRequest); err != nil {
			return err
		} else if ref != nil {
			return h.cfg.Limits.Refused(ref, h.metrics)
		}
	}
	return nil
}

// solved checks the request's solved challenge, at least hardness times as hard
// as POW_MAX_NUMBER, and lifts the limits a challenge lifts.
func (h *Handler) solved(a *attempt, hardness int64) error {
	c, err := h.challenger.Require(a.altcha, a.now, h.metrics)
	if err != nil {
		return err
	}
	if c.MaxNumber < h.cfg.PoWMaxNumber*hardness {
		h.metrics.Count(metrics.ChallengeFailed, 1)
		return pow.ChallengeRequired("Your network must solve a harder challenge: fetch a new one from GET /v1/challenge.")
	}
	a.challenge = &c
	a.reading.Waive()
	return nil
}

// paused refuses SMS in lockdown.
func (h *Handler) paused(m mode.Mode, ch contact.Channel) error {
	if m != mode.Lockdown || ch != contact.SMS {
		return nil
	}
	h.metrics.Count(metrics.SendBlocked, 1, "Limit", "lockdown")
	e := api.Unavailable(300, nil)
	e.Message = "Codes by SMS are paused for now. Please use an e-mail address or try again later."
	return e
}

// resendable takes a resend's registration from items and checks that it may
// have another code; its destination completes the attempt's subject.
func (h *Handler) resendable(a *attempt, items store.Items, ip string) error {
	reg, err := items.Registration(a.reg.ID)
	now := a.now
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && reg.Kind != "":
		// A sign-in is not resent here: a new POST /v1/sessions is its resend.
		return api.Errorf(api.CodeNotFound, "No such registration.")
	case err != nil:
		return err
	case reg.Status != store.Pending:
		return api.Errorf(api.CodeInvalidRequest, "This registration is already verified.")
	case reg.Inbound:
		return api.Errorf(api.CodeInvalidRequest, "This registration is proven by a message you send; no code is sent for it.")
	case reg.Attempts >= h.cfg.MaxAttempts:
		return api.TooManyAttempts(time.Unix(reg.TTL, 0), now)
	case reg.Sends > h.cfg.MaxResends:
		return api.RateLimited("No more codes can be sent for this registration; start a new one.", int(time.Unix(reg.TTL, 0).Sub(now).Seconds()))
	}
	if wait := h.resendAt(reg).Sub(now); wait > 0 {
		return api.RateLimited("Please wait before asking for another code.", int((wait+time.Second-1)/time.Second))
	}
	dest, err := h.redestination(contact.Destination{Channel: contact.Channel(reg.Channel), Address: reg.Destination})
	if err != nil {
		return err
	}
	if err := h.paused(a.mode, dest.Channel); err != nil {
		return err
	}
	a.reg, a.dest, a.subject = reg, dest, h.ids.Subject(dest, ip)
	return nil
}

// commit claims every limit and writes the registration in one transaction, and
// explains a cancelled one.
func (h *Handler) commit(ctx context.Context, a *attempt) (store.Registration, error) {
	send := a.reg.Sends + 1
	hash := otp.Hash(h.codeKey, a.reg.ID, send, a.code)
	if a.silent {
		// A hash of a random code no one will ever see: no code can match it.
		hash = otp.Hash(h.codeKey, a.reg.ID, send, a.code+"-silent")
	}
	tx, err := h.tx(a, "sent", plan.EveryRequest, plan.Sent)
	if err != nil {
		return store.Registration{}, err
	}
	if !a.suppressed {
		// A resend learns its destination from the read, so its suppressions
		// were not read: these checks decide for it.
		tx.CheckNotSuppressed(a.subject.Destination, a.now)
		tx.CheckNotSuppressed(a.subject.Address, a.now)
	}
	reg := a.reg
	reg.Sends, reg.LastSentAt = send, a.now.Unix()
	if a.resend {
		tx.ResendRegistration(a.reg, hash, a.expires.Unix(), a.now.Unix(), h.cfg.MaxAttempts) // conditional on a.reg as read
	} else {
		reg.CodeHash, reg.CodeExpiresAt, reg.Silent, reg.DestinationHash = hash, a.expires.Unix(), a.silent, a.subject.Destination
		reg.ClientHash, reg.NetworkHash, reg.PrefixHash = a.subject.Client, a.subject.Network, a.subject.Prefix
		if err := tx.PutRegistration(reg); err != nil {
			return store.Registration{}, err
		}
	}
	err = h.store.Commit(ctx, tx)
	var failed *store.ConditionFailed
	if errors.As(err, &failed) && failed.Name == store.SuppressedName && !a.suppressed {
		// Suppressed a moment ago (or not read): answer like any suppressed
		// destination, so the response never reveals the block.
		a.silent, a.suppressed = true, true
		return h.commit(ctx, a)
	}
	if failed != nil && !a.trimmed && a.reading.Learn(failed, a.subject) {
		a.trimmed = true
		return h.commit(ctx, a)
	}
	if err != nil {
		return store.Registration{}, h.explain(ctx, a, err, true)
	}
	return reg, nil
}

// tx is the transaction of an admitted request: its challenge, its claims on
// the limits of sides, and its audit record with outcome.
func (h *Handler) tx(a *attempt, outcome string, sides ...plan.Side) (*store.Tx, error) {
	tx := h.store.Tx()
	if a.challenge != nil {
		tx.ClaimChallenge(a.challenge.ID, a.challenge.Expires)
	}
	if err := a.reading.Claim(tx, a.subject, sides...); err != nil {
		return nil, err
	}
	if a.silent && outcome == "sent" {
		outcome = "suppressed"
	}
	id, err := store.NewID(h.rand)
	if err != nil {
		return nil, err
	}
	return tx, tx.PutAudit(id, store.Audit{At: a.now.Unix(), Action: a.action, Channel: string(a.subject.Channel),
		DestHash: a.subject.Destination, IPHash: a.subject.Client, NetHash: a.subject.Network, Mode: string(a.mode),
		Outcome: outcome, Subject: a.reg.ID, TTL: a.now.Add(h.cfg.AuditTTL).Unix()})
}

// refuse records a request refused by a destination or channel limit against its
// client, then answers the refusal.
func (h *Handler) refuse(ctx context.Context, a *attempt, ref *plan.Refusal) error {
	tx, err := h.tx(a, ref.Limit.Name, plan.EveryRequest)
	if err != nil {
		return err
	}
	blocked, err := a.reading.BlockOn(tx, ref, a.subject)
	if err != nil {
		return err
	}
	if err := h.store.Commit(ctx, tx); err != nil {
		return h.explain(ctx, a, err, false)
	}
	if blocked {
		h.metrics.Count(metrics.PrefixBlocked, 1, "Channel", string(a.subject.Channel))
		h.log.WarnContext(ctx, "number range blocked", "limit", ref.Limit.Name, "for", ref.Limit.Block.String())
	}
	return h.cfg.Limits.Refused(ref, h.metrics)
}

// explain answers a cancelled transaction from the condition that failed. Where
// it was a destination or channel limit and sent is set, the client's claims are
// still recorded.
func (h *Handler) explain(ctx context.Context, a *attempt, err error, sent bool) error {
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
	case store.RegistrationName:
		return api.RateLimited("Another request for this registration is in progress; please wait.", int(h.cfg.ResendWait/time.Second))
	}
	ref, xerr := a.reading.Explain(failed, a.subject)
	switch {
	case xerr != nil:
		return xerr
	case ref == nil:
		return api.Unavailable(1, err) // a lost race that no limit explains
	case sent && ref.Limit.Side == plan.Sent:
		return h.refuse(ctx, a, ref)
	}
	return h.cfg.Limits.Refused(ref, h.metrics)
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
