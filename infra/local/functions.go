package local

import (
	"github.com/checkin-registry/registry/functions/alarm"
	"github.com/checkin-registry/registry/functions/feedback"
	"github.com/checkin-registry/registry/functions/helpdesk"
	"github.com/checkin-registry/registry/functions/inbound"
	"github.com/checkin-registry/registry/functions/qr"
	"github.com/checkin-registry/registry/functions/register"
	"github.com/checkin-registry/registry/functions/verify"
	"github.com/checkin-registry/registry/shared/platform"
)

// Builders are the functions the local server can run, by template logical ID.
// Every function in template.yaml must have one: Start refuses a template that
// names a function missing here.
var Builders = map[string]platform.Builder{
	"AlarmFunction":    alarm.Build,
	"FeedbackFunction": feedback.Build,
	"QrFunction":       qr.Build,
	"HelpdeskFunction": helpdesk.Build,
	"InboundFunction":  inbound.Build,
	"RegisterFunction": register.Build,
	"VerifyFunction":   verify.Build,
}

// InboundParameters open every inbound proof source on the local stack, with the
// numbers and address the sample events in events/inbound-*.json are sent to.
var InboundParameters = map[string]string{
	"InboundWhatsAppNumber":        "+60380000000",
	"InboundWhatsAppPhoneNumberId": "100000000000001",
	"InboundSmsNumber":             "+60380000001",
	"InboundEmailAddress":          "daftar@checkin.example",
}
