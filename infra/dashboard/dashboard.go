// Package dashboard writes the body of the operations dashboard (the Dashboard
// resource of template.yaml) from the metric names in shared/metrics and the limits
// the register function declares, so that a renamed metric or a new limit cannot
// leave a graph that draws nothing: infra/template's TestDashboard compares the
// template's body with Body, and `go test ./infra/template -run TestDashboard -update`
// rewrites it.
package dashboard

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/checkin-registry/registry/functions/register"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/mode"
)

// ConversionWindow is the period, in seconds, over which the conversion alarm and
// graph divide verified codes by sent codes.
const ConversionWindow = 900

// The spend alarms' thresholds, in percent of MonthlySmsBudgetUSD.
const (
	SpendElevatedPercent = 80
	SpendLockdownPercent = 100
)

// SendLimits are the Limit dimensions of SendBlocked: each limit of the register
// function's plan that refuses with SendBlocked (a 428 counts ChallengeRequired),
// and lockdown.
func SendLimits() []string {
	var out []string
	for _, l := range register.LimitsFromEnv(config.FromMap(nil)).Limits {
		if l.Answer.Status != 428 && !slices.Contains(out, l.Name) {
			out = append(out, l.Name)
		}
	}
	return append(out, string(mode.Lockdown))
}

// Channels are the Channel dimensions of CodeSent and VerifySucceeded.
var Channels = []string{string(contact.SMS), string(contact.Email)}

type widget struct {
	Type       string `json:"type"`
	X          int    `json:"x"`
	Y          int    `json:"y"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	Properties props  `json:"properties"`
}

type props struct {
	Title       string         `json:"title"`
	Region      string         `json:"region"`
	View        string         `json:"view"`
	Stat        string         `json:"stat,omitempty"`
	Period      int            `json:"period"`
	Metrics     [][]any        `json:"metrics"`
	Annotations map[string]any `json:"annotations,omitempty"`
}

// ours is a metric of the service's namespace from function fn, with one optional
// dimension.
func ours(name, fn string, dim ...string) []any {
	m := []any{metrics.Namespace, name, "Function", fn}
	for _, d := range dim {
		m = append(m, d)
	}
	return m
}

func withOpts(m []any, opts map[string]any) []any { return append(m, opts) }

// Body answers the dashboard's body for the given Lambda functions (logical
// IDs), with ${...} references for CloudFormation's Fn::Sub.
func Body(functions []string) string {
	region := "${AWS::Region}"
	var ws []widget
	add := func(title, view, stat string, period int, ms [][]any, ann map[string]any) {
		n := len(ws)
		ws = append(ws, widget{Type: "metric", X: (n % 2) * 12, Y: (n / 2) * 6, Width: 12, Height: 6,
			Properties: props{Title: title, Region: region, View: view, Stat: stat, Period: period, Metrics: ms, Annotations: ann}})
	}

	var sent [][]any
	for _, ch := range Channels {
		sent = append(sent, withOpts(ours(metrics.CodeSent, "register", "Channel", ch), map[string]any{"label": "sent by " + ch}))
	}
	sent = append(sent, withOpts(ours(metrics.BudgetExhausted, "register"), map[string]any{"label": "refused: hourly budget used up", "yAxis": "right"}))
	add("Codes sent per hour, by channel, and the hourly budget refusals", "timeSeries", "Sum", 3600, sent, nil)

	spend := [][]any{
		{map[string]any{"expression": "100 * spend / ${MonthlySmsBudgetUSD}", "label": "SMS spend this month, % of MonthlySmsBudgetUSD", "id": "percent"}},
		{"AWS/SNS", "SMSMonthToDateSpentUSD", map[string]any{"id": "spend", "stat": "Maximum", "visible": false}},
	}
	add("SMS spend against the monthly budget", "timeSeries", "", 3600, spend, map[string]any{"horizontal": []any{
		map[string]any{"label": "elevated", "value": SpendElevatedPercent},
		map[string]any{"label": "lockdown", "value": SpendLockdownPercent},
	}})

	var blocked [][]any
	for _, l := range SendLimits() {
		blocked = append(blocked, ours(metrics.SendBlocked, "register", "Limit", l))
	}
	add("Sending requests refused, by limit", "timeSeries", "Sum", 300, blocked, nil)

	var conv [][]any
	for _, ch := range Channels {
		conv = append(conv, []any{map[string]any{"expression": "verified_" + ch + " / sent_" + ch, "label": "conversion " + ch, "id": "conversion_" + ch}})
	}
	for _, ch := range Channels {
		conv = append(conv,
			withOpts(ours(metrics.VerifySucceeded, "verify", "Channel", ch), map[string]any{"id": "verified_" + ch, "visible": false}),
			withOpts(ours(metrics.CodeSent, "register", "Channel", ch), map[string]any{"id": "sent_" + ch, "visible": false}))
	}
	add("Conversion: codes verified per code sent, by channel", "timeSeries", "Sum", ConversionWindow, conv, nil)

	var checks [][]any
	for _, reason := range []string{"invalid_code", "too_many_attempts"} {
		checks = append(checks, ours(metrics.VerifyFailed, "verify", "Reason", reason))
	}
	checks = append(checks, ours(metrics.ChallengeRequired, "register"), ours(metrics.ChallengeFailed, "register"))
	for _, ch := range Channels {
		checks = append(checks, ours(metrics.SendFailed, "register", "Channel", ch), ours(metrics.Suppressed, "register", "Channel", ch))
	}
	add("Wrong codes, proof of work, failed and suppressed sends", "timeSeries", "Sum", 300, checks, nil)

	var modes [][]any
	for _, m := range []mode.Mode{mode.Normal, mode.Elevated, mode.Lockdown} {
		modes = append(modes, ours(metrics.ModeChanged, "alarm", "Mode", string(m)))
	}
	add("Protection mode changes, by the mode changed to", "timeSeries", "Sum", 300, modes, nil)

	var latency, errs [][]any
	for _, fn := range functions {
		name := "${" + fn + "}"
		short := strings.TrimSuffix(fn, "Function")
		latency = append(latency,
			[]any{"AWS/Lambda", "Duration", "FunctionName", name, map[string]any{"stat": "p50", "label": short + " p50"}},
			[]any{"AWS/Lambda", "Duration", "FunctionName", name, map[string]any{"stat": "p99", "label": short + " p99"}})
		errs = append(errs, []any{"AWS/Lambda", "Errors", "FunctionName", name, map[string]any{"label": short}})
	}
	add("Function latency p50 and p99 (ms)", "timeSeries", "", 300, latency, nil)
	add("Function errors", "timeSeries", "Sum", 300, errs, nil)

	waf := [][]any{
		{"AWS/WAFV2", "BlockedRequests", "WebACL", "${AWS::StackName}-api", "Region", region, "Rule", "ALL", map[string]any{"label": "blocked by the API's web ACL"}},
		{"AWS/WAFV2", "AllowedRequests", "WebACL", "${AWS::StackName}-api", "Region", region, "Rule", "ALL", map[string]any{"label": "allowed", "yAxis": "right"}},
	}
	add("WAF: requests blocked at the API", "timeSeries", "Sum", 300, waf, nil)

	var b strings.Builder
	b.WriteString("{\"widgets\": [\n")
	for i, w := range ws {
		line, _ := json.Marshal(w)
		b.Write(line)
		if i < len(ws)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("]}\n")
	return b.String()
}
