package token

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestIssueAndCheck(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	i := Issuer{Key: []byte("0123456789abcdef0123456789abcdef")}
	tok, exp := i.Issue(Venue, "venue-a", now, time.Hour)
	if !exp.Equal(now.Add(time.Hour)) {
		t.Fatalf("exp = %v", exp)
	}
	if sub, err := i.Check(tok, Venue, now.Add(59*time.Minute)); err != nil || sub != "venue-a" {
		t.Fatalf("Check = %q, %v", sub, err)
	}
	p := strings.Split(tok, ".")
	other, _ := Issuer{Key: []byte("another key another key another k")}.Issue(Venue, "venue-a", now, time.Hour)
	ticket, _ := i.Issue(Ticket, "venue-a", now, time.Hour)
	venueB, _ := i.Issue(Venue, "venue-b", now, time.Hour)
	tests := []struct {
		name string
		tok  string
		at   time.Time
		want error
	}{
		{"expired", tok, now.Add(time.Hour), ErrExpired},
		{"other key", other, now, ErrForged},
		{"other audience", ticket, now, ErrForged},
		{"payload swapped", p[0] + "." + strings.Split(venueB, ".")[1] + "." + p[2], now, ErrForged},
		{"signature cut", p[0] + "." + p[1] + "." + p[2][:10], now, ErrForged},
		{"no signature", p[0] + "." + p[1], now, ErrMalformed},
		{"other version", "v2." + p[1] + "." + p[2], now, ErrMalformed},
		{"empty", "", now, ErrMalformed},
		{"huge", "v1." + strings.Repeat("a", 2000) + ".x", now, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := i.Check(tt.tok, Venue, tt.at); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestBearer(t *testing.T) {
	for in, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "abc": "", "": ""} {
		if got := Bearer(in); got != want {
			t.Errorf("Bearer(%q) = %q, want %q", in, got, want)
		}
	}
}
