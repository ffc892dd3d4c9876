// Package tracing records an OpenTelemetry span for every AWS SDK call (otelaws) and
// exports them as the standard OTEL_TRACES_EXPORTER variable says:
//
//   - otlp: OTLP over HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, in Lambda the AWS Distro
//     for OpenTelemetry collector layer on localhost:4318, which sends them to X-Ray
//     (the template sets both when TracingLayerArn is given);
//   - console (or stdout): one JSON span a line on standard error, to look at locally;
//   - none, or unset: nothing, and the SDK configuration is left as it was.
//
// Instrument is the one hook: the wiring calls it once, on the SDK configuration,
// before building the clients.
package tracing

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	//lint:ignore SA1019 otelaws is the SDK instrumentation this project was asked to use; its
	// maintainers have marked it unsupported (the SDK's own tracing, smithy-go's
	// smithyoteltracing adapter, is the way on): see docs/runbook.md, Tracing.
	"go.opentelemetry.io/contrib/instrumentation/github.com/aws/aws-sdk-go-v2/otelaws"
	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

// Instrument adds tracing to the clients built from cfg, as getenv's
// OTEL_TRACES_EXPORTER says, for the function named service.
//
// Each span is exported as it ends (a synchronous processor), so nothing is pending
// when Lambda freezes the process between invocations; the collector is on
// localhost.
func Instrument(ctx context.Context, cfg *aws.Config, service string, getenv func(string) string) error {
	var exp sdktrace.SpanExporter
	var err error
	switch v := getenv("OTEL_TRACES_EXPORTER"); v {
	case "", "none":
		return nil
	case "otlp":
		// Endpoint, headers and timeout from the OTEL_EXPORTER_OTLP_* variables.
		exp, err = otlptracehttp.New(ctx)
	case "console", "stdout":
		exp, err = stdouttrace.New(stdouttrace.WithWriter(stderr))
	default:
		return fmt.Errorf("OTEL_TRACES_EXPORTER %q: want otlp, console or none", v)
	}
	if err != nil {
		return fmt.Errorf("trace exporter: %w", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSyncer(exp),
		// X-Ray takes trace ids whose first 32 bits are the start time.
		sdktrace.WithIDGenerator(xray.NewIDGenerator()),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(service))),
	)
	otelaws.AppendMiddlewares(&cfg.APIOptions, otelaws.WithTracerProvider(tp), otelaws.WithTextMapPropagator(xray.Propagator{}))
	return nil
}

// stderr is where the console exporter writes; tests replace it.
var stderr io.Writer = os.Stderr
