package policy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/third_party/phonenumbers"
)

// PhoneType names a number type a policy may allow.
type PhoneType string

// The number types a policy can allow. Premium-rate, shared-cost and the rest can
// never be allowed.
const (
	Mobile            PhoneType = "mobile"
	FixedLineOrMobile PhoneType = "fixed_line_or_mobile"
	FixedLine         PhoneType = "fixed_line"
)

var phoneTypes = map[PhoneType]phonenumbers.PhoneNumberType{
	Mobile:            phonenumbers.MOBILE,
	FixedLineOrMobile: phonenumbers.FIXED_LINE_OR_MOBILE,
	FixedLine:         phonenumbers.FIXED_LINE,
}

// Phone says which numbers may receive codes.
type Phone struct {
	// DefaultRegion parses numbers written without a country code ("012-345 6789").
	DefaultRegion string
	// Regions are the ISO 3166 regions numbers may belong to.
	Regions []string
	// Types are the number types allowed.
	Types []PhoneType
}

// Validate checks the policy's own settings.
func (p Phone) Validate() error {
	if len(p.Regions) == 0 || len(p.Types) == 0 {
		return fmt.Errorf("phone policy: at least one region and one type are needed")
	}
	// The supported regions come from libphonenumber's small region map alone:
	// checking them at start does not unpack every region's metadata, which the
	// first number parsed does.
	supported := phonenumbers.GetSupportedRegions()
	for _, r := range append([]string{p.DefaultRegion}, p.Regions...) {
		if !supported[r] {
			return fmt.Errorf("phone policy: unknown region %q", r)
		}
	}
	for _, t := range p.Types {
		if _, ok := phoneTypes[t]; !ok {
			return fmt.Errorf("phone policy: type %q cannot be allowed (allowed: mobile, fixed_line_or_mobile, fixed_line)", t)
		}
	}
	return nil
}

// Phone parses raw, normalises it to E.164 and checks it against the policy.
func (p Phone) Phone(raw string) (contact.Destination, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 32 {
		return contact.Destination{}, &contact.SyntaxError{Reason: "must be a phone number"}
	}
	num, err := phonenumbers.Parse(raw, p.DefaultRegion)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return contact.Destination{}, &contact.SyntaxError{Reason: "must be a valid phone number"}
	}
	region := phonenumbers.GetRegionCodeForNumber(num)
	if !slices.Contains(p.Regions, region) {
		return contact.Destination{}, contact.Refuse("numbers from this country are not accepted")
	}
	typ := phonenumbers.GetNumberType(num)
	allowed := false
	for _, t := range p.Types {
		allowed = allowed || phoneTypes[t] == typ
	}
	if !allowed {
		return contact.Destination{}, contact.Refuse("this kind of number is not accepted; use a mobile number")
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	return contact.Destination{Channel: contact.SMS, Address: e164, Key: "sms:" + e164}, nil
}
