package alarm

import (
	"context"
	"errors"
	"fmt"

	"github.com/checkin-registry/registry/shared/mode"
	"github.com/checkin-registry/registry/shared/store"
)

// SetManual sets the operator's mode, a floor under the alarms' holds, or clears it
// where m is normal or "". It never lowers the mode below what an alarm in ALARM
// holds: to release such a hold, fix its cause or ForgetAlarm a deleted alarm.
func (r *Responder) SetManual(ctx context.Context, m mode.Mode, reason, by string) (Change, error) {
	if m != "" {
		if _, ok := mode.Parse(string(m)); !ok {
			return Change{}, fmt.Errorf("unknown mode %q", m)
		}
	}
	if m == mode.Normal {
		m = ""
	}
	if reason == "" {
		return Change{}, errors.New("a reason is required")
	}
	ch, err := r.update(ctx, func(st *store.ModeState, from mode.Mode) (string, string, bool) {
		st.Manual = string(m)
		what := "cleared the operator mode"
		if m != "" {
			what = "set the operator mode to " + string(m)
		}
		return "operator:" + by, fmt.Sprintf("%s %s: %s; mode %s, was %s", by, what, reason, Effective(*st), from), true
	})
	if err != nil {
		return ch, err
	}
	r.Log.InfoContext(ctx, "operator mode set", "manual", string(m), "by", by, "mode", string(ch.To), "previousMode", string(ch.From), "reason", ch.State.Reason)
	if ch.From != ch.To {
		r.notify(ctx, ch)
	}
	return ch, nil
}

// ForgetAlarm drops what the responder remembers of one alarm: for an alarm that was
// deleted or renamed while in ALARM, whose OK will never come.
func (r *Responder) ForgetAlarm(ctx context.Context, name, reason, by string) (Change, error) {
	if reason == "" {
		return Change{}, errors.New("a reason is required")
	}
	ch, err := r.update(ctx, func(st *store.ModeState, from mode.Mode) (string, string, bool) {
		if _, ok := st.Alarms[name]; !ok {
			return "", "", false
		}
		delete(st.Alarms, name)
		return "operator:" + by, fmt.Sprintf("%s forgot alarm %s: %s; mode %s, was %s", by, name, reason, Effective(*st), from), true
	})
	if err != nil {
		return ch, err
	}
	if !ch.Written {
		return ch, fmt.Errorf("no alarm named %q is recorded", name)
	}
	r.Log.InfoContext(ctx, "alarm forgotten", "alarm", name, "by", by, "mode", string(ch.To), "previousMode", string(ch.From))
	if ch.From != ch.To {
		r.notify(ctx, ch)
	}
	return ch, nil
}

// Current reads the mode item as it is: normal with no holds where none was set.
func (r *Responder) Current(ctx context.Context) (store.ModeState, error) {
	st, err := r.Store.GetMode(ctx, r.Now())
	if errors.Is(err, store.ErrNotFound) {
		return store.ModeState{Mode: string(mode.Normal)}, nil
	}
	return st, err
}
