package local

import (
	"context"
	"io"
	"log/slog"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// LogHandler writes what lambdacontext.NewLogHandler writes in Lambda under
// LoggingConfig LogFormat JSON: one slog JSON object a line, with Lambda's key
// names (timestamp, message) and the invocation's requestId, here to w (in Lambda
// it is standard output, chosen by AWS_LAMBDA_LOG_FORMAT when the process starts).
func LogHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return requestID{slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: lambdacontext.ReplaceAttr})}
}

// requestID adds the Lambda request id of the context to each record.
type requestID struct{ slog.Handler }

func (h requestID) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestID) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestID{h.Handler.WithAttrs(attrs)}
}

func (h requestID) WithGroup(name string) slog.Handler { return requestID{h.Handler.WithGroup(name)} }
