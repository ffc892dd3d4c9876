// Command qr is the QrFunction Lambda.
package main

import (
	"github.com/checkin-registry/registry/functions/qr"
	"github.com/checkin-registry/registry/shared/platform"
)

func main() { platform.Main("qr", qr.Build) }
