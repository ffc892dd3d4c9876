package template_test

// Operations: every function's logs, deploys and rollback alarm; the topics' key;
// the API's access log; the money caps (SMS protect configuration, spend and
// conversion alarms); the dashboard. The per-function rules walk every
// AWS::Serverless::Function, so a new function fails them until it has its own.

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/checkin-registry/registry/functions/alarm"
	"github.com/checkin-registry/registry/infra/dashboard"
	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/infra/template"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact/policy"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/mode"
)

var update = flag.Bool("update", false, "rewrite the template's generated parts")

// functions lists the template's Lambda functions by logical ID, sorted.
func functions(tpl *template.Template) []string {
	var out []string
	for id, typ := range tpl.Resources {
		if typ == "AWS::Serverless::Function" {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// effective answers a function property as SAM deploys it: the function's own
// value, its maps merged over Globals.Function's.
func effective(tpl *template.Template, fn string, path ...string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for _, n := range []*yaml.Node{template.Get(tpl.Root, append([]string{"Globals", "Function"}, path...)...), template.Get(tpl.Root, append([]string{"Resources", fn, "Properties"}, path...)...)} {
		for i := 0; i+1 < len(n.Content) && n.Kind == yaml.MappingNode; i += 2 {
			out[n.Content[i].Value] = n.Content[i+1]
		}
	}
	return out
}

func scalarOf(tpl *template.Template, fn string, path ...string) *yaml.Node {
	if n := template.Get(tpl.Root, append([]string{"Resources", fn, "Properties"}, path...)...); n.Kind != 0 {
		return n
	}
	return template.Get(tpl.Root, append([]string{"Globals", "Function"}, path...)...)
}

func TestFunctionLogs(t *testing.T) {
	tpl := load(t)
	if d := template.Get(tpl.Root, "Parameters", "LogRetentionDays", "Default").Value; d != "90" {
		t.Errorf("LogRetentionDays defaults to %q, want 90", d)
	}
	groups := map[string]string{}
	for _, fn := range functions(tpl) {
		lc := effective(tpl, fn, "LoggingConfig")
		if v := lc["LogFormat"]; v == nil || v.Value != "JSON" {
			t.Errorf("%s: LoggingConfig.LogFormat is not JSON", fn)
		}
		if v := lc["ApplicationLogLevel"]; v == nil || !isRef(v, "LogLevel") {
			t.Errorf("%s: LoggingConfig.ApplicationLogLevel is not !Ref LogLevel", fn)
		}
		if v := lc["SystemLogLevel"]; v == nil || v.Value == "" {
			t.Errorf("%s: no LoggingConfig.SystemLogLevel", fn)
		}
		g := lc["LogGroup"]
		if g == nil || g.Tag != "!Ref" || tpl.Resources[g.Value] != "AWS::Logs::LogGroup" {
			t.Errorf("%s: LoggingConfig.LogGroup is not !Ref to an AWS::Logs::LogGroup of the template", fn)
			continue
		}
		if other, ok := groups[g.Value]; ok {
			t.Errorf("%s and %s share the log group %s", fn, other, g.Value)
		}
		groups[g.Value] = fn
		if !isRef(template.Get(tpl.Root, "Resources", g.Value, "Properties", "RetentionInDays"), "LogRetentionDays") {
			t.Errorf("%s: log group %s does not keep logs for LogRetentionDays", fn, g.Value)
		}
	}
	if len(groups) == 0 {
		t.Fatal("no function found")
	}
}

// errorsAlarm answers the alarm (logical ID) on AWS/Lambda Errors of fn, if any.
func errorsAlarm(tpl *template.Template, fn string) string {
	for id, typ := range tpl.Resources {
		p := template.Get(tpl.Root, "Resources", id, "Properties")
		if typ != "AWS::CloudWatch::Alarm" || template.Get(p, "Namespace").Value != "AWS/Lambda" || template.Get(p, "MetricName").Value != "Errors" {
			continue
		}
		for _, d := range template.Get(p, "Dimensions").Content {
			if template.Get(d, "Name").Value == "FunctionName" && isRef(template.Get(d, "Value"), fn) {
				return id
			}
		}
	}
	return ""
}

func TestDeploysAreCanariesThatRollBack(t *testing.T) {
	tpl := load(t)
	for _, fn := range functions(tpl) {
		if a := scalarOf(tpl, fn, "AutoPublishAlias"); a.Value == "" {
			t.Errorf("%s: no AutoPublishAlias", fn)
		}
		dp := effective(tpl, fn, "DeploymentPreference")
		if v := dp["Type"]; v == nil || v.Value != "Canary10Percent5Minutes" {
			t.Errorf("%s: DeploymentPreference.Type is not Canary10Percent5Minutes", fn)
		}
		alarm := errorsAlarm(tpl, fn)
		if alarm == "" {
			t.Errorf("%s: no alarm on its AWS/Lambda Errors", fn)
			continue
		}
		found := false
		if dp["Alarms"] != nil {
			for _, a := range dp["Alarms"].Content {
				found = found || isRef(a, alarm)
			}
		}
		if !found {
			t.Errorf("%s: DeploymentPreference.Alarms does not name its errors alarm %s", fn, alarm)
		}
	}
}

func TestTopicsEncrypted(t *testing.T) {
	tpl := load(t)
	key := resource(t, tpl, "TopicKey", "AWS::KMS::Key")
	if template.Get(key, "EnableKeyRotation").Value != "true" {
		t.Errorf("TopicKey does not rotate")
	}
	// CloudWatch alarms and SES events publish to encrypted topics only with the key.
	for _, svc := range []string{"cloudwatch.amazonaws.com", "ses.amazonaws.com"} {
		ok := false
		for _, st := range template.Get(key, "KeyPolicy", "Statement").Content {
			acts := scalars(template.Get(st, "Action"))
			if template.Get(st, "Principal", "Service").Value == svc && slices.Contains(acts, "kms:GenerateDataKey*") && slices.Contains(acts, "kms:Decrypt") &&
				isRef(template.Get(st, "Condition", "StringEquals", "aws:SourceAccount"), "AWS::AccountId") {
				ok = true
			}
		}
		if !ok {
			t.Errorf("TopicKey's policy does not let %s (this account's) use it to publish", svc)
		}
	}
	topics := 0
	for id, typ := range tpl.Resources {
		if typ != "AWS::SNS::Topic" {
			continue
		}
		topics++
		if k := template.Get(tpl.Root, "Resources", id, "Properties", "KmsMasterKeyId"); k.Tag != "!GetAtt" || k.Value != "TopicKey.Arn" {
			t.Errorf("%s: KmsMasterKeyId is not !GetAtt TopicKey.Arn", id)
		}
	}
	if topics == 0 {
		t.Fatal("no topic found")
	}
	// A function that publishes to a topic of the template may use the key.
	for _, fn := range functions(tpl) {
		var publishes, keyed bool
		for _, st := range template.Get(tpl.Root, "Resources", fn, "Properties", "Policies").Content {
			for _, s := range template.Get(st, "Statement").Content {
				acts := scalars(template.Get(s, "Action"))
				res := template.Get(s, "Resource")
				if slices.Contains(acts, "sns:Publish") && res.Tag == "!Ref" && tpl.Resources[res.Value] == "AWS::SNS::Topic" {
					publishes = true
				}
				if slices.Contains(acts, "kms:GenerateDataKey") && res.Tag == "!GetAtt" && res.Value == "TopicKey.Arn" {
					keyed = true
				}
			}
		}
		if publishes && !keyed {
			t.Errorf("%s publishes to a topic but may not use TopicKey (kms:GenerateDataKey)", fn)
		}
	}
}

func TestAccessLog(t *testing.T) {
	tpl := load(t)
	api := resource(t, tpl, "RegistryApi", "AWS::Serverless::Api")
	dest := template.Get(api, "AccessLogSetting", "DestinationArn")
	if dest.Tag != "!GetAtt" || tpl.Resources[strings.TrimSuffix(dest.Value, ".Arn")] != "AWS::Logs::LogGroup" {
		t.Fatalf("access log destination %q is not a log group of the template", dest.Value)
	}
	if !isRef(template.Get(tpl.Root, "Resources", strings.TrimSuffix(dest.Value, ".Arn"), "Properties", "RetentionInDays"), "LogRetentionDays") {
		t.Errorf("access log group does not keep logs for LogRetentionDays")
	}
	format := template.Get(api, "AccessLogSetting", "Format").Value
	var fields map[string]string
	if err := json.Unmarshal([]byte(format), &fields); err != nil {
		t.Fatalf("access log format is not one JSON object: %v", err)
	}
	vars := map[string]bool{}
	for _, v := range fields {
		vars[v] = true
	}
	for _, v := range []string{"$context.requestId", "$context.identity.sourceIp", "$context.status", "$context.responseLatency", "$context.wafResponseCode"} {
		if !vars[v] {
			t.Errorf("access log does not record %s", v)
		}
	}
	// Ids are in the path, tokens in the query string and headers: the resource
	// template only.
	for _, bad := range []string{"$context.path", "$input", "$method.request", "querystring", "authorization", "$context.authorizer"} {
		if strings.Contains(strings.ToLower(format), strings.ToLower(bad)) {
			t.Errorf("access log records %s", bad)
		}
	}
}

// evalCondition evaluates the few intrinsic functions the SmsAllow conditions use,
// with the parameters given.
func evalCondition(t *testing.T, n *yaml.Node, params map[string]string) any {
	t.Helper()
	arg := func(i int) any { return evalCondition(t, n.Content[i], params) }
	switch n.Tag {
	case "!Not":
		return !arg(0).(bool)
	case "!Equals":
		return arg(0) == arg(1)
	case "!Select":
		i := 0
		if n.Content[0].Value != "0" {
			t.Fatalf("!Select %s: only 0 is evaluated here", n.Content[0].Value)
		}
		return arg(1).([]string)[i]
	case "!Split":
		return strings.Split(arg(1).(string), arg(0).(string))
	case "!Sub":
		return regexp.MustCompile(`\$\{(\w+)\}`).ReplaceAllStringFunc(n.Value, func(m string) string { return params[m[2:len(m)-1]] })
	case "!Ref":
		return params[n.Value]
	}
	return n.Value
}

func TestSMSProtectConfiguration(t *testing.T) {
	tpl := load(t)
	// The app and the carrier read one parameter, whose default is the app's.
	if !isRef(template.Get(tpl.Root, "Globals", "Function", "Environment", "Variables", "PHONE_ALLOWED_REGIONS"), "PhoneAllowedRegions") {
		t.Errorf("functions do not get PHONE_ALLOWED_REGIONS from PhoneAllowedRegions")
	}
	def := template.Get(tpl.Root, "Parameters", "PhoneAllowedRegions", "Default").Value
	phone, ok := policy.FromEnv(config.FromMap(nil)).Phone.(policy.Phone)
	if !ok {
		t.Fatal("the phone policy is not a policy.Phone")
	}
	if want := strings.Join(phone.Regions, ","); def != want {
		t.Errorf("PhoneAllowedRegions defaults to %q, the app to %q", def, want)
	}

	pc := resource(t, tpl, "SmsProtectConfiguration", "AWS::SMSVOICE::ProtectConfiguration")
	rules := template.Get(pc, "CountryRuleSet", "SMS").Content
	for _, allowed := range []string{"MY", "MY,SG", "SG,ID,MY"} {
		params := map[string]string{"PhoneAllowedRegions": allowed}
		var got []string
		status := map[string]string{}
		for _, r := range rules {
			cc := template.Get(r, "CountryCode").Value
			got = append(got, cc)
			ps := template.Get(r, "ProtectStatus")
			if ps.Tag != "!If" || len(ps.Content) != 3 || ps.Content[1].Value != "FILTER" || ps.Content[2].Value != "BLOCK" {
				t.Fatalf("%s: ProtectStatus is not !If [condition, FILTER, BLOCK]", cc)
			}
			cond := template.Get(tpl.Root, "Conditions", ps.Content[0].Value)
			if cond.Kind == 0 {
				t.Fatalf("%s: no condition %s", cc, ps.Content[0].Value)
			}
			status[cc] = "BLOCK"
			if evalCondition(t, cond, params).(bool) {
				status[cc] = "FILTER"
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, smsCountries()) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Fatalf("the protect configuration names %d countries, want each of the %d with numbering plans once", len(got), len(smsCountries()))
		}
		for cc, s := range status {
			if want := map[bool]string{true: "FILTER", false: "BLOCK"}[slices.Contains(strings.Split(allowed, ","), cc)]; s != want {
				t.Errorf("PhoneAllowedRegions=%s: %s is %s, want %s", allowed, cc, s, want)
			}
		}
	}
}

func TestSpendAndConversionAlarms(t *testing.T) {
	tpl := load(t)
	byName := map[string]*yaml.Node{}
	for id, typ := range tpl.Resources {
		if typ == "AWS::CloudWatch::Alarm" {
			p := template.Get(tpl.Root, "Resources", id, "Properties")
			byName[strings.TrimPrefix(template.Get(p, "AlarmName").Value, "${AWS::StackName}-")] = p
		}
	}
	for short, want := range map[string]struct {
		mode      mode.Mode
		threshold string
	}{
		"sms-spend-elevated": {mode.Elevated, "80"},
		"sms-spend-lockdown": {mode.Lockdown, "100"},
	} {
		p := byName[short]
		if p == nil {
			t.Errorf("no alarm %s", short)
			continue
		}
		if m, _ := alarm.ModeFor(short); m != want.mode {
			t.Errorf("%s: the responder reads %q, want %q", short, m, want.mode)
		}
		if !contains(p, "SMSMonthToDateSpentUSD") || !contains(p, "AWS/SNS") || template.Get(p, "Threshold").Value != want.threshold ||
			!strings.Contains(fmtNode(template.Get(p, "Metrics")), "100 * spend / ${MonthlySmsBudgetUSD}") {
			t.Errorf("%s: does not compare SNS SMSMonthToDateSpentUSD with %s%% of MonthlySmsBudgetUSD", short, want.threshold)
		}
	}
	if dashboard.SpendElevatedPercent != 80 || dashboard.SpendLockdownPercent != 100 {
		t.Errorf("the dashboard's spend lines are not the alarms' thresholds")
	}
	for _, ch := range dashboard.Channels {
		short := ch + "-conversion-elevated"
		p := byName[short]
		if p == nil {
			t.Errorf("no alarm %s", short)
			continue
		}
		if m, _ := alarm.ModeFor(short); m != mode.Elevated {
			t.Errorf("%s: the responder reads %q, want elevated", short, m)
		}
		ms := map[string]*yaml.Node{}
		var expr string
		for _, m := range template.Get(p, "Metrics").Content {
			ms[template.Get(m, "Id").Value] = m
			if e := template.Get(m, "Expression"); e.Value != "" {
				expr = e.Value
			}
		}
		for id, want := range map[string][2]string{"sent": {metrics.CodeSent, "register"}, "verified": {metrics.VerifySucceeded, "verify"}} {
			st := template.Get(ms[id], "MetricStat")
			if template.Get(st, "Metric", "MetricName").Value != want[0] || template.Get(st, "Metric", "Namespace").Value != metrics.Namespace ||
				!contains(template.Get(st, "Metric", "Dimensions"), ch) || !contains(template.Get(st, "Metric", "Dimensions"), want[1]) ||
				template.Get(st, "Period").Value != "900" || template.Get(st, "Stat").Value != "Sum" {
				t.Errorf("%s: %s is not the 15-minute sum of %s for %s from %s", short, id, want[0], ch, want[1])
			}
		}
		if !strings.Contains(expr, "${AlarmConversionMinSends}") || !strings.Contains(expr, "FILL(verified, 0) / FILL(sent, 0) < ${AlarmConversionThreshold}") {
			t.Errorf("%s: expression %q does not judge verified / sent against AlarmConversionThreshold above AlarmConversionMinSends", short, expr)
		}
	}
}

var dashboardBody = regexp.MustCompile(`(?m)^      DashboardBody: !Sub \|\n((?:        .*\n)+)`)

func TestDashboard(t *testing.T) {
	tpl := load(t)
	want := dashboard.Body(functions(tpl))
	got := template.Get(tpl.Root, "Resources", "Dashboard", "Properties", "DashboardBody")
	if *update {
		path := filepath.Join(moto.Root(), "template.yaml")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m := dashboardBody.FindSubmatchIndex(b)
		if m == nil {
			t.Fatal("no DashboardBody: !Sub | block in template.yaml")
		}
		indented := "        " + strings.ReplaceAll(strings.TrimSuffix(want, "\n"), "\n", "\n        ") + "\n"
		out := append(append(append([]byte{}, b[:m[2]]...), indented...), b[m[3]:]...)
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got.Tag != "!Sub" || got.Value != want {
		t.Fatalf("the dashboard's body is not dashboard.Body's: go test ./infra/template -run TestDashboard -update")
	}
	// Every metric of the service's namespace is one of shared/metrics, and every
	// ${...} is a parameter, a resource or a pseudo parameter.
	var body struct {
		Widgets []struct {
			Properties struct {
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(regexp.MustCompile(`\$\{[\w:]+\}`).ReplaceAllString(want, "0")), &body); err != nil {
		t.Fatalf("dashboard body is not JSON: %v", err)
	}
	seen := map[string]bool{}
	for _, w := range body.Widgets {
		for _, m := range w.Properties.Metrics {
			if len(m) > 1 && m[0] == metrics.Namespace {
				name, _ := m[1].(string)
				seen[name] = true
				if !slices.Contains(metrics.Names, name) {
					t.Errorf("the dashboard draws %s, which shared/metrics does not name", name)
				}
			}
		}
	}
	for _, name := range []string{metrics.CodeSent, metrics.SendBlocked, metrics.VerifySucceeded, metrics.ModeChanged} {
		if !seen[name] {
			t.Errorf("the dashboard does not draw %s", name)
		}
	}
	for _, m := range regexp.MustCompile(`\$\{([\w:]+)\}`).FindAllStringSubmatch(want, -1) {
		ref := m[1]
		if _, param := tpl.Parameters[ref]; !param && tpl.Resources[ref] == "" && !strings.HasPrefix(ref, "AWS::") {
			t.Errorf("the dashboard refers to ${%s}, which the template does not declare", ref)
		}
	}
	for _, fn := range functions(tpl) {
		if !strings.Contains(want, "${"+fn+"}") {
			t.Errorf("the dashboard does not draw %s", fn)
		}
	}
}

// CloudFront's standard logs, from the edge stack: the chosen fields hold no query
// string, cookie or referrer, and the bucket keeps them for LogRetentionDays.
func TestCDNLogs(t *testing.T) {
	edge, err := template.Load(filepath.Join(moto.Root(), "infra", "edge-waf.yaml"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if edge.Resources["CdnDelivery"] != "AWS::Logs::Delivery" || template.Get(edge.Root, "Resources", "CdnDelivery", "Condition").Value != "HasDistribution" {
		t.Fatal("the edge stack has no optional CdnDelivery")
	}
	fields := scalars(template.Get(edge.Root, "Resources", "CdnDelivery", "Properties", "RecordFields"))
	for _, f := range []string{"c-ip", "cs-method", "cs-uri-stem", "sc-status", "time-taken", "x-edge-request-id"} {
		if !slices.Contains(fields, f) {
			t.Errorf("CloudFront logs lack %s", f)
		}
	}
	for _, f := range []string{"cs-uri-query", "cs(Cookie)", "cs(Referer)"} {
		if slices.Contains(fields, f) {
			t.Errorf("CloudFront logs record %s", f)
		}
	}
	rules := template.Get(edge.Root, "Resources", "CdnLogBucket", "Properties", "LifecycleConfiguration", "Rules").Content
	if len(rules) != 1 || !isRef(template.Get(rules[0], "ExpirationInDays"), "LogRetentionDays") {
		t.Errorf("the log bucket does not expire logs after LogRetentionDays")
	}
}
