package template_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/checkin-registry/registry/infra/template"
	"github.com/checkin-registry/registry/shared/store"
)

// The retention pass reads the table's due index and nothing reads the table
// whole: the index is there as the store names it, the retention role may
// query that index only, and no function may scan.
func TestRetentionReadsTheDueIndex(t *testing.T) {
	tpl := load(t)
	var found bool
	for _, tb := range tpl.Tables {
		for _, ix := range tb.Indexes {
			if tb.LogicalID == "RegistryTable" && ix.Name == store.DueIndex {
				found = ix.HashKey == "due" && ix.RangeKey == "pk" && ix.Projection == "KEYS_ONLY" && tb.Types["due"] == "S"
			}
		}
	}
	if !found {
		t.Errorf("RegistryTable has no keys-only index %q on (due S, pk)", store.DueIndex)
	}
	for id, typ := range tpl.Resources {
		if typ != "AWS::Serverless::Function" {
			continue
		}
		policies := scalars(template.Get(tpl.Root, "Resources", id, "Properties", "Policies"))
		if slices.Contains(policies, "dynamodb:Scan") {
			t.Errorf("%s may scan the table", id)
		}
		if id != "RetentionFunction" && slices.Contains(policies, "dynamodb:Query") {
			t.Errorf("%s may query the table", id)
		}
	}
	queries := false
	policy := template.Get(tpl.Root, "Resources", "RetentionFunction", "Properties", "Policies").Content[0]
	for _, st := range template.Get(policy, "Statement").Content {
		if !contains(template.Get(st, "Action"), "dynamodb:Query") {
			continue
		}
		res := template.Get(st, "Resource")
		queries = true
		if res.Tag != "!Sub" || !strings.HasSuffix(res.Value, "/index/"+store.DueIndex) {
			t.Errorf("RetentionFunction may query %s %q, want the due index only", res.Tag, res.Value)
		}
	}
	if !queries {
		t.Error("RetentionFunction may not query the due index")
	}
}
