package template_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/checkin-registry/registry/infra/moto"
)

// TestMakeBuild checks that `make build` would build exactly the template's Go
// functions, each from a main package that exists. It reads the commands make would
// run (-n) rather than cross-compiling all of them, which the build job does.
func TestMakeBuild(t *testing.T) {
	tpl := load(t)
	root := moto.Root()
	out, err := exec.Command("make", "-C", root, "-n", "--no-print-directory", "build").CombinedOutput()
	if err != nil {
		t.Fatalf("make -n build: %v\n%s", err, out)
	}
	pkg := regexp.MustCompile(`-o "([^"]*)/bootstrap" (\./\S+)`)
	var built []string
	for _, line := range strings.Split(string(out), "\n") {
		m := pkg.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		id, path := filepath.Base(m[1]), m[2]
		built = append(built, id)
		if st, err := os.Stat(filepath.Join(root, path, "main.go")); err != nil || st.IsDir() {
			t.Errorf("%s: make build compiles %s, which has no main.go", id, path)
		}
	}
	var want []string
	for id, typ := range tpl.Resources {
		if typ == "AWS::Serverless::Function" {
			want = append(want, id)
		}
	}
	slices.Sort(built)
	slices.Sort(want)
	if !slices.Equal(built, want) {
		t.Errorf("make build builds %v, want the template's functions %v", built, want)
	}
}
