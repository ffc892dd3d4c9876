package process

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// FuzzSNSMessages: any SNS event the Lambda runtime decodes round-trips through
// JSON unchanged, and SNSMessages hands each record's message to the handler
// exactly once, in order, failing where and only where a record failed.
func FuzzSNSMessages(f *testing.F) {
	for _, name := range []string{"alarm.json", "alarm-ok.json", "feedback.json"} {
		raw, err := os.ReadFile(filepath.Join("..", "..", "events", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(raw))
	}
	f.Add(`{"Records":[{"Sns":{"MessageId":"a","Message":"fail"}},{"Sns":{"MessageId":"b","Message":"ok"}}]}`)
	f.Add(`{"Records":[]}`)
	f.Fuzz(func(t *testing.T, raw string) {
		var ev events.SNSEvent
		if json.Unmarshal([]byte(raw), &ev) != nil {
			return
		}
		again, err := json.Marshal(ev)
		if err != nil {
			return // a time JSON cannot write, such as a year past 9999
		}
		var ev2 events.SNSEvent
		if err := json.Unmarshal(again, &ev2); err != nil || !reflect.DeepEqual(normal(ev), normal(ev2)) {
			t.Fatalf("does not round-trip: %v\n%s\n%s", err, raw, again)
		}
		var got, failed []string
		err = SNSMessages(context.Background(), ev, func(_ context.Context, m string) error {
			got = append(got, m)
			if strings.Contains(m, "fail") {
				return errors.New("handler failed")
			}
			return nil
		})
		var want []string
		for _, r := range ev.Records {
			want = append(want, r.SNS.Message)
			if strings.Contains(r.SNS.Message, "fail") {
				failed = append(failed, r.SNS.MessageID)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("handled %q, want %q", got, want)
		}
		if (err != nil) != (len(failed) > 0) {
			t.Fatalf("err = %v with %d failed records", err, len(failed))
		}
		for _, id := range failed {
			if !strings.Contains(err.Error(), "sns message "+id+":") {
				t.Fatalf("err %q does not name failed message %q", err, id)
			}
		}
	})
}

// normal is ev with its times in UTC, the instant unchanged, so that two decodes
// of one instant compare equal whatever zone each was written in.
func normal(ev events.SNSEvent) events.SNSEvent {
	for i := range ev.Records {
		ev.Records[i].SNS.Timestamp = ev.Records[i].SNS.Timestamp.UTC()
	}
	return ev
}
