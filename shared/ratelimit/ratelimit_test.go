package ratelimit

import (
	"errors"
	"testing"
	"time"

	"github.com/checkin-registry/registry/shared/contact"
)

func TestClient(t *testing.T) {
	for ip, want := range map[string]string{
		"198.51.100.9":                     "198.51.100.9",
		"::ffff:198.51.100.9":              "198.51.100.9",
		"2001:db8:0:1::1":                  "2001:db8:0:1::/64",
		"2001:0DB8:0000:1::ffff":           "2001:db8:0:1::/64",
		"2001:db8:0:1:aaaa:bbbb:cccc:dddd": "2001:db8:0:1::/64",
		"2001:db8:0:2::1":                  "2001:db8:0:2::/64",
		"bogus":                            "invalid:bogus",
	} {
		if got := Client(ip); got != want {
			t.Errorf("Client(%q) = %q, want %q", ip, got, want)
		}
	}
}

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

func TestCheckClientSlides(t *testing.T) {
	at := func(hh, mm, ss int) time.Time { return time.Date(2026, 11, 24, hh, mm, ss, 0, time.UTC) }
	tests := []struct {
		name  string
		st    State
		now   time.Time
		limit string
		retry time.Duration
	}{
		{"under the limit", State{IPCount: 9, NetCount: 29}, at(10, 59, 30), "", 0},
		{"full window: wait into the next until the old ones weigh less", State{IPCount: 10}, at(10, 59, 30), ClientIP, 30*time.Second + 6*time.Minute},
		{"a full previous window still counts just after the boundary", State{prevIP: 10}, at(11, 1, 0), ClientIP, 5 * time.Minute},
		{"and lets one through once a tenth of it has slid out", State{prevIP: 10}, at(11, 6, 0), "", 0},
		{"half the previous window plus the current", State{prevIP: 10, IPCount: 5}, at(11, 30, 0), ClientIP, 6 * time.Minute},
		{"room left", State{prevIP: 10, IPCount: 4}, at(11, 30, 0), "", 0},
		{"network", State{NetCount: 30}, at(10, 0, 0), ClientNet, time.Hour + 2*time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := limits.CheckClient(tt.st, tt.now)
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
			// Retry-After is exact: a second earlier is refused, at it allowed.
			later := tt.st
			if tt.now.Add(tt.retry).Truncate(time.Hour) != tt.now.Truncate(time.Hour) {
				later = State{prevIP: tt.st.IPCount, prevNet: tt.st.NetCount}
			}
			if limits.CheckClient(later, tt.now.Add(tt.retry)) != nil || limits.CheckClient(later, tt.now.Add(tt.retry-time.Second)) == nil {
				t.Fatalf("Retry-After %s is not the moment the request becomes allowed", tt.retry)
			}
		})
	}
}

func TestIPRequests(t *testing.T) {
	now := time.Date(2026, 11, 24, 11, 30, 0, 0, time.UTC)
	if got := limits.IPRequests(State{prevIP: 10, IPCount: 2}, now); got != 7 {
		t.Fatalf("IPRequests = %d, want 7 (half of 10, plus 2)", got)
	}
}
