package template_test

// The production pieces of template.yaml that issue 6 asks for, checked on the
// parsed YAML (gopkg.in/yaml.v3 through this package) rather than with
// awslabs/goformation: the checks need the intrinsic tags (!Ref, !Sub, !If) as
// written, SAM-only properties (Models, RequestModel, FilterPolicyScope), and no
// new dependency. cfn-lint (make lint) checks the same template against the
// CloudFormation and SAM schemas.

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/checkin-registry/registry/functions/alarm"
	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/infra/template"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/mode"
	"github.com/checkin-registry/registry/shared/ratelimit"
)

func load(t *testing.T) *template.Template {
	t.Helper()
	tpl, err := template.Load(filepath.Join(moto.Root(), "template.yaml"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func resource(t *testing.T, tpl *template.Template, id, typ string) *yaml.Node {
	t.Helper()
	if got := tpl.Resources[id]; got != typ {
		t.Fatalf("resource %s is %q, want %s", id, got, typ)
	}
	return template.Get(tpl.Root, "Resources", id, "Properties")
}

// scalars lists every scalar under n, tags and all, for "somewhere in here" checks.
func scalars(n *yaml.Node) []string {
	if n == nil {
		return nil
	}
	var out []string
	if n.Kind == yaml.ScalarNode {
		out = append(out, n.Value)
	}
	if n.Tag != "" && !strings.HasPrefix(n.Tag, "!!") {
		out = append(out, n.Tag)
	}
	for _, c := range n.Content {
		out = append(out, scalars(c)...)
	}
	return out
}

func contains(n *yaml.Node, s string) bool { return slices.Contains(scalars(n), s) }

func isRef(n *yaml.Node, id string) bool { return n.Tag == "!Ref" && n.Value == id }

// rules maps the web ACL's rules by name; a rule under !If counts as present.
func rules(acl *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for _, r := range template.Get(acl, "Rules").Content {
		if r.Tag == "!If" && len(r.Content) == 3 {
			r = r.Content[1]
		}
		out[template.Get(r, "Name").Value] = r
	}
	return out
}

func TestWAF(t *testing.T) {
	tpl := load(t)
	acl := resource(t, tpl, "WebAcl", "AWS::WAFv2::WebACL")
	if got := template.Get(acl, "Scope").Value; got != "REGIONAL" {
		t.Errorf("web ACL scope %q, want REGIONAL for an API Gateway stage", got)
	}
	rs := rules(acl)
	for _, group := range []string{"AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesAnonymousIpList", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesCommonRuleSet"} {
		found := false
		for _, r := range rs {
			found = found || template.Get(r, "Statement", "ManagedRuleGroupStatement", "Name").Value == group
		}
		if !found {
			t.Errorf("no rule uses the managed group %s", group)
		}
	}
	size := template.Get(rs["body-size"], "Statement", "SizeConstraintStatement")
	if template.Get(size, "Size").Value != "8192" || template.Get(size, "ComparisonOperator").Value != "GT" || template.Get(rs["body-size"], "Action", "Block").Kind == 0 {
		t.Errorf("body-size rule does not block bodies over 8192 bytes")
	}
	for name, paths := range map[string][]string{"send-rate": {"/v1/registrations", "/resend"}, "helpdesk-rate": {"/v1/helpdesk/tickets"}} {
		rate := template.Get(rs[name], "Statement", "RateBasedStatement")
		key := template.Get(rate, "AggregateKeyType")
		if key.Tag != "!If" || !slices.Equal(scalars(key), []string{"!If", "ClientIpForwarded", "FORWARDED_IP", "IP"}) || template.Get(rate, "Limit").Tag != "!Ref" {
			t.Errorf("%s: want a per-client-IP rate limit (source or forwarded, by parameter) set by a parameter", name)
		}
		scope := template.Get(rate, "ScopeDownStatement")
		for _, p := range append(paths, "POST") {
			if !contains(scope, p) {
				t.Errorf("%s: scope-down does not name %s", name, p)
			}
		}
		action := template.Get(rs[name], "Action")
		if action.Tag != "!If" || !contains(action, "RateLimitCaptcha") || !contains(action, "RateLimitChallenge") || !contains(action, "rate-limited") {
			t.Errorf("%s: action is not Captcha, Challenge or Block (429) by parameter", name)
		}
	}
	if !slices.Contains(scalars(template.Get(tpl.Root, "Parameters", "WafRateLimitAction", "AllowedValues")), "Captcha") {
		t.Errorf("WafRateLimitAction does not offer Captcha")
	}
	var country *yaml.Node
	for _, r := range template.Get(acl, "Rules").Content {
		if r.Tag == "!If" && contains(r, "GeoMatchStatement") {
			country = r
		}
	}
	if country == nil || country.Content[0].Value != "HasCountryRestriction" || !contains(country.Content[1], "WafAllowedCountries") {
		t.Errorf("no country rule under !If HasCountryRestriction using WafAllowedCountries")
	}
	if template.Get(tpl.Root, "Conditions", "HasCountryRestriction").Kind == 0 {
		t.Errorf("no HasCountryRestriction condition")
	}

	assoc := resource(t, tpl, "WebAclAssociation", "AWS::WAFv2::WebACLAssociation")
	arn := template.Get(assoc, "ResourceArn")
	if arn.Tag != "!Sub" || !strings.Contains(arn.Value, "/restapis/${RegistryApi}/stages/${RegistryApi.Stage}") {
		t.Errorf("association ResourceArn %s %q, want the RegistryApi stage", arn.Tag, arn.Value)
	}
	if w := template.Get(assoc, "WebACLArn"); w.Tag != "!GetAtt" || w.Value != "WebAcl.Arn" {
		t.Errorf("association WebACLArn %s %q, want !GetAtt WebAcl.Arn", w.Tag, w.Value)
	}

	logs := resource(t, tpl, "WafLogGroup", "AWS::Logs::LogGroup")
	if name := template.Get(logs, "LogGroupName"); !strings.HasPrefix(name.Value, "aws-waf-logs-") {
		t.Errorf("WAF log group name %q must start with aws-waf-logs-", name.Value)
	}
	logging := resource(t, tpl, "WafLogging", "AWS::WAFv2::LoggingConfiguration")
	if !contains(template.Get(logging, "LogDestinationConfigs"), "!Sub") || !strings.Contains(strings.Join(scalars(template.Get(logging, "LogDestinationConfigs")), " "), "${WafLogGroup}") {
		t.Errorf("WAF logging does not deliver to WafLogGroup")
	}
	redacted := template.Get(logging, "RedactedFields")
	if !contains(redacted, "authorization") || !strings.Contains(fmtNode(redacted), "QueryString") {
		t.Errorf("WAF logs must redact the Authorization header and the query string (tokens)")
	}
}

func fmtNode(n *yaml.Node) string {
	b, _ := yaml.Marshal(n)
	return string(b)
}

func TestAPIValidationAndThrottling(t *testing.T) {
	tpl := load(t)
	api := resource(t, tpl, "RegistryApi", "AWS::Serverless::Api")
	ms := template.Get(api, "MethodSettings").Content
	if len(ms) == 0 || template.Get(ms[0], "ThrottlingRateLimit").Value == "" || template.Get(ms[0], "ThrottlingBurstLimit").Value == "" {
		t.Errorf("stage has no throttling")
	}
	models := template.Get(api, "Models")
	for event, model := range map[string]string{"RegisterFunction/Register": "RegistrationRequest", "RegisterFunction/Resend": "ResendRequest", "VerifyFunction/Verify": "VerifyRequest"} {
		fn, ev, _ := strings.Cut(event, "/")
		rm := template.Get(tpl.Root, "Resources", fn, "Properties", "Events", ev, "Properties", "RequestModel")
		if template.Get(rm, "Model").Value != model || template.Get(rm, "ValidateBody").Value != "true" {
			t.Errorf("%s: RequestModel %q ValidateBody %q, want %s validated", event, template.Get(rm, "Model").Value, template.Get(rm, "ValidateBody").Value, model)
		}
		m := template.Get(models, model)
		if template.Get(m, "type").Value != "object" || template.Get(m, "additionalProperties").Value != "false" {
			t.Errorf("model %s: want an object with no additional properties", model)
		}
	}
	if rm := template.Get(tpl.Root, "Resources", "RegisterFunction", "Properties", "Events", "OptOut", "Properties", "RequestModel"); rm.Kind != 0 {
		t.Errorf("POST /v1/optout has a RequestModel: it takes an HTML form post too")
	}
	if tmpl := template.Get(api, "GatewayResponses", "BAD_REQUEST_BODY", "ResponseTemplates", "application/json").Value; !strings.Contains(tmpl, `"invalid_request"`) {
		t.Errorf("BAD_REQUEST_BODY is not in the contract's error shape: %q", tmpl)
	}

	table := resource(t, tpl, "RegistryTable", "AWS::DynamoDB::Table")
	if template.Get(table, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled").Value != "true" || template.Get(table, "SSESpecification", "SSEEnabled").Value != "true" {
		t.Errorf("table without point-in-time recovery or encryption")
	}
}

func TestSESFeedback(t *testing.T) {
	tpl := load(t)
	resource(t, tpl, "SesConfigurationSet", "AWS::SES::ConfigurationSet")
	dest := resource(t, tpl, "SesFeedbackDestination", "AWS::SES::ConfigurationSetEventDestination")
	if !isRef(template.Get(dest, "ConfigurationSetName"), "SesConfigurationSet") || !isRef(template.Get(dest, "EventDestination", "SnsDestination", "TopicARN"), "FeedbackTopic") {
		t.Errorf("the configuration set's events do not reach FeedbackTopic")
	}
	types := scalars(template.Get(dest, "EventDestination", "MatchingEventTypes"))
	if !slices.Contains(types, "bounce") || !slices.Contains(types, "complaint") || template.Get(dest, "EventDestination", "Enabled").Value != "true" {
		t.Errorf("event types %v, want bounce and complaint, enabled", types)
	}
	if !isRef(template.Get(tpl.Root, "Globals", "Function", "Environment", "Variables", "SES_CONFIGURATION_SET"), "SesConfigurationSet") {
		t.Errorf("functions are not given SES_CONFIGURATION_SET")
	}
	if !isRef(template.Get(tpl.Root, "Resources", "FeedbackFunction", "Properties", "Events", "Feedback", "Properties", "Topic"), "FeedbackTopic") {
		t.Errorf("FeedbackFunction is not subscribed to FeedbackTopic")
	}
	if !contains(template.Get(tpl.Root, "Resources", "FeedbackTopicPolicy"), "ses.amazonaws.com") {
		t.Errorf("SES may not publish to FeedbackTopic")
	}
}

func TestAlarms(t *testing.T) {
	tpl := load(t)
	resource(t, tpl, "AlarmTopic", "AWS::SNS::Topic")
	sub := template.Get(tpl.Root, "Resources", "AlarmFunction", "Properties", "Events", "Alarm", "Properties")
	if !isRef(template.Get(sub, "Topic"), "AlarmTopic") || template.Get(sub, "FilterPolicyScope").Value != "MessageBody" || template.Get(sub, "FilterPolicy", "AlarmName").Kind == 0 {
		t.Errorf("AlarmFunction is not subscribed to AlarmTopic for alarm notifications only")
	}
	if !isRef(template.Get(tpl.Root, "Resources", "AlarmFunction", "Properties", "Environment", "Variables", "ALARM_TOPIC_ARN"), "AlarmTopic") {
		t.Errorf("AlarmFunction does not get ALARM_TOPIC_ARN")
	}
	if !contains(template.Get(tpl.Root, "Resources", "AlarmTopicPolicy"), "cloudwatch.amazonaws.com") {
		t.Errorf("CloudWatch may not publish to AlarmTopic")
	}

	// What each alarm must watch, and the mode its name selects ("" for none).
	want := map[string]struct {
		metric string
		mode   mode.Mode
	}{
		"sms-send-spike-elevated":     {metrics.CodeSent, mode.Elevated},
		"sms-send-surge-lockdown":     {metrics.CodeSent, mode.Lockdown},
		"email-send-spike-elevated":   {metrics.CodeSent, mode.Elevated},
		"blocked-spike-elevated":      {metrics.SendBlocked, mode.Elevated},
		"verify-failures-elevated":    {metrics.VerifyFailed, mode.Elevated},
		"budget-exhausted-elevated":   {metrics.BudgetExhausted, mode.Elevated},
		"ses-bounce-rate-elevated":    {"Reputation.BounceRate", mode.Elevated},
		"ses-complaint-rate-elevated": {"Reputation.ComplaintRate", mode.Elevated},
		"register-errors":             {"Errors", ""},
		"verify-errors":               {"Errors", ""},
		"alarm-responder-errors":      {"Errors", ""},
		"feedback-errors":             {"Errors", ""},
	}
	seen := map[string]bool{}
	ours := map[string]bool{metrics.CodeSent: true, metrics.SendBlocked: true, metrics.VerifyFailed: true, metrics.BudgetExhausted: true}
	limits := map[string]bool{ratelimit.ClientIP: true, ratelimit.ClientNet: true, ratelimit.Cooldown: true, ratelimit.DestCap: true}
	for id, typ := range tpl.Resources {
		if typ != "AWS::CloudWatch::Alarm" {
			continue
		}
		p := template.Get(tpl.Root, "Resources", id, "Properties")
		name := template.Get(p, "AlarmName")
		if name.Tag != "!Sub" || !strings.HasPrefix(name.Value, "${AWS::StackName}-") {
			t.Errorf("%s: AlarmName %q, want !Sub ${AWS::StackName}-...", id, name.Value)
			continue
		}
		short := strings.TrimPrefix(name.Value, "${AWS::StackName}-")
		w, ok := want[short]
		if !ok {
			continue
		}
		seen[short] = true
		for _, actions := range []string{"AlarmActions", "OKActions"} {
			a := template.Get(p, actions).Content
			if len(a) != 1 || !isRef(a[0], "AlarmTopic") {
				t.Errorf("%s: %s must be [!Ref AlarmTopic]", short, actions)
			}
		}
		if got, ok := alarm.ModeFor(short); got != w.mode || ok != (w.mode != "") {
			t.Errorf("%s: the responder reads mode %q from its name, want %q", short, got, w.mode)
		}
		if !contains(p, w.metric) {
			t.Errorf("%s: does not watch %s", short, w.metric)
		}
		if ours[w.metric] {
			if !contains(p, metrics.Namespace) {
				t.Errorf("%s: not in namespace %s", short, metrics.Namespace)
			}
			if template.Get(p, "TreatMissingData").Value != "notBreaching" {
				t.Errorf("%s: missing data must not hold a mode", short)
			}
		}
		if w.metric == metrics.SendBlocked {
			for l := range limits {
				if !contains(p, l) {
					t.Errorf("%s: does not count refusals by %s", short, l)
				}
			}
		}
	}
	for short := range want {
		if !seen[short] {
			t.Errorf("no alarm named ${AWS::StackName}-%s", short)
		}
	}
}
