package contact

import (
	"net/mail"
	"strings"
)

// EmailPolicy says which addresses may receive codes.
type EmailPolicy struct {
	// Disposable, if set, says whether a domain belongs to a disposable-mail
	// service (disposable.Contains); those and their subdomains are refused.
	Disposable func(domain string) bool
	// BlockedDomains are refused too, with their subdomains.
	BlockedDomains []string
}

// Email checks raw's syntax and domain and normalises it.
func (p EmailPolicy) Email(raw string) (Destination, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 254 || strings.ContainsAny(raw, "\r\n<>\"(),;: \t\\[]") {
		return Destination{}, &SyntaxError{"must be an e-mail address"}
	}
	addr, err := mail.ParseAddress(raw)
	if err != nil || addr.Address != raw {
		return Destination{}, &SyntaxError{"must be a plain e-mail address such as name@example.com"}
	}
	at := strings.LastIndexByte(raw, '@')
	local, domain := raw[:at], strings.ToLower(raw[at+1:])
	if len(local) > 64 || !validDomain(domain) {
		return Destination{}, &SyntaxError{"must be an e-mail address with a valid domain"}
	}
	if p.disposable(domain) || blockedBy(p.BlockedDomains, domain) {
		return Destination{}, Refuse("addresses at this domain are not accepted")
	}
	address := local + "@" + domain
	return Destination{Channel: Email, Address: address, Key: "email:" + mailboxKey(local, domain)}, nil
}

// validDomain accepts DNS host names of two or more labels whose last label is not
// numeric, so IP literals and bare IP addresses are refused.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(d) > 253 || len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return strings.Trim(tld, "0123456789") != ""
}

// disposable says whether domain or one of its parents is a disposable-mail domain.
func (p EmailPolicy) disposable(domain string) bool {
	if p.Disposable == nil {
		return false
	}
	for d := domain; strings.Contains(d, "."); d = d[strings.IndexByte(d, '.')+1:] {
		if p.Disposable(d) {
			return true
		}
	}
	return false
}

func blockedBy(blocked []string, domain string) bool {
	for _, b := range blocked {
		b = strings.ToLower(b)
		if domain == b || strings.HasSuffix(domain, "."+b) {
			return true
		}
	}
	return false
}

// mailboxKey folds the spellings that reach one inbox: case, "+tag" sub-addresses,
// and the dots Gmail ignores, so limits cannot be dodged by respelling a victim.
func mailboxKey(local, domain string) string {
	local = strings.ToLower(local)
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	if domain == "googlemail.com" {
		domain = "gmail.com"
	}
	if domain == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return local + "@" + domain
}
