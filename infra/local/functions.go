package local

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/checkin-registry/registry/functions/alarm"
	"github.com/checkin-registry/registry/functions/feedback"
	"github.com/checkin-registry/registry/functions/helpdesk"
	"github.com/checkin-registry/registry/functions/inbound"
	"github.com/checkin-registry/registry/functions/qr"
	"github.com/checkin-registry/registry/functions/register"
	"github.com/checkin-registry/registry/functions/verify"
	"github.com/checkin-registry/registry/shared/api"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/process"
)

// Function is a function built as its main builds it.
type Function struct {
	// Handler is its Lambda entry point, a func of a shape lambda.NewHandler takes.
	Handler any
	// Routes are the API routes it serves (none for a function API Gateway does
	// not front).
	Routes []api.Route
}

// Wire builds a function as its main does.
type Wire func(ctx context.Context, env *config.Env, awsCfg aws.Config, rt process.Runtime) (Function, error)

// Functions are the functions the local server can run, by template logical ID.
// Every function in template.yaml must have one: Start refuses a template that
// names a function missing here.
var Functions = map[string]Wire{
	"AlarmFunction":    wire(alarm.Wire, func(r *alarm.Responder) any { return r.Handle }),
	"FeedbackFunction": wire(feedback.Wire, func(h *feedback.Handler) any { return h.Handle }),
	"QrFunction":       wire(qr.Wire, func(h *qr.Handler) any { return h.Handle }),
	"VerifyFunction":   wire(verify.Wire, func(h *verify.Handler) any { return h.Handle }),
	"HelpdeskFunction": wire(helpdesk.Wire, func(h *helpdesk.Handler) any { return h.Handle }),
	"InboundFunction":  wire(inbound.Wire, func(h *inbound.Handler) any { return h.Handle }),
	"RegisterFunction": wire(register.Wire, func(h *register.Handler) any { return h.Handle }),
}

// wire adapts a function's Wire, whose result's Lambda entry point is handle.
func wire[H any](w func(context.Context, *config.Env, aws.Config, process.Runtime) (H, error), handle func(H) any) Wire {
	return func(ctx context.Context, env *config.Env, awsCfg aws.Config, rt process.Runtime) (Function, error) {
		h, err := w(ctx, env, awsCfg, rt)
		if err != nil {
			return Function{}, err
		}
		f := Function{Handler: handle(h)}
		if r, ok := any(h).(interface{ Routes() []api.Route }); ok {
			f.Routes = r.Routes()
		}
		return f, nil
	}
}

// InboundParameters open every inbound proof source on the local stack, with the
// numbers and address the sample events in events/inbound-*.json are sent to.
var InboundParameters = map[string]string{
	"InboundWhatsAppNumber":        "+60380000000",
	"InboundWhatsAppPhoneNumberId": "100000000000001",
	"InboundSmsNumber":             "+60380000001",
	"InboundEmailAddress":          "daftar@checkin.example",
}
