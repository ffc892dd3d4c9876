package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Proof is a pending proof by inbound message: a business proves its contact by
// sending us a text from it. Its key is the keyed hash of the normalised text, so
// an arriving message finds it with one read. It is generic: the subject it
// proves may be a registration or a sign-in session, whose item gets
// inboundProvenAt and inboundVia when a message proves it.
type Proof struct {
	// Subject is the key of the item this proof is for ("reg#…", "session#…").
	Subject string `dynamodbav:"subject"`
	// Channel is the contact's channel: "sms" (proven by WhatsApp or SMS) or "email".
	Channel string `dynamodbav:"channel"`
	// DestHash is the keyed hash of the contact's identity (contact.Destination.Key),
	// as in limit and suppression items: the sender's must equal it.
	DestHash  string `dynamodbav:"destHash"`
	ExpiresAt int64  `dynamodbav:"expiresAt"`
	// UsedAt, MessageID and Via say which message proved it, once one has.
	UsedAt    int64  `dynamodbav:"usedAt,omitempty"`
	MessageID string `dynamodbav:"messageId,omitempty"`
	Via       string `dynamodbav:"via,omitempty"`
	TTL       int64  `dynamodbav:"ttl"`
}

// ProofName and ProofSubjectName name a proof's writes in a transaction.
const (
	ProofName        = "proof"
	ProofSubjectName = "proof_subject"
)

// ProofKey is the key of the proof whose normalised text has this keyed hash.
func ProofKey(textHash string) string { return "proof#" + textHash }

// PutProof adds the creation of a pending proof to t; a proof with the same text
// (a 44-bit collision) cancels the transaction.
func (t *Tx) PutProof(textHash string, p Proof) error {
	item, err := Marshal(ProofKey(textHash), p)
	if err != nil {
		return err
	}
	t.Put(ProofName, item, Expr{Condition: "attribute_not_exists(pk)"})
	return nil
}

// GetProof reads a live proof by its text's hash.
func (s *Store) GetProof(ctx context.Context, textHash string, now time.Time) (Proof, error) {
	var p Proof
	err := s.get(ctx, ProofKey(textHash), now, &p)
	return p, err
}

// Why a proof could not be used.
var (
	ErrProofUsed    = errors.New("proof already used")
	ErrProofExpired = errors.New("proof expired")
	ErrProofSubject = errors.New("proof subject gone or already proven")
)

// UseProof marks the proof used by messageID and its subject proven, in one
// transaction, on the conditions that the proof is unused and unexpired and that
// its subject still exists unproven: of any number of concurrent deliveries, one
// proves it, and the others get ErrProofUsed.
func (s *Store) UseProof(ctx context.Context, textHash string, p Proof, messageID, via string, now time.Time) error {
	t := s.Tx()
	t.Update(ProofName, ProofKey(textHash), Expr{
		Update:    "SET usedAt = :now, messageId = :msg, via = :via",
		Condition: "attribute_exists(pk) AND attribute_not_exists(usedAt) AND expiresAt > :now",
		Values:    map[string]types.AttributeValue{":now": num(now.Unix()), ":msg": str(messageID), ":via": str(via)},
	})
	t.Update(ProofSubjectName, p.Subject, Expr{
		Update:    "SET inboundProvenAt = :now, inboundVia = :via",
		Condition: "attribute_exists(pk) AND attribute_not_exists(inboundProvenAt) AND #ttl > :now",
		Names:     map[string]string{"#ttl": "ttl"},
		Values:    map[string]types.AttributeValue{":now": num(now.Unix()), ":via": str(via)},
	})
	err := s.Commit(ctx, t)
	var failed *ConditionFailed
	switch {
	case errors.As(err, &failed) && failed.Name == ProofName && p.ExpiresAt <= now.Unix():
		return ErrProofExpired
	case errors.As(err, &failed) && failed.Name == ProofName:
		return ErrProofUsed
	case errors.As(err, &failed):
		return ErrProofSubject
	case err != nil:
		return fmt.Errorf("use proof: %w", err)
	}
	return nil
}

// CountDrops adds one to each counter in pks (created as needed, expiring at ttl),
// in one call: the inbound function counts the messages it drops per sender and
// per network.
func (s *Store) CountDrops(ctx context.Context, pks []string, ttl int64) error {
	t := s.Tx()
	for _, pk := range pks {
		t.Update("drop", pk, Expr{
			Update: "ADD n :one SET #ttl = :ttl",
			Names:  map[string]string{"#ttl": "ttl"},
			Values: map[string]types.AttributeValue{":one": num(1), ":ttl": num(ttl)},
		})
	}
	return s.Commit(ctx, t)
}
