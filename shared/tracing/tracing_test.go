//go:build tracing

package tracing_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/tracing"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

func env(v string) func(string) string {
	return func(k string) string {
		if k == "OTEL_TRACES_EXPORTER" {
			return v
		}
		return ""
	}
}

// Off, the SDK configuration is untouched: no middleware, no span.
func TestOffLeavesTheConfigAlone(t *testing.T) {
	for _, v := range []string{"", "none"} {
		var cfg aws.Config
		if err := tracing.Instrument(context.Background(), &cfg, "register", env(v)); err != nil || len(cfg.APIOptions) != 0 {
			t.Fatalf("OTEL_TRACES_EXPORTER=%q: %d API options, err %v, want none", v, len(cfg.APIOptions), err)
		}
	}
	if err := tracing.Instrument(context.Background(), &aws.Config{}, "register", env("jaeger")); err == nil {
		t.Fatal("an unknown exporter was accepted")
	}
}

// With the console exporter, a DynamoDB call against the emulator ends as a span
// that names the service and the operation.
func TestConsoleSpanOfAnSDKCall(t *testing.T) {
	var out mototest.SyncBuffer
	tracing.SetOutput(&out)
	ctx := context.Background()
	cfg, err := moto.Config(ctx, mototest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := tracing.Instrument(ctx, &cfg, "register", env("console")); err != nil {
		t.Fatal(err)
	}
	if _, err := dynamodb.NewFromConfig(cfg).ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Fatal(err)
	}
	var span struct {
		Name        string
		SpanContext struct{ TraceID string }
		Resource    []struct {
			Key   string
			Value struct{ Value any }
		}
	}
	line, _, _ := strings.Cut(out.String(), "\n")
	if err := json.Unmarshal([]byte(line), &span); err != nil {
		t.Fatalf("no span written: %v\n%s", err, out.String())
	}
	if span.Name != "DynamoDB.ListTables" || len(span.SpanContext.TraceID) != 32 {
		t.Errorf("span %q trace %q, want DynamoDB.ListTables with a trace id", span.Name, span.SpanContext.TraceID)
	}
	if !strings.Contains(line, `"service.name"`) || !strings.Contains(line, `"register"`) {
		t.Errorf("span does not name the service register: %s", line)
	}
}

// The same hook with a tracer provider and the SDK middleware, for comparison.
func BenchmarkInstrumentConsole(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		var cfg aws.Config
		if err := tracing.Instrument(ctx, &cfg, "register", env("console")); err != nil {
			b.Fatal(err)
		}
	}
}
