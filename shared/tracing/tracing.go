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
//
// The OpenTelemetry SDK and exporters are linked only with the build tag tracing
// (TRACING=1 make build; go run -tags tracing ./infra/local/cmd): without it a
// function links none of them, so tracing that is off costs nothing at start-up,
// and an exporter asked of such a binary is a start-up error rather than silence.
package tracing

import "fmt"

// exporter answers OTEL_TRACES_EXPORTER, "" for none.
func exporter(getenv func(string) string) (string, error) {
	switch v := getenv("OTEL_TRACES_EXPORTER"); v {
	case "", "none":
		return "", nil
	case "otlp", "console", "stdout":
		return v, nil
	default:
		return "", fmt.Errorf("OTEL_TRACES_EXPORTER %q: want otlp, console or none", v)
	}
}
