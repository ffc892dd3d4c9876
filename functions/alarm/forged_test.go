package alarm_test

import (
	"context"
	"testing"
	"time"

	"github.com/checkin-registry/registry/functions/alarm"
	"github.com/checkin-registry/registry/shared/apitest"
	"github.com/checkin-registry/registry/shared/mode"
)

// One forged ALARM stamped far in the future counts as now: the alarm's real OK,
// later, still lowers the mode, as does every real transition after it.
func TestFarFutureAlarmCountsAsNow(t *testing.T) {
	f := newFixture(t)
	clock := apitest.NewClock(base.Add(time.Hour))
	f.resp.Now = clock.Now
	ctx := context.Background()
	steps := []struct {
		state   string
		at      time.Time
		advance time.Duration
		want    mode.Mode
	}{
		{alarm.StateAlarm, base.AddDate(10, 0, 0), 0, mode.Elevated}, // forged
		{alarm.StateOK, base.Add(time.Hour + 15*time.Minute), 15 * time.Minute, mode.Normal},
		{alarm.StateAlarm, base.Add(2 * time.Hour), 45 * time.Minute, mode.Elevated},
		{alarm.StateOK, base.Add(2*time.Hour + 15*time.Minute), 15 * time.Minute, mode.Normal},
		// Within a minute ahead is a clock's drift, taken as given; an ALARM stamped
		// before that OK is then stale.
		{alarm.StateAlarm, base.Add(2*time.Hour + 30*time.Minute + 50*time.Second), 15 * time.Minute, mode.Elevated},
		{alarm.StateOK, base.Add(2*time.Hour + 30*time.Minute + 30*time.Second), 0, mode.Elevated},
	}
	for i, s := range steps {
		clock.Advance(s.advance)
		if err := f.resp.Handle(ctx, notification(smsSpike, s.state, s.at)); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := mode.Mode(f.mode(t).Mode); got != s.want {
			t.Fatalf("step %d (%s at %s, clock %s): mode=%s, want %s", i, s.state, s.at.Format(time.RFC3339), clock.Now().Format(time.RFC3339), got, s.want)
		}
	}
	if hold := f.mode(t).Alarms[smsSpike]; hold.StateChangedAt > clock.Now().Add(time.Minute).UnixMilli() {
		t.Fatalf("a hold stamped %d, after the clock", hold.StateChangedAt)
	}
}

// Only alarms named with this stack's prefix hold a mode: another stack's alarm,
// or one named to look like ours, on the same topic changes nothing.
func TestAlarmsOfOtherStacksAreIgnored(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, name := range []string{
		"other-stack-sms-send-spike-elevated",
		"sms-send-surge-lockdown",
		"Checkin-Registry-sms-send-surge-lockdown",
		"x-checkin-registry-sms-send-surge-lockdown",
	} {
		if err := f.resp.Handle(ctx, notification(name, alarm.StateAlarm, base)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st := f.mode(t); st.Mode != string(mode.Normal) || len(st.Alarms) != 0 {
			t.Fatalf("after %s: mode=%s holds=%v, want normal and none", name, st.Mode, st.Alarms)
		}
	}
	if err := f.resp.Handle(ctx, notification(smsSurge, alarm.StateAlarm, base)); err != nil {
		t.Fatal(err)
	}
	if got := f.mode(t).Mode; got != string(mode.Lockdown) {
		t.Fatalf("our own alarm: mode=%s, want lockdown", got)
	}
}
