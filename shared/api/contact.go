package api

import (
	"errors"
	"strings"

	"github.com/checkin-registry/registry/shared/contact"
)

// Destination checks that exactly one of phone and email is given and that it
// passes the policy. A missing, doubled or malformed one is noted in fields for an
// invalid_request; one outside the policy is a destination_not_allowed saying it
// "cannot <use>: <reason>."
func Destination(p contact.Policy, phone, email *string, fields map[string]string, use string) (contact.Destination, error) {
	var d contact.Destination
	var err error
	field := "phone"
	switch {
	case phone != nil && email != nil:
		fields["phone"], fields["email"] = "give a phone number or an e-mail address, not both", "give a phone number or an e-mail address, not both"
		return d, nil
	case phone != nil:
		d, err = p.Phone.Phone(*phone)
	case email != nil:
		field = "email"
		d, err = p.Email.Email(*email)
	default:
		fields["phone"] = "a phone number or an e-mail address is required"
		return d, nil
	}
	var syntax *contact.SyntaxError
	var policy *contact.PolicyError
	switch {
	case errors.As(err, &syntax):
		fields[field] = syntax.Reason
	case errors.As(err, &policy):
		return d, &Error{Code: CodeDestinationNotAllowed, Message: "This " + strings.ReplaceAll(field, "email", "e-mail address") + " cannot " + use + ": " + policy.Reason + ".", Fields: map[string]string{field: policy.Reason}}
	case err != nil:
		return d, err
	}
	return d, nil
}
