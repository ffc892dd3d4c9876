//go:build tracing

package tracing

import "io"

// SetOutput points the console exporter at w.
func SetOutput(w io.Writer) { stderr = w }
