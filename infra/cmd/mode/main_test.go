package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/checkin-registry/registry/infra/moto/mototest"
)

func TestMain(m *testing.M) { os.Exit(mototest.RunTests(m)) }

func TestSetShowClear(t *testing.T) {
	stack := mototest.NewTestStack(t, nil)
	t.Setenv("MOTO_URL", mototest.URL(t))
	t.Setenv("TABLE_NAME", stack.Tables["RegistryTable"])
	t.Setenv("ALARM_TOPIC_ARN", stack.Refs["AlarmTopic"])
	steps := []struct {
		args    []string
		wantErr bool
		want    []string
	}{
		{args: nil, want: []string{"mode:     normal", "operator: none", "alarms:   none"}},
		{args: []string{"-mode", "elevated"}, wantErr: true},
		{args: []string{"-mode", "panic", "-reason", "typo"}, wantErr: true},
		{args: []string{"-mode", "lockdown", "-forget", "x", "-reason", "both"}, wantErr: true},
		{args: []string{"-mode", "Elevated", "-reason", "SMS pumping from many networks", "-by", "siti"},
			want: []string{"mode:     elevated", "operator: elevated", "by operator:siti", "SMS pumping from many networks"}},
		{args: []string{"-mode", "clear", "-reason", "attack over", "-by", "siti"},
			want: []string{"mode:     normal", "operator: none", "cleared the operator mode: attack over", "version 2"}},
		{args: []string{"-forget", "no-such-alarm-elevated", "-reason", "gone"}, wantErr: true},
	}
	for i, s := range steps {
		var out, errOut bytes.Buffer
		err := run(context.Background(), s.args, &out, &errOut)
		if (err != nil) != s.wantErr {
			t.Fatalf("step %d %v: err=%v, want error %v\n%s", i, s.args, err, s.wantErr, errOut.String())
		}
		for _, w := range s.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("step %d %v: output lacks %q:\n%s", i, s.args, w, out.String())
			}
		}
	}
}
