// Command feedback is the FeedbackFunction Lambda.
package main

import (
	"github.com/checkin-registry/registry/functions/feedback"
	"github.com/checkin-registry/registry/shared/platform"
)

func main() { platform.Main("feedback", feedback.Build) }
