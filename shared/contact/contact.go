// Package contact parses, normalises and polices the phone numbers and e-mail
// addresses that codes are sent to.
package contact

import (
	"fmt"
	"strings"
)

// Channel is how a message reaches a destination.
type Channel string

// The channels.
const (
	SMS   Channel = "sms"
	Email Channel = "email"
)

// Destination is a normalised, policy-checked place to send a message.
type Destination struct {
	Channel Channel
	// Address is where messages go: E.164 for SMS, the address for e-mail.
	Address string
	// Key identifies the person behind Address for limits and blocks: the same
	// for every spelling that reaches the same inbox or phone.
	Key string
	// Domain is the registrable domain that receives an e-mail Address, for the
	// limits per receiving domain (a catch-all domain delivers any local part to
	// one inbox). It is empty for phones and for the big providers, whose own
	// rules fold their mailboxes into Key.
	Domain string
}

// Masked is Address with most of it hidden, fit to show the requester or a log.
func (d Destination) Masked() string { return Mask(d.Channel, d.Address) }

// Mask hides most of a normalised address: "+60•••••6789", "a•••@example.com".
func Mask(ch Channel, address string) string {
	if ch == SMS {
		cc, national := splitE164(address)
		if len(national) <= 4 {
			return "+" + cc + strings.Repeat("•", len(national))
		}
		return "+" + cc + strings.Repeat("•", len(national)-4) + national[len(national)-4:]
	}
	at := strings.LastIndexByte(address, '@')
	if at < 1 {
		return "•••"
	}
	return address[:1] + "•••" + address[at:]
}

// PolicyError says why a destination is refused, in words fit for the requester.
type PolicyError struct{ Reason string }

func (e *PolicyError) Error() string { return e.Reason }

func refuse(format string, args ...any) error {
	return &PolicyError{Reason: fmt.Sprintf(format, args...)}
}

// SyntaxError says a destination is not a phone number or e-mail address at all.
type SyntaxError struct{ Reason string }

func (e *SyntaxError) Error() string { return e.Reason }
