//go:build !tracing

package tracing_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/checkin-registry/registry/shared/tracing"
)

func env(v string) func(string) string {
	return func(k string) string {
		if k == "OTEL_TRACES_EXPORTER" {
			return v
		}
		return ""
	}
}

// Without the tracing tag nothing is instrumented, and asking for spans is an
// error at start-up rather than a silence.
func TestWithoutTheTag(t *testing.T) {
	for v, wantErr := range map[string]string{"": "", "none": "", "otlp": "tracing tag", "console": "tracing tag", "jaeger": "want otlp"} {
		var cfg aws.Config
		err := tracing.Instrument(context.Background(), &cfg, "register", env(v))
		if (err == nil) != (wantErr == "") || err != nil && !strings.Contains(err.Error(), wantErr) || len(cfg.APIOptions) != 0 {
			t.Errorf("OTEL_TRACES_EXPORTER=%q: %v (%d API options), want %q", v, err, len(cfg.APIOptions), wantErr)
		}
	}
	if tracing.Built {
		t.Error("Built without the tag")
	}
}

// The cost of the hook when tracing is off: what every cold start pays.
func BenchmarkInstrumentOff(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		var cfg aws.Config
		if err := tracing.Instrument(ctx, &cfg, "register", os.Getenv); err != nil {
			b.Fatal(err)
		}
	}
}
