// Package attacksim is the attack simulator (`make attack-sim`): it runs the real
// register, verify and helpdesk handlers against the local emulator, in virtual
// time that jumps from one request to the next through the handlers' injected
// clock, with a configurable botnet and honest businesses, and measures what the
// limits let through: unsolicited messages, honest businesses' success and time
// to proof, the attacker's proof-of-work CPU, DynamoDB calls and cost.
//
// Clients are modelled, handlers are not: a simulated client that must solve a
// challenge is charged the hashes a brute-force solve of it takes (the challenge's
// number, which pow.Challenger.Issue answers) at its own hash rate, in virtual
// time, instead of doing them; the handler checks the solution as for any client.
// Messages are recorded, not handed to SNS or SES.
package attacksim

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/smithy-go/logging"

	"github.com/checkin-registry/registry/functions/helpdesk"
	"github.com/checkin-registry/registry/functions/inbound"
	"github.com/checkin-registry/registry/functions/register"
	"github.com/checkin-registry/registry/functions/verify"
	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/pow"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/secret"
	"github.com/checkin-registry/registry/shared/store"
)

// handler is what every API function's handler is.
type handler interface {
	Handle(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)
}

// stack is one scenario's private table in the emulator and the handlers over it.
type stack struct {
	clock    *apitest.Clock
	meter    *meter
	outbox   *outbox
	metrics  *bytes.Buffer
	handlers map[string]handler
	// challenger mints challenges with the service's key, for solvers that know
	// the number (see the package comment).
	challenger pow.Challenger
	// inbound takes the messages businesses send to prove their contact.
	inbound *inbound.Handler
}

// newStack provisions the template under a fresh prefix in the emulator at url
// and builds the register, verify and helpdesk functions as their Lambdas would,
// with env added to each one's environment, the clock as their Now and the
// meter as their table's client.
func newStack(ctx context.Context, url string, clock *apitest.Clock, env map[string]string) (*stack, error) {
	awsCfg, err := moto.Config(ctx, url)
	if err != nil {
		return nil, err
	}
	awsCfg.Logger = logging.Nop{} // the emulator's connection quirks are not the simulation's news
	c := moto.NewClients(awsCfg)
	st, err := moto.Provision(ctx, c, filepath.Join(moto.Root(), "template.yaml"), "sim"+moto.RandomHex(5), nil)
	if err != nil {
		return nil, err
	}
	s := &stack{clock: clock, meter: &meter{Client: c.DynamoDB}, outbox: &outbox{}, metrics: &bytes.Buffer{},
		handlers: map[string]handler{}}
	envOf := func(id string) *config.Env {
		all := st.Env(id)
		// Proof by SMS to us is open, as in a deployment that has a number for it.
		all["INBOUND_SMS_NUMBER"] = "+60380000001"
		for k, v := range env {
			all[k] = v
		}
		return config.FromMap(all)
	}
	runtime := func(id string) process.Runtime {
		rt := process.New(strings.ToLower(strings.TrimSuffix(id, "Function")), slog.New(slog.NewTextHandler(io.Discard, nil)), s.metrics)
		rt.Now, rt.WrapSender = clock.Now, s.outbox.wrap
		return rt
	}
	e := envOf("RegisterFunction")
	table := store.New(s.meter, e.Required("TABLE_NAME"))
	secrets := secret.FromEnv(e, awsCfg)
	keys, err := secrets.Keys(ctx)
	if err != nil {
		return nil, err
	}
	rcfg, err := register.LoadConfig(e)
	if err != nil {
		return nil, err
	}
	rt := runtime("RegisterFunction")
	s.handlers["RegisterFunction"] = register.New(rcfg, table, register.Senders(e, awsCfg, rt), secrets, rt)
	s.challenger = pow.NewChallenger(keys, rcfg.PoWMaxNumber, rcfg.PoWTTL, rt.Rand)
	vcfg, err := verify.LoadConfig(envOf("VerifyFunction"))
	if err != nil {
		return nil, err
	}
	s.handlers["VerifyFunction"] = verify.New(vcfg, table, secrets, runtime("VerifyFunction"))
	icfg, err := inbound.LoadConfig(envOf("InboundFunction"))
	if err != nil {
		return nil, err
	}
	s.inbound = inbound.New(icfg, table, secrets, runtime("InboundFunction"))
	e = envOf("HelpdeskFunction")
	hcfg, err := helpdesk.LoadConfig(e)
	if err != nil {
		return nil, err
	}
	rt = runtime("HelpdeskFunction")
	s.handlers["HelpdeskFunction"] = helpdesk.New(hcfg, table, helpdesk.Senders(e, awsCfg, rt), secrets, rt)
	return s, nil
}

// call hands req to the function as Lambda would.
func (s *stack) call(function string, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	s.meter.requests.Add(1)
	resp, err := s.handlers[function].Handle(context.Background(), req)
	if err != nil {
		return events.APIGatewayProxyResponse{StatusCode: 500, Body: `{"error":{"code":"internal"}}`}
	}
	return resp
}

// outbox records every message instead of handing it to SNS or SES.
type outbox struct {
	mu   sync.Mutex
	byTo map[string][]notify.Message
	// onSend, if set, is told of each message.
	onSend func(notify.Message)
}

func (o *outbox) wrap(notify.Sender) notify.Sender {
	return notify.SenderFunc(func(_ context.Context, m notify.Message) error {
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.byTo == nil {
			o.byTo = map[string][]notify.Message{}
		}
		o.byTo[m.To] = append(o.byTo[m.To], m)
		if o.onSend != nil {
			o.onSend(m)
		}
		return nil
	})
}

var codeRE = regexp.MustCompile(`code is (\d{4,10})`)

// lastCode is the code in the last SMS to address, or "".
func (o *outbox) lastCode(address string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	msgs := o.byTo[address]
	if len(msgs) == 0 {
		return ""
	}
	if m := codeRE.FindStringSubmatch(msgs[len(msgs)-1].Body); m != nil {
		return m[1]
	}
	return ""
}
