package phonenumbers_test

import (
	"bufio"
	"compress/gzip"
	"os"
	"strings"
	"testing"
)

// TestBehavesAsUpstream compares what the fork says of ~3,500 numbers, each
// with three default regions, with what the release says
// (testdata/upstream-v1.8.1.txt.gz, written by testdata/upstream).
func TestBehavesAsUpstream(t *testing.T) {
	f, err := os.Open("testdata/upstream-v1.8.1.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for s := bufio.NewScanner(z); s.Scan(); {
		want = append(want, s.Text())
	}
	got := records()
	if len(got) != len(want) {
		t.Errorf("%d records, upstream has %d", len(got), len(want))
	}
	diffs := 0
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			if diffs++; diffs <= 10 {
				t.Errorf("fork:     %s\nupstream: %s", got[i], want[i])
			}
		}
	}
	if diffs > 0 || len(want) < 10000 {
		t.Fatalf("%d of %d records differ", diffs, len(want))
	}
}

func TestRecordIsUpstreamsRecorder(t *testing.T) {
	fork, err := os.ReadFile("record_test.go")
	if err != nil {
		t.Fatal(err)
	}
	up, err := os.ReadFile("testdata/upstream/record.go")
	if err != nil {
		t.Fatal(err)
	}
	same := strings.NewReplacer("package main\n", "package phonenumbers_test\n",
		`"github.com/nyaruka/phonenumbers"`, `"github.com/checkin-registry/registry/third_party/phonenumbers"`).Replace(string(up))
	if same != string(fork) {
		t.Fatal("record_test.go and testdata/upstream/record.go differ: edit both, and run testdata/upstream again")
	}
}
