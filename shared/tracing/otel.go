//go:build tracing

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

// Built is whether this binary has the exporters (the tracing build tag).
const Built = true

// Instrument adds tracing to the clients built from cfg, as getenv's
// OTEL_TRACES_EXPORTER says, for the function named service.
//
// Each span is exported as it ends (a synchronous processor), so nothing is pending
// when Lambda freezes the process between invocations; the collector is on
// localhost.
func Instrument(ctx context.Context, cfg *aws.Config, service string, getenv func(string) string) error {
	v, err := exporter(getenv)
	if err != nil || v == "" {
		return err
	}
	var exp sdktrace.SpanExporter
	if v == "otlp" {
		// Endpoint, headers and timeout from the OTEL_EXPORTER_OTLP_* variables.
		exp, err = otlptracehttp.New(ctx)
	} else {
		exp, err = stdouttrace.New(stdouttrace.WithWriter(stderr))
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
