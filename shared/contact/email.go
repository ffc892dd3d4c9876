package contact

import (
	"net/mail"
	"strings"

	"golang.org/x/net/publicsuffix"
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
	if strings.IndexFunc(raw, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		// Internationalised addresses need SMTPUTF8 end to end; codes go only to
		// addresses every mail system delivers.
		return Destination{}, &SyntaxError{"must be an e-mail address in ASCII letters, digits and punctuation"}
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
	d := Destination{Channel: Email, Address: address, Key: "email:" + mailbox(local, domain)}
	if providerOf(domain) == nil {
		d.Domain = registrable(domain)
	}
	return d, nil
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

// provider is a big mail service whose own rules say which spellings reach one
// mailbox.
type provider struct {
	// domains are the service's domains that reach one account; the first is the
	// canonical one.
	domains []string
	// ignore are the characters the service ignores in a local part; tag starts a
	// free-form suffix that still reaches the mailbox.
	ignore string
	tag    byte
	// subdomains: any local part at user.<domain> reaches user@<domain>.
	subdomains bool
}

var providers = []provider{
	{domains: []string{"gmail.com", "googlemail.com"}, ignore: ".", tag: '+'},
	{domains: []string{"proton.me", "protonmail.com", "protonmail.ch", "pm.me"}, ignore: ".-_", tag: '+'},
	{domains: []string{"outlook.com"}, tag: '+'},
	{domains: []string{"hotmail.com"}, tag: '+'},
	{domains: []string{"live.com"}, tag: '+'},
	{domains: []string{"msn.com"}, tag: '+'},
	{domains: []string{"yahoo.com"}, tag: '-'},
	{domains: []string{"yahoo.com.my"}, tag: '-'},
	{domains: []string{"ymail.com"}, tag: '-'},
	{domains: []string{"icloud.com", "me.com", "mac.com"}, tag: '+'},
	{domains: []string{"fastmail.com"}, tag: '+', subdomains: true},
	{domains: []string{"fastmail.fm"}, tag: '+', subdomains: true},
}

// providerOf is the provider domain belongs to, or nil. For a provider with
// subdomain addressing, the subdomain's label is returned as user.
func providerOf(domain string) *provider {
	p, _ := providerUser(domain)
	return p
}

func providerUser(domain string) (p *provider, user string) {
	for i := range providers {
		p := &providers[i]
		for _, d := range p.domains {
			if domain == d {
				return p, ""
			}
			if sub, ok := strings.CutSuffix(domain, "."+d); ok && p.subdomains && !strings.Contains(sub, ".") {
				return p, sub
			}
		}
	}
	return nil, ""
}

// mailbox folds the spellings that reach one inbox into one: case and "+tag"
// sub-addresses everywhere, and each big provider's own rules (ignored dots and
// dashes, other domains of one account, Yahoo's "-" disposable addresses,
// Fastmail's user.fastmail.com), so limits cannot be dodged by respelling a
// victim. Folding twice changes nothing.
func mailbox(local, domain string) string {
	local = strings.ToLower(local)
	p, user := providerUser(domain)
	tag := byte('+')
	if p != nil {
		tag, domain = p.tag, p.domains[0]
		if user != "" {
			local = user
		}
	}
	folded := local
	if i := strings.IndexByte(folded, tag); i > 0 {
		folded = folded[:i]
	}
	if p != nil {
		folded = strings.Map(func(r rune) rune {
			if strings.ContainsRune(p.ignore, r) {
				return -1
			}
			return r
		}, folded)
	}
	if !plainLocal(folded) {
		folded = local // no address the provider would accept: the address as it is
	}
	return folded + "@" + domain
}

// plainLocal says whether local is a local part Email accepts.
func plainLocal(local string) bool {
	a, err := mail.ParseAddress(local + "@example.com")
	return err == nil && a.Address == local+"@example.com"
}

// registrable is the domain that owns domain in the public suffix list (ICANN
// and private): every address under it may reach one catch-all inbox.
func registrable(domain string) string {
	if r, err := publicsuffix.EffectiveTLDPlusOne(domain); err == nil {
		return r
	}
	return domain
}
