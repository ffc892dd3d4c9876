package template_test

import (
	"slices"

	"github.com/checkin-registry/registry/third_party/phonenumbers"
)

// smsCountries are the ISO 3166 codes of every region with telephone numbering
// metadata: the countries the SMS protect configuration names, one rule each.
// phonenumbers also knows Ascension (AC) and Tristan da Cunha (TA), which share
// Saint Helena's ISO code (SH), and Kosovo (XK), which has none.
func smsCountries() []string {
	var out []string
	for r := range phonenumbers.GetSupportedRegions() {
		if r != "AC" && r != "TA" && r != "XK" {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}
