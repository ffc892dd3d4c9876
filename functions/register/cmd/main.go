// Command register is the RegisterFunction Lambda.
package main

import (
	"github.com/checkin-registry/registry/functions/register"
	"github.com/checkin-registry/registry/shared/platform"
)

func main() { platform.Main("register", register.Build) }
