package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/checkin-registry/registry/infra/moto/mototest"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact/policy"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/store"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

func TestShowAndLift(t *testing.T) {
	stack := mototest.NewTestStack(t, nil)
	t.Setenv("MOTO_URL", mototest.URL(t))
	t.Setenv("TABLE_NAME", stack.Tables["RegistryTable"])
	t.Setenv("SECRET_PARAMETER", stack.Template.Parameters["SecretParameterName"])
	dest, err := policy.FromEnv(config.FromMap(nil)).Email.Email("ali@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := stack.Store().Suppress(context.Background(), identity.New(stack.Keys(t)).Destination(dest), store.Suppression{Reason: "bounce", CreatedAt: 1764547200}, time.Now()); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		args    []string
		wantErr bool
		want    string
	}{
		{args: []string{"Ali@Example.com"}, want: "suppressed (bounce) since 2025-12-01T00:00:00Z"},
		{args: []string{"-lift", "ali@example.com"}, wantErr: true},
		{args: []string{"-lift", "-reason", "mailbox full, not gone", "ali@example.com"}, want: "lifted: mailbox full, not gone"},
		{args: []string{"ali@example.com"}, want: "not suppressed"},
		{args: []string{"012-345 6789"}, want: "not suppressed"},
		{args: []string{"not an address"}, wantErr: true},
	}
	for i, s := range steps {
		var out, errOut bytes.Buffer
		err := run(context.Background(), s.args, &out, &errOut)
		if (err != nil) != s.wantErr {
			t.Fatalf("step %d %v: err=%v, want error %v", i, s.args, err, s.wantErr)
		}
		if !strings.Contains(out.String(), s.want) {
			t.Errorf("step %d %v: printed %q, want %q", i, s.args, out.String(), s.want)
		}
		if strings.Contains(out.String(), "ali@example.com") || strings.Contains(out.String(), "3456789") {
			t.Errorf("step %d: printed the destination in full: %q", i, out.String())
		}
	}
}
