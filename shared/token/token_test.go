package token

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/checkin-registry/registry/shared/secret"
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
	owner, _ := i.Issue(Owner, "venue-a", now, time.Hour)
	tests := []struct {
		name string
		tok  string
		at   time.Time
		want error
	}{
		{"expired", tok, now.Add(time.Hour), ErrExpired},
		{"other key", other, now, ErrForged},
		{"other audience", ticket, now, ErrForged},
		{"owner token for the same subject", owner, now, ErrForged},
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

func TestVerifyAnswersTheAudience(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	i := Issuer{Key: []byte("0123456789abcdef0123456789abcdef")}
	for _, aud := range []string{Venue, Owner} {
		tok, _ := i.Issue(aud, "subject", now, time.Hour)
		c, err := i.Verify(tok, now)
		if err != nil || c.Audience != aud || c.Subject != "subject" {
			t.Fatalf("Verify(%s token) = %+v, %v", aud, c, err)
		}
		if _, err := i.Verify(tok, now.Add(time.Hour)); !errors.Is(err, ErrExpired) {
			t.Fatalf("Verify after expiry: err = %v, want ErrExpired", err)
		}
	}
}

func keys(t *testing.T, b byte) secret.Keys {
	t.Helper()
	k, err := secret.New([]byte(strings.Repeat(string(rune('a'+b)), secret.MinBytes)))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestVenueIssuer(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	venues := VenueIssuer(keys(t, 0))
	tok, exp := venues.Issue(Venue, "venue-a", now, time.Hour)
	if !exp.Equal(now.Add(time.Hour)) {
		t.Fatalf("expires %v, want %v", exp, now.Add(time.Hour))
	}
	tests := []struct {
		name     string
		issuer   Issuer
		tok      string
		audience string
		at       time.Time
		wantSub  string
		wantErr  error
	}{
		{"same key derivation", VenueIssuer(keys(t, 0)), tok, Venue, now, "venue-a", nil},
		{"last second", venues, tok, Venue, now.Add(time.Hour - time.Second), "venue-a", nil},
		{"expired", venues, tok, Venue, now.Add(time.Hour), "", ErrExpired},
		{"other master secret", VenueIssuer(keys(t, 1)), tok, Venue, now, "", ErrForged},
		{"other purpose key", Issuer{Key: keys(t, 0).Derive("ticket-token")}, tok, Venue, now, "", ErrForged},
		{"ticket audience", venues, tok, Ticket, now, "", ErrForged},
		{"tampered", venues, tok[:len(tok)-2] + "AA", Venue, now, "", ErrForged},
		{"not a token", venues, "abc", Venue, now, "", ErrMalformed},
		{"empty", venues, "", Venue, now, "", ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub, err := tt.issuer.Check(tt.tok, tt.audience, tt.at)
			if !errors.Is(err, tt.wantErr) || sub != tt.wantSub {
				t.Fatalf("Check = %q, %v; want %q, %v", sub, err, tt.wantSub, tt.wantErr)
			}
		})
	}
}

func TestBearer(t *testing.T) {
	tests := []struct{ header, want string }{
		{"Bearer abc", "abc"},
		{"bearer  abc ", "abc"},
		{"Basic abc", ""},
		{"Bearer", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Bearer(tt.header); got != tt.want {
			t.Errorf("Bearer(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}
