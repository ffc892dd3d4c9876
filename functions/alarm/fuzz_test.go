package alarm_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/checkin-registry/registry/functions/alarm"
	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/shared/mode"
)

// FuzzNotification: no SNS message body, however made, panics the parser; what it
// accepts names an alarm and a state, counts as made no later than a minute after
// now, and holds a mode only by its name's suffix.
func FuzzNotification(f *testing.F) {
	for _, file := range []string{"alarm.json", "alarm-ok.json"} {
		raw, err := os.ReadFile(filepath.Join(moto.Root(), "events", file))
		if err != nil {
			f.Fatal(err)
		}
		var ev events.SNSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			f.Fatal(err)
		}
		f.Add(ev.Records[0].SNS.Message, int64(1_795_000_000))
	}
	f.Add(`{"AlarmName":"checkin-registry-x-lockdown","NewStateValue":"ALARM","StateChangeTime":"9999-12-31T23:59:59.999+0000"}`, int64(1_795_000_000))
	f.Add(`{"AlarmName":"a","NewStateValue":"OK","StateChangeTime":"2026-11-24T03:10:42.512-1400"}`, int64(0))
	f.Fuzz(func(t *testing.T, message string, nowUnix int64) {
		now := time.Unix(nowUnix, 0)
		n, ok := alarm.ParseNotification(message)
		if !ok {
			return
		}
		if n.AlarmName == "" || n.NewStateValue == "" {
			t.Fatalf("accepted %+v", n)
		}
		at, inTime := n.AppliedAt(now)
		if at.After(now.Add(alarm.FutureSlack)) {
			t.Fatalf("counts as made at %v, more than a minute after %v", at, now)
		}
		if changed, readable := n.ChangedAt(); readable && inTime != !changed.After(now.Add(alarm.FutureSlack)) || inTime && !at.Equal(changed) {
			t.Fatalf("StateChangeTime %v (readable %v) counts as %v (in time %v) at %v", changed, readable, at, inTime, now)
		}
		m, holds := alarm.ModeFor(n.AlarmName)
		name := strings.ToLower(n.AlarmName)
		switch {
		case holds && m == mode.Lockdown && !strings.HasSuffix(name, "-lockdown"),
			holds && m == mode.Elevated && !strings.HasSuffix(name, "-elevated"),
			holds && m != mode.Lockdown && m != mode.Elevated,
			!holds && (strings.HasSuffix(name, "-lockdown") || strings.HasSuffix(name, "-elevated")):
			t.Fatalf("ModeFor(%q) = %s, %v", n.AlarmName, m, holds)
		}
	})
}
