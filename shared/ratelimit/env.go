package ratelimit

import (
	"time"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
)

// FromEnv reads the limits, with the contract's defaults.
func FromEnv(env *config.Env) Limits {
	return Limits{
		DestCooldown: env.Duration("DEST_COOLDOWN", 60*time.Second, time.Second),
		DestWindow:   env.Duration("DEST_WINDOW", 24*time.Hour, time.Minute),
		DestMax:      env.Int("DEST_MAX_SENDS", 3, 1),
		Window:       env.Duration("CLIENT_WINDOW", time.Hour, time.Minute),
		IPMax:        env.Int("IP_MAX_REQUESTS", 10, 1),
		NetMax:       env.Int("NETWORK_MAX_REQUESTS", 30, 1),
		Budget: map[contact.Channel]int{
			contact.SMS:   env.Int("SMS_HOURLY_BUDGET", 500, 0),
			contact.Email: env.Int("EMAIL_HOURLY_BUDGET", 2000, 0),
		},
	}
}
