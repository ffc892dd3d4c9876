//go:build !tracing

package tracing

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Built is whether this binary has the exporters (the tracing build tag).
const Built = false

// Instrument checks OTEL_TRACES_EXPORTER and leaves cfg alone: this binary has no
// exporter (built without the tracing tag), so asking for one is an error.
func Instrument(_ context.Context, _ *aws.Config, _ string, getenv func(string) string) error {
	v, err := exporter(getenv)
	if err == nil && v != "" {
		err = fmt.Errorf("OTEL_TRACES_EXPORTER=%s, but this binary was built without the tracing tag", v)
	}
	return err
}
