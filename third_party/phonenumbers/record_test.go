package phonenumbers_test

// The fork's record_test.go and testdata/upstream/record.go are one file but for
// the package clause and the import path: TestRecordIsUpstreamsRecorder checks it.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/checkin-registry/registry/third_party/phonenumbers"
)

// inputs are the numbers recorded: every example number the metadata has (each
// region's for each type, each global network's), written as E.164, nationally
// and internationally, plus hand-picked strings that take parsing's other paths
// (short and emergency numbers, letters, extensions, other digits, junk).
func inputs() []string {
	types := []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
		phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER,
		phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL}
	var regions []string
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	var out []string
	add := func(n *phonenumbers.PhoneNumber) {
		if n == nil {
			return
		}
		out = append(out, phonenumbers.Format(n, phonenumbers.E164), phonenumbers.Format(n, phonenumbers.NATIONAL),
			phonenumbers.Format(n, phonenumbers.INTERNATIONAL))
	}
	for _, r := range regions {
		for _, t := range types {
			add(phonenumbers.GetExampleNumberForType(r, t))
		}
	}
	var codes []int
	for c := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		add(phonenumbers.GetExampleNumberForNonGeoEntity(c))
	}
	return append(out,
		"012-345 6789", "+60 12-345 6789", "0060123456789", "60123456789", "+6012345678", "+601234567890123",
		"03-2345 6789", "1300 88 1234", "1-800-88-1234", "999", "112", "15999", "+60 999",
		"+1 650-253-0000", "(650) 253-0000", "1-800-FLOWERS", "tel:+1-650-253-0000;ext=123", "+1 650 253 0000 ext. 42",
		"+44 7912 345678", "07912 345678", "+65 9123 4567", "+62 812-3456-7890", "+66 81 234 5678", "+86 138 0013 8000",
		"+800 1234 5678", "+882 1234 5678", "+979 1 2345 6789", "٠١٢٣٤٥٦٧٨٩", "+６０１２３４５６７８９",
		"", "+", "++60123456789", "abc", "12", "+0 123456", "+999 123456", "001 650 253 0000", "011 44 7912 345678",
		"12345678901234567890", strings.Repeat("9", 40), "+60 12 345 6789 / +60 13 456 7890", "0123456789#")
}

// record is what the library says of input parsed with region as the default:
// the parse error, or its formats, validity, possibility, region, type, lengths
// and short-number verdicts.
func record(input, region string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q %s:", input, region)
	n, err := phonenumbers.Parse(input, region)
	if err != nil {
		fmt.Fprintf(&b, " error %q", err.Error())
	} else {
		fmt.Fprintf(&b, " %s | %s | %s | %s | valid=%v possible=%v(%v) region=%s type=%v ndc=%d area=%d nsn=%s",
			phonenumbers.Format(n, phonenumbers.E164), phonenumbers.Format(n, phonenumbers.INTERNATIONAL),
			phonenumbers.Format(n, phonenumbers.NATIONAL), phonenumbers.Format(n, phonenumbers.RFC3966),
			phonenumbers.IsValidNumber(n), phonenumbers.IsPossibleNumber(n), phonenumbers.IsPossibleNumberWithReason(n),
			phonenumbers.GetRegionCodeForNumber(n), phonenumbers.GetNumberType(n),
			phonenumbers.GetLengthOfNationalDestinationCode(n), phonenumbers.GetLengthOfGeographicalAreaCode(n),
			phonenumbers.GetNationalSignificantNumber(n))
		fmt.Fprintf(&b, " short: possible=%v valid=%v valid-here=%v", phonenumbers.IsPossibleShortNumber(n),
			phonenumbers.IsValidShortNumber(n), phonenumbers.IsValidShortNumberForRegion(n, region))
	}
	fmt.Fprintf(&b, " emergency=%v/%v cc=%d", phonenumbers.IsEmergencyNumber(input, region),
		phonenumbers.ConnectsToEmergencyNumber(input, region), phonenumbers.GetCountryCodeForRegion(region))
	return b.String()
}

// records are the records of every input with each default region.
func records() []string {
	var out []string
	for _, in := range inputs() {
		for _, r := range []string{"MY", "US", "ZZ"} {
			out = append(out, record(in, r))
		}
	}
	return out
}
