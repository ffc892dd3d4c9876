package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/checkin-registry/registry/infra/local"
)

// logLine writes the record every function writes: an InfoContext line inside an
// invocation, from a logger with the function's name.
func logLine(h slog.Handler) {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	slog.New(h).With("function", "register").InfoContext(ctx, "code sent", "channel", "sms")
}

// TestLambdaLogLine is the child of TestLogShape: lambdacontext reads
// AWS_LAMBDA_LOG_FORMAT once, when the process starts, so Lambda's own JSON line
// comes from a process started with it.
func TestLambdaLogLine(t *testing.T) {
	if os.Getenv("LOG_SHAPE_CHILD") == "" {
		t.Skip("run by TestLogShape")
	}
	logLine(lambdacontext.NewLogHandler())
}

func TestLogShape(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestLambdaLogLine$")
	cmd.Env = append(os.Environ(), "LOG_SHAPE_CHILD=1", "AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_LOG_LEVEL=INFO")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var lambda map[string]any
	if err := json.Unmarshal(bytes.SplitN(out, []byte("\n"), 2)[0], &lambda); err != nil {
		t.Fatalf("Lambda's line is not JSON: %v\n%s", err, out)
	}
	var buf bytes.Buffer
	logLine(local.LogHandler(&buf, slog.LevelInfo))
	var ours map[string]any
	if err := json.Unmarshal(buf.Bytes(), &ours); err != nil {
		t.Fatalf("the local line is not JSON: %v\n%s", err, buf.Bytes())
	}
	if got, want := slices.Sorted(maps.Keys(ours)), slices.Sorted(maps.Keys(lambda)); !slices.Equal(got, want) {
		t.Fatalf("local keys %v, Lambda's %v", got, want)
	}
	for k, v := range lambda {
		if k != "timestamp" && ours[k] != v {
			t.Errorf("%s: local %v, Lambda %v", k, ours[k], v)
		}
	}
	if lambda["requestId"] != "req-1" || lambda["message"] != "code sent" {
		t.Errorf("Lambda's line %v lacks the request id or the message", lambda)
	}
}
