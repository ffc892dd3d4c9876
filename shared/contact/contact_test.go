package contact

import (
	"errors"
	"testing"
)

var myMobiles = PhonePolicy{DefaultRegion: "MY", Regions: []string{"MY"}, Types: []PhoneType{Mobile}}

func TestPhone(t *testing.T) {
	tests := []struct {
		raw, want string
		err       any // nil, *SyntaxError or *PolicyError
	}{
		{"012-345 6789", "+60123456789", nil},
		{"+60 12-345 6789", "+60123456789", nil},
		{"0060123456789", "+60123456789", nil},
		{"011-2345 6789", "+601123456789", nil},
		{"03-2161 1111", "", &PolicyError{}},    // Kuala Lumpur landline
		{"1-300-88-1234", "", &PolicyError{}},   // toll free
		{"+601600123456", "", &PolicyError{}},   // premium rate
		{"015-4601 2345", "", &PolicyError{}},   // VoIP
		{"+65 8123 4567", "", &PolicyError{}},   // Singapore mobile
		{"+44 7911 123456", "", &PolicyError{}}, // UK mobile
		{"12", "", &SyntaxError{}},
		{"not a number", "", &SyntaxError{}},
		{"", "", &SyntaxError{}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			d, err := myMobiles.Phone(tt.raw)
			switch tt.err.(type) {
			case nil:
				if err != nil || d.Address != tt.want || d.Channel != SMS || d.Key != "sms:"+tt.want {
					t.Fatalf("Phone(%q) = %+v, %v; want %s", tt.raw, d, err, tt.want)
				}
			case *SyntaxError:
				var s *SyntaxError
				if !errors.As(err, &s) {
					t.Fatalf("Phone(%q) err = %v, want a syntax error", tt.raw, err)
				}
			case *PolicyError:
				var p *PolicyError
				if !errors.As(err, &p) {
					t.Fatalf("Phone(%q) err = %v, want a policy error", tt.raw, err)
				}
			}
		})
	}
}

func TestPhonePolicyValidate(t *testing.T) {
	if err := myMobiles.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []PhonePolicy{
		{DefaultRegion: "MY", Regions: []string{"MY"}, Types: []PhoneType{"premium_rate"}},
		{DefaultRegion: "MY", Regions: []string{"MY"}, Types: []PhoneType{"shared_cost"}},
		{DefaultRegion: "MY", Regions: []string{"XX"}, Types: []PhoneType{Mobile}},
		{DefaultRegion: "MY", Types: []PhoneType{Mobile}},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", p)
		}
	}
	sg := PhonePolicy{DefaultRegion: "MY", Regions: []string{"MY", "SG"}, Types: []PhoneType{Mobile}}
	if d, err := sg.Phone("+65 8123 4567"); err != nil || d.Address != "+6581234567" {
		t.Fatalf("with SG allowed: %+v, %v", d, err)
	}
}

func TestEmail(t *testing.T) {
	p := EmailPolicy{BlockDisposable: true, BlockedDomains: []string{"blocked.example"}}
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
