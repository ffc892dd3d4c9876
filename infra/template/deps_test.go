package template_test

import (
	"os/exec"
	"path"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/infra/template"
)

// sdkService maps an IAM action's service prefix to the package that calls it:
// an SDK client, or for SSM the secret package's own GetParameter.
var sdkService = map[string]string{
	"dynamodb": "github.com/aws/aws-sdk-go-v2/service/dynamodb",
	"kms":      "github.com/aws/aws-sdk-go-v2/service/kms",
	"ses":      "github.com/aws/aws-sdk-go-v2/service/sesv2",
	"sns":      "github.com/aws/aws-sdk-go-v2/service/sns",
	"ssm":      "github.com/checkin-registry/registry/shared/secret",
}

// never are packages no function may link: the SDK's SSM client, whose
// package init builds a schema for each of SSM's operations at every cold start
// (shared/secret reads the one parameter without it), and libphonenumber's
// release, whose package init unpacks every region's metadata (third_party's
// fork does that on first use).
var never = []string{"github.com/aws/aws-sdk-go-v2/service/ssm", "github.com/nyaruka/phonenumbers"}

// parsesPhoneNumbers are the functions that take a phone number from a request
// (or, for InboundFunction, from an inbound WhatsApp or SMS, normalised as
// register normalises destinations) and so need libphonenumber's metadata; no
// other may link it.
var parsesPhoneNumbers = []string{"HelpdeskFunction", "InboundFunction", "RegisterFunction"}

// heavy are packages that only parsesPhoneNumbers may link: libphonenumber, and
// the protobuf runtime it brings, whose reflection (reflect.Value.MethodByName)
// stops the linker from dropping any unused method, so every operation of every
// SDK client would be linked too.
var heavy = []string{"github.com/checkin-registry/registry/third_party/phonenumbers", "google.golang.org/protobuf/reflect/protoreflect"}

// TestFunctionsLinkOnlyWhatTheyUse lists each template function's dependencies
// (go list -deps of its main) and checks them against its IAM policy: it links
// the SDK client of every service its policy lets it call and of no other, and
// only a function that parses phone numbers links libphonenumber. The SDK's own
// credential clients (STS, SSO, sign-in) are the default configuration's, which
// every function and the baseline share.
func TestFunctionsLinkOnlyWhatTheyUse(t *testing.T) {
	tpl := load(t)
	resources := template.Get(tpl.Root, "Resources")
	for id, typ := range tpl.Resources {
		if typ != "AWS::Serverless::Function" {
			continue
		}
		t.Run(id, func(t *testing.T) {
			pkg := "./functions/" + strings.ToLower(strings.TrimSuffix(id, "Function")) + "/cmd"
			deps := goListDeps(t, pkg)
			allowed := policyServices(template.Get(resources, id, "Properties", "Policies"), topicKeys(tpl))
			for prefix, sdk := range sdkService {
				switch linked, may := slices.Contains(deps, sdk), slices.Contains(allowed, prefix); {
				case linked && !may:
					t.Errorf("%s links %s, but its policy allows no %s action: drop the client or grant what it calls", pkg, path.Base(sdk), prefix)
				case may && !linked:
					t.Errorf("%s's policy allows %s actions, but it links no %s client: drop the statement", id, prefix, path.Base(sdk))
				}
			}
			for _, n := range never {
				if slices.Contains(deps, n) {
					t.Errorf("%s links %s: %s", pkg, n, why(t, pkg, n))
				}
			}
			if slices.Contains(parsesPhoneNumbers, id) {
				return
			}
			for _, h := range heavy {
				if slices.Contains(deps, h) {
					t.Errorf("%s links %s, which only %v need: %s", pkg, h, parsesPhoneNumbers, why(t, pkg, h))
				}
			}
		})
	}
}

func goListDeps(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", pkg)
	cmd.Dir = moto.Root()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// why names a path of imports from pkg to dep, to say where to cut.
func why(t *testing.T, pkg, dep string) string {
	cmd := exec.Command("go", "list", "-tags", "lambda.norpc", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, pkg)
	cmd.Dir = moto.Root()
	out, err := cmd.Output()
	if err != nil {
		return err.Error()
	}
	imports := map[string][]string{}
	var root string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		imports[f[0]] = f[1:]
		root = f[0] // the named package comes last
	}
	prev := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == dep {
			var chain []string
			for ; p != ""; p = prev[p] {
				chain = append([]string{p}, chain...)
			}
			return strings.Join(chain, " → ")
		}
		for _, q := range imports[p] {
			if _, seen := prev[q]; !seen {
				prev[q] = p
				queue = append(queue, q)
			}
		}
	}
	return "no import path found"
}

// topicKeys are the KMS keys that encrypt the template's SNS topics.
func topicKeys(tpl *template.Template) []string {
	var keys []string
	for id, typ := range tpl.Resources {
		if typ == "AWS::SNS::Topic" {
			if k := template.Get(template.Get(tpl.Root, "Resources"), id, "Properties", "KmsMasterKeyId"); k.Value != "" {
				keys = append(keys, strings.SplitN(k.Value, ".", 2)[0])
			}
		}
	}
	return keys
}

// policyServices are the service prefixes of the actions a function's policy
// statements allow. KMS actions that come with another service's calls are not
// KMS calls of the function's own: kms:Decrypt only through SSM (kms:ViaService)
// reads a SecureString, and kms actions on a key of topicKeys publish to an
// encrypted topic.
func policyServices(policies *yaml.Node, topicKeys []string) []string {
	var out []string
	for _, p := range policies.Content {
		for _, st := range template.Get(p, "Statement").Content {
			withOther := strings.HasPrefix(template.Get(st, "Condition", "StringEquals", "kms:ViaService").Value, "ssm.")
			if r := template.Get(st, "Resource"); slices.Contains(topicKeys, strings.SplitN(r.Value, ".", 2)[0]) {
				withOther = true // with sns:Publish, as above
			}
			action := template.Get(st, "Action")
			actions := []string{action.Value}
			if action.Kind == yaml.SequenceNode {
				actions = nil
				for _, a := range action.Content {
					actions = append(actions, a.Value)
				}
			}
			for _, a := range actions {
				prefix, _, _ := strings.Cut(a, ":")
				if prefix == "kms" && withOther || prefix == "" || slices.Contains(out, prefix) {
					continue
				}
				out = append(out, prefix)
			}
		}
	}
	sort.Strings(out)
	return out
}
