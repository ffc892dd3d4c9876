// Package identity names who asks and whom a message would reach, as the keyed
// hashes that stand for them in the table: the table holds no raw client IP and
// no destination outside registrations, tickets and venues.
//
// Every function that hashes a destination or an address uses the one Hasher
// from New, or suppressions, proven contacts and limits would silently stop
// matching between functions.
package identity

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strings"

	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/secret"
)

// Kind is what a hash, or a limit, is about.
type Kind string

// The kinds. Destination is the mailbox or phone however spelled (opt-outs, limits,
// proven contacts); Address is the exact address (what SES reports bouncing);
// Domain is an e-mail destination's registrable receiving domain; Client is one
// client address, Network its network; Channel is the channel itself and Service
// the whole service (neither is hashed). Prefix is a phone destination's number
// range: its E.164 form without the last 4 digits, where SMS pumping shows.
const (
	Destination Kind = "dest"
	Address     Kind = "addr"
	Domain      Kind = "domain"
	Prefix      Kind = "prefix"
	Client      Kind = "ip"
	Network     Kind = "net"
	Channel     Kind = "channel"
	Service     Kind = "service"
)

// Hasher makes the keyed hashes.
type Hasher struct{ key []byte }

// New is the service's one hasher.
func New(keys secret.Keys) Hasher { return Hasher{key: keys.Derive("hash")} }

// Hash is the hex HMAC-SHA256 of kind and value, 40 characters.
func (h Hasher) Hash(kind Kind, value string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(string(kind) + "\x00" + value))
	return hex.EncodeToString(m.Sum(nil))[:40]
}

// Destination is the hash of d's mailbox or phone: the same for every spelling.
func (h Hasher) Destination(d contact.Destination) string { return h.Hash(Destination, d.Key) }

// Address is the hash of one exact address, case aside.
func (h Hasher) Address(address string) string { return h.Hash(Address, strings.ToLower(address)) }

// Client is the hash of the client that ip belongs to (see ClientOf).
func (h Hasher) Client(ip string) string { return h.Hash(Client, ClientOf(ip)) }

// Network is the hash of ip's network (see NetworkOf).
func (h Hasher) Network(ip string) string { return h.Hash(Network, NetworkOf(ip)) }

// Subject is who is asking and whom the message would reach, each as its hash.
// A field left empty is unknown or does not apply (no Domain for a phone or for a
// big provider's mailbox), and so are the limits on it.
type Subject struct {
	Destination, Address, Domain, Prefix string
	Channel                              contact.Channel
	Client, Network                      string
}

// Subject hashes a destination and a client IP; an unparsable IP counts as one
// client of its own, so it is limited rather than let through.
func (h Hasher) Subject(d contact.Destination, ip string) Subject {
	s := h.Requester(ip)
	s.Destination, s.Address, s.Channel = h.Destination(d), h.Address(d.Address), d.Channel
	if d.Domain != "" {
		s.Domain = h.Hash(Domain, d.Domain)
	}
	if p := PrefixOf(d); p != "" {
		s.Prefix = h.Hash(Prefix, p)
	}
	return s
}

// PrefixOf is a phone destination's number range, its E.164 form without the
// last 4 digits; "" for an e-mail address.
func PrefixOf(d contact.Destination) string {
	if d.Channel != contact.SMS || len(d.Address) < 9 || d.Address[0] != '+' {
		return ""
	}
	return d.Address[:len(d.Address)-4]
}

// Requester is the subject of a request whose destination is not known yet.
func (h Hasher) Requester(ip string) Subject {
	return Subject{Client: h.Client(ip), Network: h.Network(ip)}
}

// ID is the subject's identifier of kind k, or "" where it has none.
func (s Subject) ID(k Kind) string {
	switch k {
	case Destination:
		return s.Destination
	case Address:
		return s.Address
	case Domain:
		return s.Domain
	case Prefix:
		return s.Prefix
	case Channel:
		return string(s.Channel)
	case Client:
		return s.Client
	case Network:
		return s.Network
	case Service:
		return "all"
	}
	return ""
}

// ClientOf is what counts as one client: an IPv4 address, or the /64 of an IPv6
// one (a single subscriber's LAN; its host part is the client's to choose), in
// canonical form whatever the spelling. An unparsable string is itself.
func ClientOf(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "invalid:" + ip
	}
	if a = a.Unmap(); a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// NetworkOf is the /24 of an IPv4 address or the /56 of an IPv6 one.
func NetworkOf(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return "invalid:" + ip
	}
	a = a.Unmap()
	bits := 56
	if a.Is4() {
		bits = 24
	}
	p, _ := a.Prefix(bits)
	return p.String()
}
