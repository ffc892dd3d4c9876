package identity

import (
	"testing"

	"github.com/checkin-registry/registry/shared/contact"
)

func TestClientOf(t *testing.T) {
	for ip, want := range map[string]string{
		"198.51.100.9":                     "198.51.100.9",
		"::ffff:198.51.100.9":              "198.51.100.9",
		"2001:db8:0:1::1":                  "2001:db8:0:1::/64",
		"2001:0DB8:0000:1::ffff":           "2001:db8:0:1::/64",
		"2001:db8:0:1:aaaa:bbbb:cccc:dddd": "2001:db8:0:1::/64",
		"2001:db8:0:2::1":                  "2001:db8:0:2::/64",
		"bogus":                            "invalid:bogus",
	} {
		if got := ClientOf(ip); got != want {
			t.Errorf("ClientOf(%q) = %q, want %q", ip, got, want)
		}
	}
}

func TestNetworkOf(t *testing.T) {
	for ip, want := range map[string]string{
		"203.0.113.77":         "203.0.113.0/24",
		"::ffff:203.0.113.77":  "203.0.113.0/24",
		"2001:db8:aa:bbcc::1":  "2001:db8:aa:bb00::/56",
		"2001:db8:aa:bbff:1::": "2001:db8:aa:bb00::/56",
		"not an ip":            "invalid:not an ip",
	} {
		if got := NetworkOf(ip); got != want {
			t.Errorf("NetworkOf(%q) = %q, want %q", ip, got, want)
		}
	}
}

func TestSubject(t *testing.T) {
	h := Hasher{key: []byte("k")}
	a := contact.Destination{Channel: contact.Email, Address: "Ali+x@example.com", Key: "email:ali@example.com"}
	b := contact.Destination{Channel: contact.Email, Address: "ali@example.com", Key: "email:ali@example.com"}
	sa, sb := h.Subject(a, "192.0.2.1"), h.Subject(b, "192.0.2.200")
	switch {
	case sa.Destination != sb.Destination:
		t.Fatal("two spellings of one mailbox have two destination hashes")
	case sa.Address == sb.Address:
		t.Fatal("two addresses share an address hash")
	case h.Address("ALI@example.com") != sb.Address:
		t.Fatal("the address hash depends on case")
	case sa.Client == sb.Client || sa.Network != sb.Network:
		t.Fatal("client and network hashes are wrong")
	case sa.ID(Service) != "all" || sa.ID(Channel) != "email" || sa.ID(Domain) != "":
		t.Fatalf("IDs: %q %q %q", sa.ID(Service), sa.ID(Channel), sa.ID(Domain))
	}
	if h.Hash(Client, "x") == h.Hash(Network, "x") {
		t.Fatal("kinds do not separate hashes")
	}
}

func TestPrefix(t *testing.T) {
	h := Hasher{key: []byte("k")}
	a := h.Subject(contact.Destination{Channel: contact.SMS, Address: "+60123456789", Key: "sms:+60123456789"}, "198.51.100.9")
	b := h.Subject(contact.Destination{Channel: contact.SMS, Address: "+60123450001", Key: "sms:+60123450001"}, "198.51.100.9")
	c := h.Subject(contact.Destination{Channel: contact.SMS, Address: "+60123466789", Key: "sms:+60123466789"}, "198.51.100.9")
	m := h.Subject(contact.Destination{Channel: contact.Email, Address: "ali@example.com", Key: "email:ali@example.com"}, "198.51.100.9")
	if a.Prefix == "" || a.Prefix != b.Prefix || a.Prefix == c.Prefix || m.Prefix != "" || a.ID(Prefix) != a.Prefix {
		t.Fatalf("prefixes %q %q %q %q: want +6012345xxxx to share one, +6012346xxxx another, e-mail none", a.Prefix, b.Prefix, c.Prefix, m.Prefix)
	}
}
