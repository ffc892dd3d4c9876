// Package lambdabench measures every function's built bootstrap as Lambda runs it,
// beside a naive aws-lambda-go + SDK Lambda (testdata/baseline) built in the same
// run with the same flags: the time from exec to the first GET of /next (what
// Lambda bills as init), the arm64 binary's size, and the peak RSS after one
// event. Each figure is also printed as a ratio to the baseline's.
package lambdabench

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/infra/runtimeapi"
	"github.com/checkin-registry/registry/infra/template"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

// binary is one program built twice: for this machine, to run, and for Lambda's
// arm64, to weigh.
type binary struct {
	name, logicalID, event string
	native                 string
	arm64Size              int64
}

// coldEvent is the event of a cold start where it is not events/<name>.json:
// inbound's SMS parses the sender's number.
var coldEvent = map[string]string{"inbound": "inbound-sms.json"}

var built struct {
	once sync.Once
	bins []binary
	err  error
}

// build builds the baseline and every Go function of the template, as `make build` does.
func build(b *testing.B) []binary {
	b.Helper()
	built.once.Do(func() {
		root := moto.Root()
		tpl, err := template.Load(filepath.Join(root, "template.yaml"), nil, nil)
		if err != nil {
			built.err = err
			return
		}
		bins := []binary{{name: "baseline", logicalID: "RegisterFunction", event: "register.json"}}
		var ids []string
		for id := range tpl.Functions {
			if tpl.Resources[id] == "AWS::Serverless::Function" {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			name := strings.ToLower(strings.TrimSuffix(id, "Function"))
			event := name + ".json"
			if e, ok := coldEvent[name]; ok {
				event = e
			}
			bins = append(bins, binary{name: name, logicalID: id, event: event})
		}
		dir, err := os.MkdirTemp("", "lambdabench")
		if err != nil {
			built.err = err
			return
		}
		for i := range bins {
			pkg := "./functions/" + bins[i].name + "/cmd"
			if bins[i].name == "baseline" {
				pkg = "./infra/lambdabench/testdata/baseline"
			}
			bins[i].native = filepath.Join(dir, bins[i].name)
			arm := filepath.Join(dir, bins[i].name+".arm64")
			if built.err = goBuild(root, pkg, bins[i].native, ""); built.err != nil {
				return
			}
			if built.err = goBuild(root, pkg, arm, "arm64"); built.err != nil {
				return
			}
			fi, err := os.Stat(arm)
			if err != nil {
				built.err = err
				return
			}
			bins[i].arm64Size = fi.Size()
		}
		built.bins = bins
	})
	if built.err != nil {
		b.Fatal(built.err)
	}
	return built.bins
}

func goBuild(root, pkg, out, arch string) error {
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false")
	if arch != "" {
		cmd.Env = append(cmd.Env, "GOOS=linux", "GOARCH="+arch)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return &buildError{pkg: pkg, out: string(out), err: err}
	}
	return nil
}

type buildError struct {
	pkg, out string
	err      error
}

func (e *buildError) Error() string { return "build " + e.pkg + ": " + e.err.Error() + "\n" + e.out }

// run is one cold start: exec to the first poll of /next, then one event (how
// long it took: what is left to build on first use is paid here), then the
// process's peak RSS.
type run struct {
	init, first time.Duration
	rss         int64 // KiB
}

func coldStart(b *testing.B, bin binary, st *mototest.TestStack) run {
	b.Helper()
	api, err := runtimeapi.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer api.Close()
	event, err := os.ReadFile(filepath.Join(moto.Root(), "events", bin.event))
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin.native)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+api.Addr, "AWS_ENDPOINT_URL="+mototest.URL(b),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1",
		"AWS_LAMBDA_FUNCTION_NAME="+bin.name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256")
	for k, v := range st.Env(bin.logicalID) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	at, err := api.Poll(30 * time.Second)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		b.Fatalf("%s: %v", bin.name, err)
	}
	sent := time.Now()
	api.Send(event)
	res, err := api.Result(30 * time.Second)
	// The kernel keeps ru_maxrss across exec, so a child of this large test
	// process would report the parent's; /proc has the child's own high-water mark.
	rss := peakRSS(cmd.Process.Pid)
	cmd.Process.Kill()
	cmd.Wait()
	if err != nil || res.Err {
		b.Fatalf("%s: %v %s", bin.name, err, res.Body)
	}
	return run{init: at.Sub(begin), first: res.At.Sub(sent), rss: rss}
}

// peakRSS is VmHWM of /proc/<pid>/status, in KiB.
func peakRSS(pid int) int64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// BenchmarkInit runs each function's bootstrap and the baseline's in turn, so
// that both see the same load on the machine, and reports medians and ratios:
// init-ms (exec to the first /next), size-MB (arm64, stripped, as `make build`),
// rss-MiB (peak after one event), and each over the baseline's as init-x, size-x
// and rss-x; first-ms is the first event's time from /next to its answer, for
// register a phone number's (against moto, so mostly the function's own work).
func BenchmarkInit(b *testing.B) {
	bins := build(b)
	st := mototest.NewTestStack(b, nil)
	base := bins[0]
	for _, fn := range bins[1:] {
		b.Run(fn.name, func(b *testing.B) {
			var fnRuns, baseRuns []run
			for b.Loop() {
				baseRuns = append(baseRuns, coldStart(b, base, st))
				fnRuns = append(fnRuns, coldStart(b, fn, st))
			}
			fi, bi := median(fnRuns, initOf), median(baseRuns, initOf)
			fr, br := median(fnRuns, rssOf), median(baseRuns, rssOf)
			b.ReportMetric(fi/1e6, "init-ms")
			b.ReportMetric(fi/bi, "init-x")
			b.ReportMetric(float64(fn.arm64Size)/1e6, "size-MB")
			b.ReportMetric(float64(fn.arm64Size)/float64(base.arm64Size), "size-x")
			b.ReportMetric(fr/1024, "rss-MiB")
			b.ReportMetric(fr/br, "rss-x")
			b.ReportMetric(bi/1e6, "baseline-init-ms")
			b.ReportMetric(median(fnRuns, firstOf)/1e6, "first-ms")
		})
	}
}

func initOf(r run) float64  { return float64(r.init) }
func rssOf(r run) float64   { return float64(r.rss) }
func firstOf(r run) float64 { return float64(r.first) }

func median(runs []run, of func(run) float64) float64 {
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = of(r)
	}
	sort.Float64s(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}
