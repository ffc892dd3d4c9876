package local

import (
	"github.com/checkin-registry/registry/functions/alarm"
	"github.com/checkin-registry/registry/functions/feedback"
	"github.com/checkin-registry/registry/functions/helpdesk"
	"github.com/checkin-registry/registry/functions/qr"
	"github.com/checkin-registry/registry/functions/register"
	"github.com/checkin-registry/registry/functions/retention"
	"github.com/checkin-registry/registry/functions/verify"
	"github.com/checkin-registry/registry/shared/platform"
)

// Builders are the functions the local server can run, by template logical ID.
// Every function in template.yaml must have one: Start refuses a template that
// names a function missing here.
var Builders = map[string]platform.Builder{
	"AlarmFunction":     alarm.Build,
	"FeedbackFunction":  feedback.Build,
	"QrFunction":        qr.Build,
	"HelpdeskFunction":  helpdesk.Build,
	"RegisterFunction":  register.Build,
	"RetentionFunction": retention.Build,
	"VerifyFunction":    verify.Build,
}
