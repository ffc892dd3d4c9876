package policy

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/third_party/phonenumbers"
)

var myMobiles = Phone{DefaultRegion: "MY", Regions: []string{"MY"}, Types: []PhoneType{Mobile}}

func TestPhone(t *testing.T) {
	tests := []struct {
		raw, want string
		err       any // nil, *contact.SyntaxError or *contact.PolicyError
	}{
		{"012-345 6789", "+60123456789", nil},
		{"+60 12-345 6789", "+60123456789", nil},
		{"0060123456789", "+60123456789", nil},
		{"011-2345 6789", "+601123456789", nil},
		{"03-2161 1111", "", &contact.PolicyError{}},    // Kuala Lumpur landline
		{"1-300-88-1234", "", &contact.PolicyError{}},   // toll free
		{"+601600123456", "", &contact.PolicyError{}},   // premium rate
		{"015-4601 2345", "", &contact.PolicyError{}},   // VoIP
		{"+65 8123 4567", "", &contact.PolicyError{}},   // Singapore mobile
		{"+44 7911 123456", "", &contact.PolicyError{}}, // UK mobile
		{"12", "", &contact.SyntaxError{}},
		{"not a number", "", &contact.SyntaxError{}},
		{"", "", &contact.SyntaxError{}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			d, err := myMobiles.Phone(tt.raw)
			switch tt.err.(type) {
			case nil:
				if err != nil || d.Address != tt.want || d.Channel != contact.SMS || d.Key != "sms:"+tt.want {
					t.Fatalf("Phone(%q) = %+v, %v; want %s", tt.raw, d, err, tt.want)
				}
			case *contact.SyntaxError:
				var s *contact.SyntaxError
				if !errors.As(err, &s) {
					t.Fatalf("Phone(%q) err = %v, want a syntax error", tt.raw, err)
				}
			case *contact.PolicyError:
				var p *contact.PolicyError
				if !errors.As(err, &p) {
					t.Fatalf("Phone(%q) err = %v, want a policy error", tt.raw, err)
				}
			}
		})
	}
}

func TestPhoneValidate(t *testing.T) {
	if err := myMobiles.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []Phone{
		{DefaultRegion: "MY", Regions: []string{"MY"}, Types: []PhoneType{"premium_rate"}},
		{DefaultRegion: "MY", Regions: []string{"MY"}, Types: []PhoneType{"shared_cost"}},
		{DefaultRegion: "MY", Regions: []string{"XX"}, Types: []PhoneType{Mobile}},
		{DefaultRegion: "MY", Types: []PhoneType{Mobile}},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", p)
		}
	}
	sg := Phone{DefaultRegion: "MY", Regions: []string{"MY", "SG"}, Types: []PhoneType{Mobile}}
	if d, err := sg.Phone("+65 8123 4567"); err != nil || d.Address != "+6581234567" {
		t.Fatalf("with SG allowed: %+v, %v", d, err)
	}
}

// TestCallingCodes checks contact's own list of country calling codes, which
// masks numbers without linking libphonenumber, against libphonenumber's.
func TestCallingCodes(t *testing.T) {
	var want []string
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		want = append(want, strconv.Itoa(cc))
	}
	sort.Slice(want, func(i, j int) bool {
		return len(want[i]) < len(want[j]) || len(want[i]) == len(want[j]) && want[i] < want[j]
	})
	got := strings.Fields(contact.CallingCodes)
	sort.Slice(got, func(i, j int) bool { return len(got[i]) < len(got[j]) || len(got[i]) == len(got[j]) && got[i] < got[j] })
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("contact.CallingCodes differs from libphonenumber's:\n got %v\nwant %v", got, want)
	}
	for _, n := range []string{"+60123456789", "+12025550123", "+971501234567", "+6581234567", "+447911123456"} {
		num, err := phonenumbers.Parse(n, "")
		if err != nil {
			t.Fatal(err)
		}
		cc := strconv.Itoa(int(num.GetCountryCode()))
		national := strings.TrimPrefix(n, "+"+cc)
		want := "+" + cc + strings.Repeat("•", len(national)-4) + national[len(national)-4:]
		if got := contact.Mask(contact.SMS, n); got != want {
			t.Errorf("contact.Mask(%s) = %q, want %q", n, got, want)
		}
	}
}
