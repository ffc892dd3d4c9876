// Command helpdesk is the HelpdeskFunction Lambda.
package main

import (
	"github.com/checkin-registry/registry/functions/helpdesk"
	"github.com/checkin-registry/registry/shared/platform"
)

func main() { platform.Main("helpdesk", helpdesk.Build) }
