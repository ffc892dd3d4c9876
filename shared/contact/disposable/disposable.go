// Package disposable knows the domains of disposable-mail services: the npm
// package disposable-email-domains (MIT), index.json and wildcard.json, lowercased,
// deduplicated and sorted bytewise, one per line; `make update-disposable`
// refreshes domains.txt.
//
// The list is searched where it lies in the binary: nothing is split, copied or
// allocated to load it, so a process that never checks an e-mail pays nothing.
package disposable

import (
	_ "embed"
	"strings"
)

//go:embed domains.txt
var domains string

// Contains says whether domain, lower case, is listed (its parents are not
// looked at: contact.EmailPolicy walks them).
func Contains(domain string) bool {
	if domain == "" || strings.IndexByte(domain, '\n') >= 0 {
		return false
	}
	// Binary search over byte offsets: each probe backs up to the start of the
	// line it lands in.
	lo, hi := 0, len(domains)
	for lo < hi {
		mid := lo + (hi-lo)/2
		start := strings.LastIndexByte(domains[:mid], '\n') + 1
		end := start + strings.IndexByte(domains[start:], '\n')
		if end < start {
			end = len(domains)
		}
		switch line := domains[start:end]; {
		case line == domain:
			return true
		case line < domain:
			lo = end + 1
		default:
			hi = start
		}
	}
	return false
}
