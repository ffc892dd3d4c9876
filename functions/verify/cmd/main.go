// Command verify is the VerifyFunction Lambda.
package main

import (
	"github.com/checkin-registry/registry/functions/verify"
	"github.com/checkin-registry/registry/shared/platform"
)

func main() { platform.Main("verify", verify.Build) }
