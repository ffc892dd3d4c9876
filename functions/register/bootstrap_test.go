package register_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/infra/runtimeapi"
)

// buildBootstrap builds this function's main with the tag `make build` uses (lambda.norpc),
// for this machine's architecture.
func buildBootstrap(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "./cmd")
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// runBootstrap starts the binary as Lambda would, against the stack in the
// emulator, and serves it event; it answers the response and how long the
// process took from start to answering.
func runBootstrap(tb testing.TB, bin string, st *mototest.TestStack, event []byte) (events.APIGatewayProxyResponse, time.Duration) {
	tb.Helper()
	api, err := runtimeapi.Start()
	if err != nil {
		tb.Fatal(err)
	}
	defer api.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+api.Addr, "AWS_ENDPOINT_URL="+mototest.URL(tb),
		"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1", "AWS_LAMBDA_FUNCTION_NAME=register")
	for k, v := range st.Env("RegisterFunction") {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	api.Send(event)
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	res, err := api.Result(30 * time.Second)
	if err != nil || res.Err {
		tb.Fatalf("bootstrap: %v %s", err, res.Body)
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(res.Body, &resp); err != nil {
		tb.Fatal(err)
	}
	return resp, res.At.Sub(begin)
}

func sampleEvent(tb testing.TB, name string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(moto.Root(), "events", name))
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// TestBootstrapServesAnEvent runs the built Lambda binary on the sample event.
func TestBootstrapServesAnEvent(t *testing.T) {
	st := mototest.NewTestStack(t, nil)
	resp, took := runBootstrap(t, buildBootstrap(t), st, sampleEvent(t, "register.json"))
	if resp.StatusCode != 202 || resp.Headers["X-Request-Id"] == "" {
		t.Fatalf("status=%d body=%s", resp.StatusCode, resp.Body)
	}
	t.Logf("process start to first response: %s", took)
}

// BenchmarkColdStart is the time from starting the register function's process
// to its answer to the first request: runtime start, configuration, the SSM read
// of the master key, and a whole registration with its DynamoDB calls and send.
func BenchmarkColdStart(b *testing.B) {
	st := mototest.NewTestStack(b, nil)
	bin := buildBootstrap(b)
	var total time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ev := sampleEvent(b, "register.json")
		var m map[string]any
		json.Unmarshal(ev, &m)
		m["requestContext"].(map[string]any)["identity"].(map[string]any)["sourceIp"] = spread(i)
		body := map[string]any{}
		json.Unmarshal([]byte(m["body"].(string)), &body)
		body["phone"] = phone(i)
		b2, _ := json.Marshal(body)
		m["body"] = string(b2)
		ev, _ = json.Marshal(m)
		resp, took := runBootstrap(b, bin, st, ev)
		if resp.StatusCode != 202 {
			b.Fatalf("status=%d body=%s", resp.StatusCode, resp.Body)
		}
		total += took
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/first-response")
}
