// Package mototest is the test kit of the local AWS emulator: one emulator per
// test process and a freshly provisioned stack per test. Only tests import it.
package mototest

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/secret"
	"github.com/checkin-registry/registry/shared/store"
)

var shared struct {
	once sync.Once
	srv  *moto.Server
	url  string
	err  error
}

// URL is the emulator for this test process: $MOTO_URL where the Makefile started
// one for all packages, else one moto_server started on first use and stopped by
// RunTests. A missing moto_server fails the test; it never skips.
func URL(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() {
		if u := os.Getenv("MOTO_URL"); u != "" {
			shared.url = u
			return
		}
		shared.srv, shared.err = moto.Start(context.Background(), moto.Root())
		if shared.err == nil {
			shared.url = shared.srv.URL
		}
	})
	if shared.err != nil {
		t.Fatalf("local AWS emulator: %v", shared.err)
	}
	return shared.url
}

// RunTests runs a package's tests and stops the emulator they started: call it
// from TestMain.
func RunTests(m *testing.M) int {
	code := m.Run()
	shared.srv.Close()
	return code
}

// TestStack is a freshly provisioned stack in the emulator, private to one test.
type TestStack struct {
	*moto.Stack
	// AWS is the configuration every client of the emulator is built from, as
	// each function's Wire builds its own.
	AWS     aws.Config
	Clients moto.Clients
	// Logs and Metrics collect what the functions wrote.
	Logs, Metrics *SyncBuffer
}

// NewTestStack provisions the template under a unique prefix.
func NewTestStack(t testing.TB, overrides map[string]string) *TestStack {
	t.Helper()
	ctx := context.Background()
	cfg, err := moto.Config(ctx, URL(t))
	if err != nil {
		t.Fatalf("aws config: %v", err)
	}
	c := moto.NewClients(cfg)
	prefix := "t" + moto.RandomHex(6)
	st, err := moto.Provision(ctx, c, filepath.Join(moto.Root(), "template.yaml"), prefix, overrides)
	if err != nil {
		t.Fatalf("provision: %v", err)
	}
	return &TestStack{Stack: st, AWS: cfg, Clients: c, Logs: &SyncBuffer{}, Metrics: &SyncBuffer{}}
}

// Config is the template's environment of logicalID with env added, as its
// Lambda reads it.
func (s *TestStack) Config(logicalID string, env map[string]string) *config.Env {
	all := s.Env(logicalID)
	for k, v := range env {
		all[k] = v
	}
	return config.FromMap(all)
}

// Runtime is a function's runtime writing its logs and metrics to the stack's
// Logs and Metrics.
func (s *TestStack) Runtime(logicalID string) process.Runtime {
	name := strings.ToLower(strings.TrimSuffix(logicalID, "Function"))
	return process.New(name, slog.New(slog.NewJSONHandler(s.Logs, nil)), s.Metrics)
}

// Keys is the stack's master secret, as the functions load it from SSM.
func (s *TestStack) Keys(t testing.TB) secret.Keys {
	t.Helper()
	k, err := secret.FromEnv(s.Config("RegisterFunction", nil), s.AWS).Keys(context.Background())
	if err != nil {
		t.Fatalf("master secret: %v", err)
	}
	return k
}

// Store is the stack's table.
func (s *TestStack) Store() *store.Store {
	return store.New(dynamodb.NewFromConfig(s.AWS), s.Tables["RegistryTable"])
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
