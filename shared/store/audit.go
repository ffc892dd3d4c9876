package store

import (
	"time"

	"github.com/checkin-registry/registry/shared/config"
)

// Audit records one attempt to send a message, for abuse investigations. It holds
// keyed hashes, never a raw destination or client IP, and expires.
type Audit struct {
	At       int64  `dynamodbav:"at"`
	Action   string `dynamodbav:"action"`
	Channel  string `dynamodbav:"channel"`
	DestHash string `dynamodbav:"destHash"`
	IPHash   string `dynamodbav:"ipHash"`
	NetHash  string `dynamodbav:"netHash"`
	Mode     string `dynamodbav:"mode"`
	// Outcome is "sent", "suppressed" or the name of the limit that refused it.
	Outcome string `dynamodbav:"outcome"`
	// Subject is the registration or ticket the attempt was for, if any.
	Subject string `dynamodbav:"subject,omitempty"`
	TTL     int64  `dynamodbav:"ttl"`
}

// PutAudit adds the audit record id to t.
func (t *Tx) PutAudit(id string, a Audit) error {
	item, err := Marshal("audit#"+id, a)
	if err != nil {
		return err
	}
	t.Put("audit", item, Expr{})
	return nil
}

// AuditTTLFromEnv is how long audit records are kept (AUDIT_TTL, 90 days).
func AuditTTLFromEnv(env *config.Env) time.Duration {
	return env.Duration("AUDIT_TTL", 90*24*time.Hour, time.Hour)
}
