// Package template reads the SAM template, so that the local server mounts exactly
// the routes and creates exactly the tables that the cloud stack declares.
package template

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Route is one API event of a function.
type Route struct {
	Method string // upper case
	Path   string // with {name} placeholders, as API Gateway names the resource
}

// Function is one AWS::Serverless::Function.
type Function struct {
	LogicalID string
	Routes    []Route
	// Env is the function's environment after Globals, with !Ref resolved.
	Env map[string]string
}

// Table is one AWS::DynamoDB::Table.
type Table struct {
	LogicalID string
	HashKey   string
	HashType  string
	TTL       string
	// Types is every attribute definition's type, by name.
	Types   map[string]string
	Indexes []Index
}

// Index is one of a table's global secondary indexes.
type Index struct {
	Name, HashKey, RangeKey string
	// Projection is the ProjectionType (KEYS_ONLY, INCLUDE, ALL).
	Projection string
}

// Template is what the local stack needs from template.yaml.
type Template struct {
	Parameters map[string]string // defaults
	Functions  map[string]Function
	Tables     []Table
	// Resources maps every logical ID to its type.
	Resources map[string]string
	Root      *yaml.Node
}

// Load parses the template at path. refs resolves !Ref to a resource: the local
// physical name of a table, for instance; parameters resolve to their defaults
// unless overrides name them.
func Load(path string, overrides map[string]string, refs func(logicalID string) string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("parse template: empty")
	}
	root := doc.Content[0]
	t := &Template{Parameters: map[string]string{}, Functions: map[string]Function{}, Resources: map[string]string{}, Root: root}
	for name, p := range mapping(get(root, "Parameters")) {
		t.Parameters[name] = scalar(get(p, "Default"))
		if v, ok := overrides[name]; ok {
			t.Parameters[name] = v
		}
	}
	resolve := func(n *yaml.Node) string {
		if n != nil && n.Tag == "!Sub" {
			return t.sub(n.Value, refs)
		}
		if n != nil && n.Tag == "!Ref" {
			if v, ok := t.Parameters[n.Value]; ok {
				return v
			}
			if refs != nil {
				return refs(n.Value)
			}
			return n.Value
		}
		return scalar(n)
	}
	globalEnv := map[string]string{}
	for k, v := range mapping(get(root, "Globals", "Function", "Environment", "Variables")) {
		globalEnv[k] = resolve(v)
	}
	for id, r := range mapping(get(root, "Resources")) {
		typ := scalar(get(r, "Type"))
		t.Resources[id] = typ
		switch typ {
		case "AWS::Serverless::Function":
			f := Function{LogicalID: id, Env: map[string]string{}}
			for k, v := range globalEnv {
				f.Env[k] = v
			}
			for k, v := range mapping(get(r, "Properties", "Environment", "Variables")) {
				f.Env[k] = resolve(v)
			}
			for _, ev := range mapping(get(r, "Properties", "Events")) {
				if scalar(get(ev, "Type")) == "Api" {
					f.Routes = append(f.Routes, Route{Method: strings.ToUpper(scalar(get(ev, "Properties", "Method"))), Path: scalar(get(ev, "Properties", "Path"))})
				}
			}
			sort.Slice(f.Routes, func(i, j int) bool { return f.Routes[i].Path+f.Routes[i].Method < f.Routes[j].Path+f.Routes[j].Method })
			t.Functions[id] = f
		case "AWS::DynamoDB::Table":
			tb := Table{LogicalID: id, TTL: scalar(get(r, "Properties", "TimeToLiveSpecification", "AttributeName"))}
			types := map[string]string{}
			for _, a := range get(r, "Properties", "AttributeDefinitions").Content {
				types[scalar(get(a, "AttributeName"))] = scalar(get(a, "AttributeType"))
			}
			for _, k := range get(r, "Properties", "KeySchema").Content {
				if scalar(get(k, "KeyType")) == "HASH" {
					tb.HashKey = scalar(get(k, "AttributeName"))
					tb.HashType = types[tb.HashKey]
				}
			}
			tb.Types = types
			if gsis := get(r, "Properties", "GlobalSecondaryIndexes"); gsis != nil {
				for _, g := range gsis.Content {
					ix := Index{Name: scalar(get(g, "IndexName")), Projection: scalar(get(g, "Projection", "ProjectionType"))}
					for _, k := range get(g, "KeySchema").Content {
						switch scalar(get(k, "KeyType")) {
						case "HASH":
							ix.HashKey = scalar(get(k, "AttributeName"))
						case "RANGE":
							ix.RangeKey = scalar(get(k, "AttributeName"))
						}
					}
					tb.Indexes = append(tb.Indexes, ix)
				}
			}
			t.Tables = append(t.Tables, tb)
		}
	}
	sort.Slice(t.Tables, func(i, j int) bool { return t.Tables[i].LogicalID < t.Tables[j].LogicalID })
	return t, nil
}

// subVar is one ${Name} of a !Sub string.
var subVar = regexp.MustCompile(`\$\{([A-Za-z0-9:]+)\}`)

// sub resolves a !Sub string: each ${Parameter} to its value, and each pseudo
// parameter such as ${AWS::StackName} as refs resolves it, where refs is given.
// Anything else stays as written.
func (t *Template) sub(s string, refs func(string) string) string {
	return subVar.ReplaceAllStringFunc(s, func(v string) string {
		name := v[2 : len(v)-1]
		if p, ok := t.Parameters[name]; ok {
			return p
		}
		if refs != nil && strings.HasPrefix(name, "AWS::") {
			return refs(name)
		}
		return v
	})
}

// get walks mapping keys from n; it answers nil where any is missing.
func get(n *yaml.Node, path ...string) *yaml.Node {
	for _, k := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return &yaml.Node{}
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	if n == nil {
		return &yaml.Node{}
	}
	return n
}

// Get is get for callers outside: a node at a path of mapping keys, or an empty node.
func Get(n *yaml.Node, path ...string) *yaml.Node { return get(n, path...) }

func mapping(n *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	if n == nil || n.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		out[n.Content[i].Value] = n.Content[i+1]
	}
	return out
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}
