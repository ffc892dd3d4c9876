package lambdabench

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/infra/runtimeapi"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/shared/token"
)

// Lambda gives a function CPU in proportion to its memory: one vCPU at 1,769 MB.
const fullCPU = 1769

// arm64 prices in us-east-1 (USD): per GB-second of billed duration (1 ms
// granularity) and per request.
const (
	pricePerGBs     = 0.0000133334
	pricePerRequest = 0.20 / 1e6
)

var memorySizes = []int{128, 256, 512, 1024}

// cpuQuota runs commands under a CPU quota of mem/1769 of one CPU, as Lambda
// would give a function of mem MB: a cgroup v1 cpu controller group (this
// machine's; cgroup v2's cpu.max is the same setting). It skips the benchmark
// where the group cannot be made (not root, no cpu controller).
func cpuQuota(b *testing.B, mem int) string {
	b.Helper()
	dir := filepath.Join("/sys/fs/cgroup/cpu", "lambdabench-"+strconv.Itoa(mem))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Skipf("no cgroup cpu controller to emulate Lambda's CPU share: %v", err)
	}
	period := 100000
	quota := max(1000, period*mem/fullCPU)
	for f, v := range map[string]int{"cpu.cfs_period_us": period, "cpu.cfs_quota_us": quota} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(strconv.Itoa(v)), 0o644); err != nil {
			b.Skipf("cannot set %s: %v", f, err)
		}
	}
	return dir
}

// request makes the i'th event of a function's workload: each one a fresh
// client and destination where limits would otherwise answer instead.
type request func(i int) []byte

func workloads(b *testing.B, st *mototest.TestStack) map[string]request {
	b.Helper()
	read := func(name string) map[string]any {
		raw, err := os.ReadFile(filepath.Join(moto.Root(), "events", name))
		if err != nil {
			b.Fatal(err)
		}
		var m map[string]any
		json.Unmarshal(raw, &m)
		return m
	}
	api := func(name string, vary func(ev, body map[string]any, i int)) request {
		return func(i int) []byte {
			ev := read(name)
			body := map[string]any{}
			if s, ok := ev["body"].(string); ok && s != "" {
				json.Unmarshal([]byte(s), &body)
			}
			ev["requestContext"].(map[string]any)["identity"].(map[string]any)["sourceIp"] = fmt.Sprintf("10.%d.%d.7", i/250, i%250)
			vary(ev, body, i)
			if len(body) > 0 {
				raw, _ := json.Marshal(body)
				ev["body"] = string(raw)
			}
			raw, _ := json.Marshal(ev)
			return raw
		}
	}
	plain := func(name string) request {
		raw, _ := json.Marshal(read(name))
		return func(int) []byte { return raw }
	}
	// A venue whose code the qr function renders: it signs the payload on the
	// first request and renders the stored one after.
	venueID, err := store.NewID(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	item, err := store.Marshal("venue#"+venueID, store.Venue{ID: venueID, BusinessName: "Kedai Runcit Ali", Address: "12 Jalan Ampang", Channel: "sms", Contact: "+60123456789", CreatedAt: time.Now().Unix(), TTL: time.Now().Add(24 * time.Hour).Unix()})
	if err != nil {
		b.Fatal(err)
	}
	tx := st.Store().Tx()
	tx.Put("venue", item, store.Expr{})
	if err := st.Store().Commit(context.Background(), tx); err != nil {
		b.Fatal(err)
	}
	tok, _ := token.VenueIssuer(st.Keys(b)).Issue(token.Venue, venueID, time.Now(), time.Hour)
	return map[string]request{
		"alarm":    plain("alarm.json"),
		"feedback": plain("feedback.json"),
		// Each number in a range of its own (E.164 less its last 4 digits), so that
		// no range looks pumped.
		"register": api("register.json", func(_, body map[string]any, i int) { body["phone"] = fmt.Sprintf("+6012%03d%04d", i%1000, i/1000) }),
		"verify":   api("verify.json", func(map[string]any, map[string]any, int) {}),
		"helpdesk": api("helpdesk.json", func(_, body map[string]any, i int) {
			body["email"] = fmt.Sprintf("siti%d@example.com", i)
			body["message"] = fmt.Sprintf("The code did not arrive (try %d).", i)
		}),
		// Half the requests are a 512 px PNG, half the A4 PDF poster.
		"qr": api("qr.json", func(ev, _ map[string]any, i int) {
			if i%2 == 1 {
				ev["queryStringParameters"] = map[string]any{"format": "poster"}
				ev["multiValueQueryStringParameters"] = map[string]any{"format": []string{"poster"}}
			}
			ev["pathParameters"] = map[string]any{"venueId": venueID}
			ev["path"] = "/v1/venues/" + venueID + "/qr"
			ev["headers"].(map[string]any)["Authorization"] = "Bearer " + tok
			ev["multiValueHeaders"].(map[string]any)["Authorization"] = []string{"Bearer " + tok}
		}),
	}
}

// BenchmarkMemory runs each function's bootstrap under the CPU share of each
// memory size and serves it its workload, one request at a time as Lambda does:
// init-ms (exec to first /next), p50-ms and p99-ms of the requests after the
// first, and usd-per-1M, the cost of a million such requests (billed duration at
// the mean, plus the request price). The emulator answers outside the quota, as
// DynamoDB, SES and SNS would.
func BenchmarkMemory(b *testing.B) {
	bins := build(b)
	st := mototest.NewTestStack(b, map[string]string{})
	loads := workloads(b, st)
	// The alarm responder raises the protection mode, which would make every later
	// registration need proof of work: it gets a stack of its own.
	alarmStack := mototest.NewTestStack(b, nil)
	const requests = 40
	next := 0
	for _, fn := range bins[1:] {
		for _, mem := range memorySizes {
			b.Run(fmt.Sprintf("%s/%dMB", fn.name, mem), func(b *testing.B) {
				if loads[fn.name] == nil {
					b.Skipf("no workload for %s", fn.name)
				}
				st := st
				if fn.name == "alarm" {
					st = alarmStack
				}
				group := cpuQuota(b, mem)
				var inits, took []time.Duration
				for b.Loop() {
					init, d, refused := serve(b, fn, st, group, mem, loads[fn.name], next, requests)
					if refused > 0 {
						b.Fatalf("%d of %d requests were refused (4xx): vary the workload", refused, requests)
					}
					next += requests
					inits, took = append(inits, init), append(took, d...)
				}
				sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
				var sum time.Duration
				for _, d := range took {
					sum += d
				}
				mean := float64(sum.Milliseconds()) / float64(len(took))
				p := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Microseconds()) / 1000 }
				b.ReportMetric(float64(medianDuration(inits).Microseconds())/1000, "init-ms")
				b.ReportMetric(p(0.5), "p50-ms")
				b.ReportMetric(p(0.99), "p99-ms")
				b.ReportMetric(1e6*(math.Ceil(mean)/1000*float64(mem)/1024*pricePerGBs+pricePerRequest), "usd-per-1M")
			})
		}
	}
}

// serve starts the bootstrap inside group, answers its init time and the time of
// each request after the first.
func serve(b *testing.B, bin binary, st *mototest.TestStack, group string, mem int, load request, first, n int) (time.Duration, []time.Duration, int) {
	b.Helper()
	api, err := runtimeapi.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer api.Close()
	// The shell joins the group, then becomes the bootstrap: all of init runs under the quota.
	cmd := exec.Command("sh", "-c", `echo $$ > "$1/cgroup.procs" && exec "$0"`, bin.native, group)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+api.Addr, "AWS_ENDPOINT_URL="+mototest.URL(b),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1",
		"AWS_LAMBDA_FUNCTION_NAME="+bin.name, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE="+strconv.Itoa(mem),
		"SMS_HOURLY_BUDGET=1000000", "EMAIL_HOURLY_BUDGET=1000000", "HELPDESK_GLOBAL_MAX=1000000",
		// The workload's codes are never verified: without these, the limits that
		// learn from verification would answer it (429, 428) instead of the code path.
		"SMS_OPEN_BUDGET=1000000", "EMAIL_OPEN_BUDGET=1000000", "UNVERIFIED_SHRINKS=0",
		"PREFIX_MAX_UNVERIFIED=100000", "POW_NETWORK_FLOOR=100000")
	for k, v := range st.Env(bin.logicalID) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var logs mototest.SyncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	at, err := api.Poll(30 * time.Second)
	if err != nil {
		b.Fatalf("%s: %v", bin.name, err)
	}
	var took []time.Duration
	refused := 0
	for i := range n {
		sent := time.Now()
		api.Send(load(first + i))
		res, err := api.Result(30 * time.Second)
		if err != nil || res.Err {
			b.Fatalf("%s: %v %s", bin.name, err, res.Body)
		}
		var resp struct{ StatusCode int }
		if json.Unmarshal(res.Body, &resp); resp.StatusCode >= 500 {
			b.Fatalf("%s: status %d: %s\n%s", bin.name, resp.StatusCode, res.Body, logs.String())
		}
		if resp.StatusCode >= 400 && bin.name != "verify" {
			refused++ // a limit answered: the workload no longer measures the real path
			if refused == 1 {
				b.Logf("%s: first refusal: %s", bin.name, res.Body)
			}
		}
		if i > 0 {
			took = append(took, res.At.Sub(sent))
		}
	}
	return at.Sub(begin), took, refused
}

func medianDuration(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
