package local

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/checkin-registry/registry/functions/alarm"
	"github.com/checkin-registry/registry/functions/feedback"
	"github.com/checkin-registry/registry/functions/helpdesk"
	"github.com/checkin-registry/registry/functions/qr"
	"github.com/checkin-registry/registry/functions/register"
	"github.com/checkin-registry/registry/functions/verify"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/process"
)

// Wire builds a function as its main does and answers its Lambda handler, a func
// of a shape lambda.NewHandler takes.
type Wire func(ctx context.Context, env *config.Env, awsCfg aws.Config, rt process.Runtime) (any, error)

// Functions are the functions the local server can run, by template logical ID.
// Every function in template.yaml must have one: Start refuses a template that
// names a function missing here.
var Functions = map[string]Wire{
	"AlarmFunction":    wire(alarm.Wire, func(r *alarm.Responder) any { return r.Handle }),
	"FeedbackFunction": wire(feedback.Wire, func(h *feedback.Handler) any { return h.Handle }),
	"QrFunction":       wire(qr.Wire, func(h *qr.Handler) any { return h.Handle }),
	"VerifyFunction":   wire(verify.Wire, func(h *verify.Handler) any { return h.Handle }),
	"HelpdeskFunction": wire(helpdesk.Wire, func(h *helpdesk.Handler) any { return h.Handle }),
	"RegisterFunction": wire(register.Wire, func(h *register.Handler) any { return h.Handle }),
}

// wire adapts a function's Wire, whose result's Lambda entry point is handle.
func wire[H any](w func(context.Context, *config.Env, aws.Config, process.Runtime) (H, error), handle func(H) any) Wire {
	return func(ctx context.Context, env *config.Env, awsCfg aws.Config, rt process.Runtime) (any, error) {
		h, err := w(ctx, env, awsCfg, rt)
		if err != nil {
			return nil, err
		}
		return handle(h), nil
	}
}
