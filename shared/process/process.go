// Package process is what every function is given by the process it runs in,
// the same way in Lambda, the local server and tests: where it logs, where its
// metrics go, its clock and its randomness, and a hook around the senders it
// builds. It links no AWS client: each function's Wire builds its own.
package process

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/notify"
)

// Runtime is a function's process-wide dependencies.
type Runtime struct {
	Log     *slog.Logger
	Metrics *metrics.Recorder
	Now     func() time.Time
	// Sleep waits d on Now's clock, or until ctx is done: tests that set Now
	// set a Sleep that moves their clock on.
	Sleep func(ctx context.Context, d time.Duration) error
	Rand  io.Reader
	// WrapSender, if set, wraps every sender the function builds: the local
	// outbox and the tests see each message that reaches SES or SNS.
	WrapSender func(notify.Sender) notify.Sender
}

// New is the runtime of function: logs through log (with the attribute
// function), EMF metrics lines to metricsOut, the system clock and crypto/rand.
func New(function string, log *slog.Logger, metricsOut io.Writer) Runtime {
	return Runtime{
		Log:     log.With("function", function),
		Metrics: &metrics.Recorder{W: metricsOut, Function: function, Now: time.Now},
		Now:     time.Now,
		Sleep:   Sleep,
		Rand:    rand.Reader,
	}
}

// Sleep waits d on the system clock, or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Lambda is the runtime of function in Lambda: Lambda's JSON log format with the
// request id, and metrics on standard output, where CloudWatch Logs reads them.
func Lambda(function string) Runtime {
	return New(function, slog.New(lambdacontext.NewLogHandler()), os.Stdout)
}

// Sender is s wrapped by WrapSender, if set.
func (rt Runtime) Sender(s notify.Sender) notify.Sender {
	if rt.WrapSender == nil {
		return s
	}
	return rt.WrapSender(s)
}

// Fail logs a start-up error and exits, before any request is taken.
func (rt Runtime) Fail(err error) {
	rt.Log.Error("start-up failed", "err", err)
	os.Exit(1)
}

// SNSMessages hands the message of every record of an SNS event to handle and
// joins their errors: any error makes Lambda deliver the whole event again, so
// handle must be safe to repeat.
func SNSMessages(ctx context.Context, ev events.SNSEvent, handle func(context.Context, string) error) error {
	var errs []error
	for _, rec := range ev.Records {
		if err := handle(ctx, rec.SNS.Message); err != nil {
			errs = append(errs, fmt.Errorf("sns message %s: %w", rec.SNS.MessageID, err))
		}
	}
	return errors.Join(errs...)
}
