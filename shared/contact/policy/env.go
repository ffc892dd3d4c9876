// Package policy builds the destination policy from a function's environment:
// the phone numbers (through libphonenumber) and e-mail domains codes may go to.
package policy

import (
	"strings"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/contact/disposable"
)

// FromEnv reads the destination policy (PHONE_DEFAULT_REGION, PHONE_ALLOWED_REGIONS,
// PHONE_ALLOWED_TYPES, EMAIL_BLOCK_DISPOSABLE, EMAIL_BLOCKED_DOMAINS), by default
// Malaysian mobiles and any e-mail domain but disposable ones. A bad value is
// added to env's errors.
func FromEnv(env *config.Env) contact.Policy {
	var types []PhoneType
	for _, t := range env.List("PHONE_ALLOWED_TYPES", []string{string(Mobile)}) {
		types = append(types, PhoneType(strings.ToLower(t)))
	}
	var regions []string
	for _, r := range env.List("PHONE_ALLOWED_REGIONS", []string{"MY"}) {
		regions = append(regions, strings.ToUpper(r))
	}
	phone := Phone{DefaultRegion: strings.ToUpper(env.String("PHONE_DEFAULT_REGION", "MY")), Regions: regions, Types: types}
	env.Check(phone.Validate())
	email := contact.EmailPolicy{BlockedDomains: env.List("EMAIL_BLOCKED_DOMAINS", nil)}
	if env.Bool("EMAIL_BLOCK_DISPOSABLE", true) {
		email.Disposable = disposable.Contains
	}
	return contact.Policy{Phone: phone, Email: email}
}
