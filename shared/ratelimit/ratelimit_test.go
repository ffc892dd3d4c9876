package ratelimit

import (
	"errors"
	"testing"
	"time"

	"github.com/checkin-registry/registry/shared/contact"
)

func TestNetwork(t *testing.T) {
	for ip, want := range map[string]string{
		"203.0.113.77":         "203.0.113.0/24",
		"::ffff:203.0.113.77":  "203.0.113.0/24",
		"2001:db8:aa:bbcc::1":  "2001:db8:aa:bb00::/56",
		"2001:db8:aa:bbff:1::": "2001:db8:aa:bb00::/56",
		"not an ip":            "invalid:not an ip",
	} {
		if got := Network(ip); got != want {
			t.Errorf("Network(%q) = %q, want %q", ip, got, want)
		}
	}
}

var limits = Limits{DestCooldown: time.Minute, DestWindow: 24 * time.Hour, DestMax: 3, Window: time.Hour, IPMax: 10, NetMax: 30,
	Budget: map[contact.Channel]int{contact.SMS: 500, contact.Email: 2000}}

func TestCheckSend(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 20, 0, 0, time.UTC)
	at := func(d time.Duration) int64 { return now.Add(-d).Unix() }
	tests := []struct {
		name  string
		st    State
		limit string
		retry time.Duration
	}{
		{"fresh", State{}, "", 0},
		{"cooling down", State{destSends: []int64{at(20 * time.Second)}}, Cooldown, 40 * time.Second},
		{"cooled down", State{destSends: []int64{at(time.Minute)}}, "", 0},
		{"capped", State{destSends: []int64{at(5 * time.Hour), at(2 * time.Hour), at(time.Hour)}}, DestCap, 19 * time.Hour},
		{"budget spent", State{ChannelCount: 500}, BudgetName, 40 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := limits.CheckSend(tt.st, contact.SMS, now)
			var ex *Exceeded
			if tt.limit == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			if !errors.As(err, &ex) || ex.Limit != tt.limit || ex.RetryAfter != tt.retry {
				t.Fatalf("err = %v (%+v), want %s after %s", err, ex, tt.limit, tt.retry)
			}
		})
	}
}

func TestCheckClient(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 59, 30, 0, time.UTC)
	for _, tt := range []struct {
		st    State
		limit string
	}{{State{IPCount: 9, NetCount: 29}, ""}, {State{IPCount: 10}, ClientIP}, {State{NetCount: 30}, ClientNet}} {
		err := limits.CheckClient(tt.st, now)
		var ex *Exceeded
		if tt.limit == "" && err != nil || tt.limit != "" && (!errors.As(err, &ex) || ex.Limit != tt.limit || ex.RetryAfterSeconds() != 30) {
			t.Errorf("CheckClient(%+v) = %v, want %q retrying after 30 s", tt.st, err, tt.limit)
		}
	}
}
