// Command inbound is the InboundFunction Lambda.
package main

import (
	"github.com/checkin-registry/registry/functions/inbound"
	"github.com/checkin-registry/registry/shared/platform"
)

func main() { platform.Main("inbound", inbound.Build) }
