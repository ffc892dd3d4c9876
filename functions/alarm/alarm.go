// Package alarm is the alarm responder: it takes CloudWatch alarm notifications
// delivered through SNS and keeps the service's protection mode in step with them.
// An alarm whose name ends in "-elevated" holds the mode at elevated or above while
// it is in ALARM, one ending in "-lockdown" at lockdown; an operator's manual mode
// is a floor as well. The mode in force is the strictest of these, so an OK
// lowers it only as far as every other hold allows.
//
// Each alarm's last state is kept with its CloudWatch StateChangeTime, and a
// notification older than the one already applied changes nothing: duplicates and
// out-of-order deliveries leave the mode where the latest transitions put it.
package alarm

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/checkin-registry/registry/shared/mode"
	"github.com/checkin-registry/registry/shared/store"
)

// The alarm states CloudWatch reports.
const (
	StateAlarm            = "ALARM"
	StateOK               = "OK"
	StateInsufficientData = "INSUFFICIENT_DATA"
)

// Notification is the part of a CloudWatch alarm notification the responder uses.
type Notification struct {
	AlarmName       string `json:"AlarmName"`
	NewStateValue   string `json:"NewStateValue"`
	OldStateValue   string `json:"OldStateValue"`
	NewStateReason  string `json:"NewStateReason"`
	StateChangeTime string `json:"StateChangeTime"`
}

// cloudWatchTime is how CloudWatch writes StateChangeTime: 2026-11-24T23:05:21.123+0000.
const cloudWatchTime = "2006-01-02T15:04:05.000-0700"

// ParseNotification decodes an SNS message body. ok is false for a message that is
// not a CloudWatch alarm notification, such as the responder's own notices.
func ParseNotification(message string) (n Notification, ok bool) {
	if err := json.Unmarshal([]byte(message), &n); err != nil {
		return Notification{}, false
	}
	return n, n.AlarmName != "" && n.NewStateValue != ""
}

// ChangedAt is StateChangeTime; ok is false where it cannot be read.
func (n Notification) ChangedAt() (time.Time, bool) {
	for _, layout := range []string{cloudWatchTime, time.RFC3339Nano} {
		if t, err := time.Parse(layout, n.StateChangeTime); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// FutureSlack is how far ahead of the responder's clock a StateChangeTime may be
// and still count as given; a later one counts as now. CloudWatch stamps a
// transition when it happens, so only a forged or corrupt notification is further
// ahead, and taken as given it would make every real transition after it stale.
const FutureSlack = time.Minute

// AppliedAt is when the transition counts as made, seen at now: StateChangeTime,
// or now where that is more than FutureSlack ahead (inTime is then false) or
// cannot be read.
func (n Notification) AppliedAt(now time.Time) (at time.Time, inTime bool) {
	at, ok := n.ChangedAt()
	if !ok || at.After(now.Add(FutureSlack)) {
		return now, false
	}
	return at, true
}

// ModeFor is the mode an alarm holds while in ALARM, by the suffix of its name;
// ok is false for an alarm that selects no mode (it only tells operators).
func ModeFor(alarmName string) (m mode.Mode, ok bool) {
	name := strings.ToLower(alarmName)
	switch {
	case strings.HasSuffix(name, "-lockdown"):
		return mode.Lockdown, true
	case strings.HasSuffix(name, "-elevated"):
		return mode.Elevated, true
	}
	return "", false
}

// Effective is the mode that st's holds put in force: the strictest of the manual
// mode and the modes of the alarms in ALARM, and normal where there are none.
func Effective(st store.ModeState) mode.Mode {
	m := mode.Normal
	if st.Manual != "" {
		m = mode.Max(m, parseOrElevated(st.Manual))
	}
	for _, h := range st.Alarms {
		if h.State == StateAlarm {
			m = mode.Max(m, parseOrElevated(h.Mode))
		}
	}
	return m
}

// parseOrElevated reads a stored mode; an unreadable one fails safe, as mode.Cache does.
func parseOrElevated(s string) mode.Mode {
	if m, ok := mode.Parse(s); ok {
		return m
	}
	return mode.Elevated
}

// Holding lists the alarms in ALARM with their modes, sorted, for reasons and notices.
func Holding(st store.ModeState) []string {
	var out []string
	for name, h := range st.Alarms {
		if h.State == StateAlarm {
			out = append(out, name+" ("+h.Mode+")")
		}
	}
	sort.Strings(out)
	return out
}

// Outcome is what one notification did to the stored holds.
type Outcome string

// The outcomes.
const (
	Applied   Outcome = "applied"   // the alarm's hold changed
	Duplicate Outcome = "duplicate" // the same transition was applied before
	Stale     Outcome = "stale"     // a later transition of this alarm was applied before
)

// applyAlarm records that alarm name, which holds m while in ALARM, entered state
// at changedAt (Unix milliseconds). It changes st only for Applied.
func applyAlarm(st *store.ModeState, name string, m mode.Mode, state string, changedAt int64) Outcome {
	prev, seen := st.Alarms[name]
	if seen {
		switch {
		case changedAt < prev.StateChangedAt:
			return Stale
		case changedAt == prev.StateChangedAt && (prev.State == state || prev.State == StateAlarm):
			// Two states at one instant cannot be ordered: the stricter one stands.
			return Duplicate
		}
	}
	if st.Alarms == nil {
		st.Alarms = map[string]store.AlarmHold{}
	}
	st.Alarms[name] = store.AlarmHold{State: state, Mode: string(m), StateChangedAt: changedAt}
	return Applied
}

// reasonLimit bounds the CloudWatch reason quoted in the stored Reason.
const reasonLimit = 300

func alarmReason(n Notification, from, to mode.Mode) string {
	why := n.NewStateReason
	if len(why) > reasonLimit {
		why = strings.ToValidUTF8(why[:reasonLimit], "") + "…"
	}
	return fmt.Sprintf("alarm %s went to %s at %s (%s); mode %s, was %s", n.AlarmName, n.NewStateValue, n.StateChangeTime, why, to, from)
}
