// Command retention is the RetentionFunction Lambda.
package main

import (
	"github.com/checkin-registry/registry/functions/retention"
	"github.com/checkin-registry/registry/shared/platform"
)

func main() { platform.Main("retention", retention.Build) }
