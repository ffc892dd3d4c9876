package store

import (
	"time"

	"github.com/checkin-registry/registry/shared/config"
)

// Retention is how long an owner's venues and contact are kept after the contact
// was last proven (a registration or a sign-in), and how long before that end the
// one reminder goes to the contact.
type Retention struct {
	Keep         time.Duration
	RemindBefore time.Duration
}

// RetentionFromEnv reads RETENTION (default 17520h, 24 months of 730 days) and
// RETENTION_REMINDER_BEFORE (default 4380h, 6 months).
func RetentionFromEnv(env *config.Env) Retention {
	r := Retention{
		Keep:         env.Duration("RETENTION", 17520*time.Hour, time.Hour),
		RemindBefore: env.Duration("RETENTION_REMINDER_BEFORE", 4380*time.Hour, 0),
	}
	r.RemindBefore = min(r.RemindBefore, r.Keep)
	return r
}

// Until is the ttl of data proven at now.
func (r Retention) Until(now time.Time) int64 { return now.Add(r.Keep).Unix() }

// RemindAt is when the reminder for data proven at now is due.
func (r Retention) RemindAt(now time.Time) int64 { return now.Add(r.Keep - r.RemindBefore).Unix() }
