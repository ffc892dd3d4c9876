package template_test

import (
	"strings"
	"testing"

	"github.com/checkin-registry/registry/infra/template"
)

// TestInbound checks the inbound proof sources: each is optional by its condition,
// each topic takes messages only from its AWS service, each reaches
// InboundFunction, and that function can send nothing at all.
func TestInbound(t *testing.T) {
	tpl := load(t)
	sources := []struct {
		condition, topic, service, subscription string
	}{
		{"HasInboundWhatsApp", "InboundWhatsAppTopic", "social-messaging.amazonaws.com", "InboundWhatsAppSubscription"},
		{"HasInboundSms", "InboundSmsTopic", "sms-voice.amazonaws.com", "InboundSmsSubscription"},
		{"HasInboundEmail", "InboundEmailTopic", "ses.amazonaws.com", "InboundEmailSubscription"},
	}
	condition := func(id string) string { return template.Get(tpl.Root, "Resources", id, "Condition").Value }
	for _, s := range sources {
		resource(t, tpl, s.topic, "AWS::SNS::Topic")
		for _, id := range []string{s.topic, s.topic + "Policy", s.subscription, strings.TrimSuffix(s.subscription, "Subscription") + "Permission"} {
			if got := condition(id); got != s.condition {
				t.Errorf("%s has condition %q, want %s", id, got, s.condition)
			}
		}
		if !contains(template.Get(tpl.Root, "Resources", s.topic+"Policy"), s.service) {
			t.Errorf("%s may not publish to %s", s.service, s.topic)
		}
		sub := resource(t, tpl, s.subscription, "AWS::SNS::Subscription")
		if !isRef(template.Get(sub, "TopicArn"), s.topic) || !contains(sub, "InboundFunction.Alias") {
			t.Errorf("%s does not deliver %s to InboundFunction", s.subscription, s.topic)
		}
	}
	for _, id := range []string{"InboundReceiptRuleSet", "InboundReceiptRule"} {
		if condition(id) != "HasInboundEmail" {
			t.Errorf("%s is not conditional on HasInboundEmail", id)
		}
	}
	rule := resource(t, tpl, "InboundReceiptRule", "AWS::SES::ReceiptRule")
	if !isRef(template.Get(rule, "Rule", "Recipients").Content[0], "InboundEmailAddress") || !isRef(template.Get(template.Get(rule, "Rule", "Actions").Content[0], "SNSAction", "TopicArn"), "InboundEmailTopic") {
		t.Errorf("the receipt rule does not send mail for InboundEmailAddress to InboundEmailTopic")
	}
	if condition("InboundFunction") != "" {
		t.Errorf("InboundFunction is conditional: the dashboard and its deploy alarm name it")
	}
	policy := template.Get(tpl.Root, "Resources", "InboundFunction", "Properties", "Policies")
	for _, s := range scalars(policy) {
		if strings.HasPrefix(s, "sns:") || strings.HasPrefix(s, "ses:") || strings.HasPrefix(s, "sms-voice:") || strings.HasPrefix(s, "social-messaging:") || s == "*" {
			t.Errorf("InboundFunction may %s: it must never be able to send", s)
		}
	}
	for _, v := range []string{"INBOUND_WHATSAPP_NUMBER", "INBOUND_WHATSAPP_PHONE_NUMBER_ID", "INBOUND_SMS_NUMBER", "INBOUND_EMAIL_ADDRESS"} {
		if template.Get(tpl.Root, "Globals", "Function", "Environment", "Variables", v).Tag != "!Ref" {
			t.Errorf("functions are not given %s", v)
		}
	}
}
