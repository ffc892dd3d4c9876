// Command alarm is the AlarmFunction Lambda.
package main

import (
	"github.com/checkin-registry/registry/functions/alarm"
	"github.com/checkin-registry/registry/shared/platform"
)

func main() { platform.Main("alarm", alarm.Build) }
