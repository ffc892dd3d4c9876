package secret_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/secret"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

// TestFromEnvReadsTheStacksParameter reads the provisioned SecureString from the
// emulator as every function does, and checks it is the value SSM's own client reads.
func TestFromEnvReadsTheStacksParameter(t *testing.T) {
	st := mototest.NewTestStack(t, nil)
	env := st.Config("FeedbackFunction", nil)
	keys, err := secret.FromEnv(env, st.AWS).Keys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out, err := ssm.NewFromConfig(st.AWS).GetParameter(context.Background(), &ssm.GetParameterInput{
		Name: aws.String(env.Required("SECRET_PARAMETER")), WithDecryption: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	want, err := secret.New([]byte(*out.Parameter.Value))
	if err != nil {
		t.Fatal(err)
	}
	if string(keys.Derive("x")) != string(want.Derive("x")) {
		t.Fatal("the parameter read by hand is not the one SSM's client reads")
	}
	if _, err := secret.Load(context.Background(), st.AWS, "/no/such/parameter"); err == nil ||
		!strings.Contains(err.Error(), "ParameterNotFound") {
		t.Fatalf("missing parameter: %v, want ParameterNotFound", err)
	}
}

// fakeSSM answers GetParameter with the answers in turn (the last one again
// once they run out) and checks each request is a GetParameter signed as the
// SDK signs it.
func fakeSSM(t *testing.T, answers ...func(w http.ResponseWriter)) (aws.Config, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI", "")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(calls.Add(1))
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get("X-Amz-Target") != "AmazonSSM.GetParameter" ||
			r.Header.Get("Content-Type") != "application/x-amz-json-1.1" {
			t.Errorf("request %s %s target %q", r.Method, r.URL, r.Header.Get("X-Amz-Target"))
		}
		var in struct {
			Name           string
			WithDecryption bool
		}
		if err := json.Unmarshal(body, &in); err != nil || in.Name != "/svc/master" || !in.WithDecryption {
			t.Errorf("body %s", body)
		}
		// Sign the same request again with the time it carries: the signature
		// must be the one it came with.
		at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		if err != nil {
			t.Errorf("X-Amz-Date: %v", err)
		}
		again, _ := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), strings.NewReader(string(body)))
		for _, h := range []string{"Content-Type", "X-Amz-Target"} {
			again.Header.Set(h, r.Header.Get(h))
		}
		c, _ := creds.Retrieve(context.Background())
		if err := v4.NewSigner().SignHTTP(context.Background(), c, again, sha256Hex(body), "ssm", "ap-southeast-5", at); err != nil {
			t.Error(err)
		}
		if got, want := r.Header.Get("Authorization"), again.Header.Get("Authorization"); got != want || !strings.Contains(got, "/ap-southeast-5/ssm/aws4_request") {
			t.Errorf("Authorization %q, want %q", got, want)
		}
		answers[min(n, len(answers))-1](w)
	}))
	t.Cleanup(srv.Close)
	return aws.Config{Region: "ap-southeast-5", BaseEndpoint: aws.String(srv.URL), Credentials: creds, HTTPClient: srv.Client()}, &calls
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func value(v string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		json.NewEncoder(w).Encode(map[string]any{"Parameter": map[string]any{"Name": "/svc/master", "Type": "SecureString", "Value": v}})
	}
}

func fault(status int, typ, msg string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"__type": "com.amazonaws.ssm#" + typ, "message": msg})
	}
}

const master = "0123456789abcdef0123456789abcdef"

func TestParameterIsReadOnceAndKept(t *testing.T) {
	cfg, calls := fakeSSM(t, value(master))
	p := secret.NewParameter(cfg, "/svc/master")
	if calls.Load() != 0 {
		t.Fatal("the parameter was read before it was asked for")
	}
	for range 3 {
		k, err := p.Keys(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want, _ := secret.New([]byte(master))
		if string(k.Derive("p")) != string(want.Derive("p")) {
			t.Fatal("wrong secret")
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("%d reads, want 1", calls.Load())
	}
}

func TestRefusalsAreClearAndNotRetried(t *testing.T) {
	cfg, calls := fakeSSM(t, fault(400, "ParameterNotFound", "Parameter /svc/master not found."))
	_, err := secret.Load(context.Background(), cfg, "/svc/master")
	if err == nil || err.Error() != "get parameter /svc/master: ssm ParameterNotFound (HTTP 400): Parameter /svc/master not found." {
		t.Fatalf("error %v", err)
	}
	if calls.Load() != 1 {
		t.Fatalf("%d calls for a refusal, want 1", calls.Load())
	}
	cfg, _ = fakeSSM(t, value("short"))
	if _, err := secret.Load(context.Background(), cfg, "/svc/master"); err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Fatalf("short secret: %v", err)
	}
}

func TestThrottlingAndFaultsAreRetried(t *testing.T) {
	cfg, calls := fakeSSM(t, fault(400, "ThrottlingException", "Rate exceeded"), fault(503, "InternalServerError", ""), value(master))
	if _, err := secret.Load(context.Background(), cfg, "/svc/master"); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 {
		t.Fatalf("%d calls, want 3", calls.Load())
	}
	cfg, calls = fakeSSM(t, fault(500, "InternalServerError", "boom"))
	p := secret.NewParameter(cfg, "/svc/master")
	if _, err := p.Keys(context.Background()); err == nil || !strings.Contains(err.Error(), "InternalServerError (HTTP 500): boom") {
		t.Fatalf("error %v", err)
	}
	if calls.Load() != 3 {
		t.Fatalf("%d calls, want 3 tries", calls.Load())
	}
	// A failed read is tried again on the next use.
	if _, err := p.Keys(context.Background()); err == nil || calls.Load() != 6 {
		t.Fatalf("second use: %v after %d calls", err, calls.Load())
	}
}

func TestNoRegionNoCredentials(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("a", "b", "")
	if _, err := secret.Load(context.Background(), aws.Config{Credentials: creds}, "/p"); err == nil || !strings.Contains(err.Error(), "no AWS region") {
		t.Fatalf("no region: %v", err)
	}
	if _, err := secret.Load(context.Background(), aws.Config{Region: "us-east-1"}, "/p"); err == nil || !strings.Contains(err.Error(), "no AWS credentials") {
		t.Fatalf("no credentials: %v", err)
	}
}

func TestFromEnvNeedsTheParameterName(t *testing.T) {
	env := config.FromMap(map[string]string{})
	secret.FromEnv(env, aws.Config{})
	if env.Err() == nil || !strings.Contains(env.Err().Error(), "SECRET_PARAMETER") {
		t.Fatalf("env errors %v", env.Err())
	}
}
