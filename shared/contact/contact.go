// Package contact is the phone numbers and e-mail addresses that codes are sent
// to: their channels, normalised form and masking, and the e-mail policy. The
// phone policy, which needs libphonenumber's metadata, is contact/policy, so that
// a function that never parses a number does not link it.
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
		cc, national := callingCode(strings.TrimPrefix(address, "+"))
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

// Refuse is a PolicyError with a formatted reason.
func Refuse(format string, args ...any) error {
	return &PolicyError{Reason: fmt.Sprintf(format, args...)}
}

// SyntaxError says a destination is not a phone number or e-mail address at all.
type SyntaxError struct{ Reason string }

func (e *SyntaxError) Error() string { return e.Reason }

// PhoneChecker parses a phone number, normalises it to E.164 and polices it
// (policy.Phone).
type PhoneChecker interface {
	Phone(raw string) (Destination, error)
}

// Policy is the destination policy for both channels.
type Policy struct {
	Phone PhoneChecker
	Email EmailPolicy
}
