package contact

import (
	"strings"

	"github.com/checkin-registry/registry/shared/config"
)

// Policy is the destination policy for both channels.
type Policy struct {
	Phone PhonePolicy
	Email EmailPolicy
}

// PolicyFromEnv reads the destination policy, by default Malaysian mobiles and any
// e-mail domain but disposable ones.
func PolicyFromEnv(env *config.Env) (Policy, error) {
	var types []PhoneType
	for _, t := range env.List("PHONE_ALLOWED_TYPES", []string{string(Mobile)}) {
		types = append(types, PhoneType(strings.ToLower(t)))
	}
	var regions []string
	for _, r := range env.List("PHONE_ALLOWED_REGIONS", []string{"MY"}) {
		regions = append(regions, strings.ToUpper(r))
	}
	p := Policy{
		Phone: PhonePolicy{DefaultRegion: strings.ToUpper(env.String("PHONE_DEFAULT_REGION", "MY")), Regions: regions, Types: types},
		Email: EmailPolicy{BlockDisposable: env.Bool("EMAIL_BLOCK_DISPOSABLE", true), BlockedDomains: env.List("EMAIL_BLOCKED_DOMAINS", nil)},
	}
	return p, p.Phone.Validate()
}
