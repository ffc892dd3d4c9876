package template_test

// The production pieces of template.yaml (logs, alarms, deployment, encryption), checked on the
// parsed YAML (gopkg.in/yaml.v3 through this package) rather than with
// awslabs/goformation: the checks need the intrinsic tags (!Ref, !Sub, !If) as
// written, SAM-only properties (Models, RequestModel, FilterPolicyScope), and no
// new dependency. cfn-lint (make lint) checks the same template against the
// CloudFormation and SAM schemas.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/checkin-registry/registry/functions/alarm"
	"github.com/checkin-registry/registry/functions/register"
	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/infra/template"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/mode"
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

	// Behind CloudFront the regional ACL sees only edges: the first rule refuses
	// whatever did not come through CloudFront (no origin secret), so that the
	// x-viewer-ip header the per-client rules count is CloudFront's.
	first := template.Get(acl, "Rules").Content[0]
	if template.Get(first, "Name").Value != "origin-verify" || template.Get(first, "Priority").Value != "0" {
		t.Errorf("the first rule is %q (priority %s), want origin-verify at priority 0", template.Get(first, "Name").Value, template.Get(first, "Priority").Value)
	}
	for name, r := range rs {
		if name != "origin-verify" && template.Get(r, "Priority").Value == "0" {
			t.Errorf("%s shares priority 0 with origin-verify", name)
		}
	}
	// Outside a rotation it accepts only OriginVerifySecret; during one, that or
	// PreviousOriginVerifySecret.
	secretMatch := func(bm *yaml.Node, param string) bool {
		return template.Get(bm, "FieldToMatch", "SingleHeader", "Name").Value == "x-origin-verify" &&
			template.Get(bm, "PositionalConstraint").Value == "EXACTLY" &&
			isRef(template.Get(bm, "SearchString"), param) &&
			slices.Equal(transformations(bm), []string{"NONE"})
	}
	choice := template.Get(first, "Statement", "NotStatement", "Statement")
	if choice.Tag != "!If" || len(choice.Content) != 3 || choice.Content[0].Value != "RotatingOriginSecret" {
		t.Fatalf("origin-verify's statement is not !If RotatingOriginSecret: %s", fmtNode(choice))
	}
	rotating := template.Get(choice.Content[1], "OrStatement", "Statements").Content
	if !secretMatch(template.Get(choice.Content[2], "ByteMatchStatement"), "OriginVerifySecret") ||
		len(rotating) != 2 || !secretMatch(template.Get(rotating[0], "ByteMatchStatement"), "OriginVerifySecret") ||
		!secretMatch(template.Get(rotating[1], "ByteMatchStatement"), "PreviousOriginVerifySecret") ||
		template.Get(first, "Action", "Block").Kind == 0 {
		t.Errorf("origin-verify does not block requests whose x-origin-verify is not exactly the secret (or, rotating, the previous one)")
	}
	if n, err := strconv.Atoi(template.Get(tpl.Root, "Parameters", "OriginVerifySecret", "MaxLength").Value); err != nil || n > 200 {
		t.Errorf("OriginVerifySecret needs a MaxLength of at most 200: a WAF search string is at most 200 bytes")
	}

	// The managed lists that judge the connecting address live in the edge ACL.
	for _, r := range rs {
		if g := template.Get(r, "Statement", "ManagedRuleGroupStatement", "Name").Value; g == "AWSManagedRulesAmazonIpReputationList" || g == "AWSManagedRulesAnonymousIpList" {
			t.Errorf("the regional ACL uses %s, which would judge CloudFront's edges", g)
		}
	}
	for _, group := range []string{"AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesCommonRuleSet"} {
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
	for name, paths := range map[string][]string{
		"send-rate":     {"/v1/registrations", "/live/v1/registrations", "/v1/registrations/", "/live/v1/registrations/r-1/resend", "/v1/Registrations/abc%2Fdef/resend"},
		"helpdesk-rate": {"/v1/helpdesk/tickets", "/live/v1/helpdesk/tickets/", "/live/v1/helpdesk/%74ickets"},
	} {
		rate := template.Get(rs[name], "Statement", "RateBasedStatement")
		if template.Get(rate, "AggregateKeyType").Value != "FORWARDED_IP" || template.Get(rate, "ForwardedIPConfig", "HeaderName").Value != "x-viewer-ip" ||
			template.Get(rate, "ForwardedIPConfig", "FallbackBehavior").Value != "MATCH" || template.Get(rate, "Limit").Tag != "!Ref" {
			t.Errorf("%s: want a per-viewer (FORWARDED_IP from x-viewer-ip) rate limit set by a parameter", name)
		}
		scope := template.Get(rate, "ScopeDownStatement")
		if !contains(scope, "POST") {
			t.Errorf("%s: scope-down does not name POST", name)
		}
		re := pathRegex(t, name, scope, "live")
		for _, p := range paths {
			if !re(p) {
				t.Errorf("%s: path %s is not matched", name, p)
			}
		}
		for _, p := range []string{"/v1/registrations/r-1/verify", "/v1/helpdesk/tickets/t-1", "/v1/challenge", "/x/v1/registrationsx"} {
			if re(p) {
				t.Errorf("%s: path %s is matched", name, p)
			}
		}
		action := template.Get(rs[name], "Action")
		if action.Tag != "!If" || !contains(action, "RateLimitCaptcha") || !contains(action, "RateLimitChallenge") || !contains(action, "rate-limited") {
			t.Errorf("%s: action is not Captcha, Challenge or Block (429) by parameter", name)
		}
	}
	if template.Get(tpl.Root, "Parameters", "WafClientIp").Kind != 0 || template.Get(tpl.Root, "Conditions", "ClientIpForwarded").Kind != 0 || contains(acl, "ClientIpForwarded") {
		t.Errorf("WafClientIp and its condition are still there")
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
		t.Fatalf("no country rule under !If HasCountryRestriction using WafAllowedCountries")
	}
	if f := template.Get(country.Content[1], "Statement", "AndStatement", "Statements").Content[0]; template.Get(f, "NotStatement", "Statement", "GeoMatchStatement", "ForwardedIPConfig", "HeaderName").Value != "x-viewer-ip" {
		t.Errorf("the country rule does not judge the viewer (x-viewer-ip)")
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
	if !contains(redacted, "authorization") || !contains(redacted, "x-origin-verify") || !strings.Contains(fmtNode(redacted), "QueryString") {
		t.Errorf("WAF logs must redact the Authorization header, the origin secret and the query string")
	}
}

// transformations lists a statement's text transformation types in priority order.
func transformations(stmt *yaml.Node) []string {
	ts := slices.Clone(template.Get(stmt, "TextTransformations").Content)
	slices.SortFunc(ts, func(a, b *yaml.Node) int {
		x, _ := strconv.Atoi(template.Get(a, "Priority").Value)
		y, _ := strconv.Atoi(template.Get(b, "Priority").Value)
		return x - y
	})
	var out []string
	for _, tr := range ts {
		out = append(out, template.Get(tr, "Type").Value)
	}
	return out
}

// pathRegex finds the scope-down's RegexMatchStatement on the URI path and answers
// a matcher that applies its transformations (URL_DECODE, then LOWERCASE) and its
// regex, with ${StageName} as stage.
func pathRegex(t *testing.T, name string, scope *yaml.Node, stage string) func(string) bool {
	t.Helper()
	var rm *yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Kind == yaml.MappingNode && n.Content[i].Value == "RegexMatchStatement" {
				rm = n.Content[i+1]
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(scope)
	if rm == nil || template.Get(rm, "FieldToMatch", "UriPath").Kind == 0 {
		t.Fatalf("%s: no RegexMatchStatement on the URI path", name)
	}
	if got := transformations(rm); !slices.Equal(got, []string{"URL_DECODE", "LOWERCASE"}) {
		t.Errorf("%s: transformations %v, want URL_DECODE then LOWERCASE", name, got)
	}
	src := strings.ReplaceAll(template.Get(rm, "RegexString").Value, "${StageName}", stage)
	re, err := regexp.Compile(src)
	if err != nil {
		t.Fatalf("%s: regex %q: %v", name, src, err)
	}
	return func(p string) bool {
		d, err := url.PathUnescape(p)
		if err != nil {
			return false
		}
		return re.MatchString(strings.ToLower(d))
	}
}

// The site's distribution: the viewer address for the regional ACL, and the
// optional CLOUDFRONT-scope web ACL with the lists that judge the connecting address.
func TestEdge(t *testing.T) {
	tpl := load(t)
	fn := resource(t, tpl, "ViewerIpFunction", "AWS::CloudFront::Function")
	code := template.Get(fn, "FunctionCode").Value
	if template.Get(fn, "FunctionConfig", "Runtime").Value != "cloudfront-js-2.0" || template.Get(fn, "AutoPublish").Value != "true" ||
		!strings.Contains(code, "'x-viewer-ip'") || !strings.Contains(code, "event.viewer.ip") {
		t.Errorf("ViewerIpFunction does not set x-viewer-ip to event.viewer.ip (cloudfront-js-2.0, published)")
	}
	dist := resource(t, tpl, "SiteDistribution", "AWS::CloudFront::Distribution")
	var api *yaml.Node
	for _, b := range template.Get(dist, "DistributionConfig", "CacheBehaviors").Content {
		if template.Get(b, "PathPattern").Value == "/v1/*" {
			api = b
		}
	}
	if api == nil {
		t.Fatalf("no /v1/* cache behaviour")
	}
	fa := template.Get(api, "FunctionAssociations").Content
	if len(fa) != 1 || template.Get(fa[0], "EventType").Value != "viewer-request" || template.Get(fa[0], "FunctionARN").Value != "ViewerIpFunction.FunctionMetadata.FunctionARN" {
		t.Errorf("/v1/* does not run ViewerIpFunction on viewer requests")
	}
	if template.Get(tpl.Root, "Parameters", "EdgeWebAclArn", "Default").Value != "" || template.Get(tpl.Root, "Parameters", "EdgeWebAclArn").Kind == 0 {
		t.Errorf("no optional EdgeWebAclArn parameter")
	}
	if w := template.Get(dist, "DistributionConfig", "WebACLId"); w.Tag != "!If" || !slices.Equal(scalars(w), []string{"!If", "HasEdgeWebAcl", "EdgeWebAclArn", "!Ref", "AWS::NoValue", "!Ref"}) {
		t.Errorf("WebACLId is not EdgeWebAclArn when set: %v", scalars(w))
	}

	// Opt-out links in e-mails point at PublicBaseURL: no placeholder default.
	pub := template.Get(tpl.Root, "Parameters", "PublicBaseURL")
	if template.Get(pub, "Default").Kind != 0 || template.Get(pub, "AllowedPattern").Value != "^https://[^/]+$" {
		t.Errorf("PublicBaseURL must have no default and be an https origin")
	}
	if tpl.Parameters["PublicBaseURL"] != "" {
		t.Errorf("locally PublicBaseURL resolves to %q, want empty (register falls back to the local origin)", tpl.Parameters["PublicBaseURL"])
	}
	for _, p := range []string{"SiteDomainName", "SiteCertificateArn"} {
		if n := template.Get(tpl.Root, "Parameters", p); n.Kind == 0 || template.Get(n, "Default").Value != "" {
			t.Errorf("no optional %s parameter", p)
		}
	}
	if a := template.Get(dist, "DistributionConfig", "Aliases"); a.Tag != "!If" || a.Content[0].Value != "HasSiteDomain" || !isRef(a.Content[1].Content[0], "SiteDomainName") {
		t.Errorf("Aliases is not [SiteDomainName] under HasSiteDomain")
	}
	vc := template.Get(dist, "DistributionConfig", "ViewerCertificate")
	if vc.Tag != "!If" || vc.Content[0].Value != "HasSiteDomain" || !isRef(template.Get(vc.Content[1], "AcmCertificateArn"), "SiteCertificateArn") ||
		template.Get(vc.Content[1], "SslSupportMethod").Value != "sni-only" || template.Get(vc.Content[2], "CloudFrontDefaultCertificate").Value != "true" {
		t.Errorf("ViewerCertificate is not SiteCertificateArn (SNI) with a domain, else CloudFront's default")
	}

	edge, err := template.Load(filepath.Join(moto.Root(), "infra", "edge-waf.yaml"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	acl := resource(t, edge, "EdgeWebAcl", "AWS::WAFv2::WebACL")
	if template.Get(acl, "Scope").Value != "CLOUDFRONT" {
		t.Errorf("edge web ACL scope %q, want CLOUDFRONT", template.Get(acl, "Scope").Value)
	}
	rs := rules(acl)
	groups := map[string]*yaml.Node{}
	for _, r := range rs {
		groups[template.Get(r, "Statement", "ManagedRuleGroupStatement", "Name").Value] = r
	}
	if groups["AWSManagedRulesAmazonIpReputationList"] == nil || groups["AWSManagedRulesAnonymousIpList"] == nil {
		t.Errorf("the edge web ACL lacks the IP reputation or anonymous-IP group")
	}
	if anon := groups["AWSManagedRulesAnonymousIpList"]; anon != nil {
		re := pathRegex(t, "aws-anonymous-ip", template.Get(anon, "Statement", "ManagedRuleGroupStatement", "ScopeDownStatement"), "")
		for p, want := range map[string]bool{"/v1/registrations": true, "/v1/registrations/r-1/resend": true, "/v1/helpdesk/tickets": true, "/v1/qr/verify": false, "/v1/registrations/r-1/verify": false, "/index.html": false} {
			if re(p) != want {
				t.Errorf("aws-anonymous-ip: path %s matched %v, want %v", p, !want, want)
			}
		}
	}
	rate := template.Get(rs["send-rate"], "Statement", "RateBasedStatement")
	if template.Get(rate, "AggregateKeyType").Value != "IP" || !contains(template.Get(rate, "ScopeDownStatement"), "POST") {
		t.Errorf("the edge web ACL has no per-IP rate rule on the sending paths")
	}
	if o := template.Get(edge.Root, "Outputs", "WebAclArn", "Value"); o.Tag != "!GetAtt" || o.Value != "EdgeWebAcl.Arn" {
		t.Errorf("edge template does not output its web ACL ARN")
	}
}

func fmtNode(n *yaml.Node) string {
	b, _ := yaml.Marshal(n)
	return string(b)
}

func TestAPIValidationAndThrottling(t *testing.T) {
	tpl := load(t)
	api := resource(t, tpl, "RegistryApi", "AWS::Serverless::Api")
	if v := template.Get(api, "OpenApiVersion"); v.Value != "2.0" || v.Tag != "!!str" {
		t.Errorf("RegistryApi OpenApiVersion %q (%s), want the string 2.0: without it SAM adds a stage named Stage with no web ACL or throttling", v.Value, v.Tag)
	}
	// The origin secret reaches only the functions that read it.
	if template.Get(tpl.Root, "Globals", "Function", "Environment", "Variables", "ORIGIN_VERIFY_SECRET").Kind != 0 {
		t.Errorf("ORIGIN_VERIFY_SECRET is in Globals: every function would get the secret")
	}
	for id, typ := range tpl.Resources {
		if typ != "AWS::Serverless::Function" {
			continue
		}
		v := template.Get(tpl.Root, "Resources", id, "Properties", "Environment", "Variables", "ORIGIN_VERIFY_SECRET")
		want := id == "RegisterFunction" || id == "HelpdeskFunction" || id == "VerifyFunction"
		has := isRef(v, "OriginVerifySecret") || v.Tag == "!If" && len(v.Content) == 3 && isRef(v.Content[2], "OriginVerifySecret") &&
			strings.Contains(fmtNode(v.Content[1]), "PreviousOriginVerifySecret")
		if want != has || (!want && v.Kind != 0) {
			t.Errorf("%s: ORIGIN_VERIFY_SECRET present=%v, want %v (!Ref OriginVerifySecret on RegisterFunction, HelpdeskFunction and VerifyFunction only)", id, v.Kind != 0, want)
		}
	}
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
		// Types and lengths only: missing and unknown fields are the function's to
		// answer, with "fields" naming them.
		m := template.Get(models, model)
		if template.Get(m, "type").Value != "object" || template.Get(m, "additionalProperties").Kind != 0 || template.Get(m, "required").Kind != 0 {
			t.Errorf("model %s: want an object without required or additionalProperties", model)
		}
		props := template.Get(m, "properties")
		for i := 0; i+1 < len(props.Content); i += 2 {
			if p := props.Content[i+1]; template.Get(p, "type").Kind == 0 || template.Get(p, "maxLength").Value == "" {
				t.Errorf("model %s: property %s without a JSON type and maxLength", model, props.Content[i].Value)
			}
		}
	}
	if rm := template.Get(tpl.Root, "Resources", "RegisterFunction", "Properties", "Events", "OptOut", "Properties", "RequestModel"); rm.Kind != 0 {
		t.Errorf("POST /v1/optout has a RequestModel: it takes an HTML form post too")
	}

	// API Gateway's own errors: the contract's envelope, its codes and statuses,
	// Retry-After on 429 and 503, and the request id like the functions' responses.
	codes := map[string]string{"invalid_request": "400", "unauthorized": "401", "forbidden": "403", "not_found": "404", "payload_too_large": "413", "unsupported_media_type": "415", "rate_limited": "429", "temporarily_unavailable": "503", "internal": "500"}
	want := map[string]struct{ status, code string }{
		"BAD_REQUEST_BODY":             {"400", "invalid_request"},
		"MISSING_AUTHENTICATION_TOKEN": {"404", "not_found"},
		"WAF_FILTERED":                 {"403", "forbidden"},
		"REQUEST_TOO_LARGE":            {"413", "payload_too_large"},
		"THROTTLED":                    {"429", "rate_limited"},
		"QUOTA_EXCEEDED":               {"429", "rate_limited"},
		"INTEGRATION_TIMEOUT":          {"503", "temporarily_unavailable"},
		"INTEGRATION_FAILURE":          {"503", "temporarily_unavailable"},
		"DEFAULT_4XX":                  {"", "invalid_request"},
		"DEFAULT_5XX":                  {"", "internal"},
	}
	grs := template.Get(api, "GatewayResponses")
	seen := map[string]bool{}
	for i := 0; i+1 < len(grs.Content); i += 2 {
		typ, gr := grs.Content[i].Value, grs.Content[i+1]
		seen[typ] = true
		status := template.Get(gr, "StatusCode").Value
		tmpl := template.Get(gr, "ResponseTemplates", "application/json").Value
		var body struct {
			Error map[string]any `json:"error"`
		}
		if err := json.Unmarshal([]byte(tmpl), &body); err != nil || body.Error == nil {
			t.Errorf("%s: body %q is not JSON: %v", typ, tmpl, err)
			continue
		}
		code, _ := body.Error["code"].(string)
		msg, _ := body.Error["message"].(string)
		if msg == "" || strings.Contains(tmpl, "$") {
			t.Errorf("%s: want a fixed message, got %q", typ, tmpl)
		}
		if w, ok := want[typ]; ok && (status != w.status || code != w.code) {
			t.Errorf("%s: %s %s, want %s %s", typ, status, code, w.status, w.code)
		}
		if s, ok := codes[code]; !ok || status != "" && status != s {
			t.Errorf("%s: code %q with status %s is not the contract's", typ, code, status)
		}
		hs := template.Get(gr, "ResponseParameters", "Headers")
		if v := template.Get(hs, "X-Request-Id").Value; v != "context.requestId" {
			t.Errorf("%s: X-Request-Id %q, want the mapping expression context.requestId", typ, v)
		}
		retry := template.Get(hs, "Retry-After").Value
		if status == "429" || status == "503" {
			secs, _ := body.Error["retryAfterSeconds"].(float64)
			if retry != fmt.Sprintf("'%d'", int(secs)) || secs <= 0 {
				t.Errorf("%s: Retry-After %s and retryAfterSeconds %v, want the same quoted static value", typ, retry, body.Error["retryAfterSeconds"])
			}
		}
	}
	for typ := range want {
		if !seen[typ] {
			t.Errorf("no gateway response %s", typ)
		}
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
	if p := template.Get(tpl.Root, "Resources", "AlarmFunction", "Properties", "Environment", "Variables", "ALARM_NAME_PREFIX"); p == nil || p.Tag != "!Sub" || p.Value != "${AWS::StackName}-" {
		t.Errorf("AlarmFunction does not get ALARM_NAME_PREFIX !Sub ${AWS::StackName}-, the prefix of every alarm's name")
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
	limits := map[string]bool{register.LimitClientIP: true, register.LimitClientNet: true, register.LimitCooldown: true, register.LimitDestCap: true,
		register.LimitDomainHour: true, register.LimitDomainDay: true}
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
