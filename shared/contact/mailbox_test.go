package contact

import (
	"fmt"
	"testing"
)

func TestMailboxRules(t *testing.T) {
	p := EmailPolicy{}
	for _, tt := range []struct {
		key, domain string
		spellings   []string
	}{
		{"ali@gmail.com", "", []string{"ali@gmail.com", "A.L.I@gmail.com", "ali+shop@googlemail.com", "a.li+x+y@GMAIL.com"}},
		{"alibaba@proton.me", "", []string{"ali.baba@proton.me", "Ali-Baba@protonmail.com", "ali_baba+1@protonmail.ch", "a.l-i_baba@pm.me", "ALIBABA+x@proton.me"}},
		{"ali.baba@outlook.com", "", []string{"ali.baba@outlook.com", "Ali.Baba+news@Outlook.com"}},
		{"ali.baba@hotmail.com", "", []string{"ali.baba+x@hotmail.com"}},
		{"ali@yahoo.com", "", []string{"ali@yahoo.com", "ali-shopping@yahoo.com", "ALI-x-y@yahoo.com"}},
		{"ali@icloud.com", "", []string{"ali@icloud.com", "ali+x@me.com", "Ali@mac.com"}},
		{"ali@fastmail.com", "", []string{"ali@fastmail.com", "ali+x@fastmail.com", "anything@ali.fastmail.com", "Other+tag@ALI.fastmail.com"}},
		// Elsewhere only case and "+tag" fold, and the registrable domain is kept
		// for the per-domain limits.
		{"ali.baba@shop.my", "shop.my", []string{"ali.baba@shop.my", "Ali.Baba+x@SHOP.my"}},
		{"ali-baba@shop.my", "shop.my", []string{"ali-baba@shop.my"}},
		{"x@mail.shop.com.my", "shop.com.my", []string{"x@mail.shop.com.my"}},
		{"x@a.b.example.co.uk", "example.co.uk", []string{"X@a.b.example.co.uk"}},
		// A subdomain of a provider is not that provider.
		{"x@a.b.fastmail.com", "fastmail.com", []string{"x@a.b.fastmail.com"}},
		// Nothing a provider would accept is left once folded: kept as it is.
		{"_.-@proton.me", "", []string{"_.-@proton.me"}},
	} {
		for _, raw := range tt.spellings {
			d, err := p.Email(raw)
			if err != nil || d.Key != "email:"+tt.key || d.Domain != tt.domain {
				t.Errorf("Email(%q) = key %q domain %q (%v); want %q %q", raw, d.Key, d.Domain, err, tt.key, tt.domain)
			}
		}
	}
	// The messages still go to the address as written (the domain lower-cased).
	if d, _ := p.Email("anything@Ali.Fastmail.com"); d.Address != "anything@ali.fastmail.com" {
		t.Errorf("address = %q", d.Address)
	}
}

// protonSpellings and fastmailSpellings are n spellings of one inbox each, as an
// attacker would vary them.
func protonSpellings(n int) []string {
	domains := []string{"proton.me", "protonmail.com", "protonmail.ch", "pm.me"}
	var out []string
	for i := 0; len(out) < n; i++ {
		local := []string{"victim", "vic.tim", "v-ictim", "vic_tim", "V.i-C_t.I.m", "VICTIM"}[i%6]
		out = append(out, fmt.Sprintf("%s+%d@%s", local, i, domains[i%4]))
	}
	return out
}

func fastmailSpellings(n int) []string {
	var out []string
	for i := 0; len(out) < n; i++ {
		if i%2 == 0 {
			out = append(out, fmt.Sprintf("x%d@victim.fastmail.com", i))
		} else {
			out = append(out, fmt.Sprintf("Victim+%d@fastmail.com", i))
		}
	}
	return out
}

func TestFortySpellingsAreOneMailbox(t *testing.T) {
	for name, spellings := range map[string][]string{"proton": protonSpellings(40), "fastmail": fastmailSpellings(40)} {
		keys := map[string]bool{}
		for _, s := range spellings {
			d, err := EmailPolicy{}.Email(s)
			if err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			keys[d.Key] = true
		}
		if len(keys) != 1 {
			t.Errorf("%s: 40 spellings make %d keys: %v", name, len(keys), keys)
		}
	}
}
