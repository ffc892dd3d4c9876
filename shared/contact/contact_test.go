package contact

import (
	"errors"
	"testing"

	"github.com/checkin-registry/registry/shared/contact/disposable"
)

func TestEmail(t *testing.T) {
	p := EmailPolicy{Disposable: disposable.Contains, BlockedDomains: []string{"blocked.example"}}
	tests := []struct {
		raw, address, key string
		err               any
	}{
		{"ali@example.com", "ali@example.com", "email:ali@example.com", nil},
		{"Ali.Baba+shop@Example.COM", "Ali.Baba+shop@example.com", "email:ali.baba@example.com", nil},
		{"v.i.c.t.i.m+1@googlemail.com", "v.i.c.t.i.m+1@googlemail.com", "email:victim@gmail.com", nil},
		{"ali@[127.0.0.1]", "", "", &SyntaxError{}},
		{"ali@127.0.0.1", "", "", &SyntaxError{}},
		{"ali@localhost", "", "", &SyntaxError{}},
		{"Ali <ali@example.com>", "", "", &SyntaxError{}},
		{"ali@example.com\r\nBcc: x@example.com", "", "", &SyntaxError{}},
		{"a,b@example.com", "", "", &SyntaxError{}},
		{"ali@mailinator.com", "", "", &PolicyError{}},
		{"ali@sub.mailinator.com", "", "", &PolicyError{}},
		{"ali@blocked.example", "", "", &PolicyError{}},
		{"no-at-sign", "", "", &SyntaxError{}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			d, err := p.Email(tt.raw)
			switch tt.err.(type) {
			case nil:
				if err != nil || d.Address != tt.address || d.Key != tt.key {
					t.Fatalf("Email(%q) = %+v, %v; want %s / %s", tt.raw, d, err, tt.address, tt.key)
				}
			case *SyntaxError:
				var s *SyntaxError
				if !errors.As(err, &s) {
					t.Fatalf("Email(%q) err = %v, want a syntax error", tt.raw, err)
				}
			case *PolicyError:
				var pe *PolicyError
				if !errors.As(err, &pe) {
					t.Fatalf("Email(%q) err = %v, want a policy error", tt.raw, err)
				}
			}
		})
	}
}

func TestMask(t *testing.T) {
	if got := Mask(SMS, "+60123456789"); got != "+60•••••6789" {
		t.Errorf("Mask sms = %q", got)
	}
	if got := Mask(Email, "ali@example.com"); got != "a•••@example.com" {
		t.Errorf("Mask email = %q", got)
	}
}
