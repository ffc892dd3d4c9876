package store

import (
	"context"
	"time"
)

// ModeKey is the key of the protection mode item.
const ModeKey = "mode"

// ModeState is the service's protection mode and what set it. Mode is the effective
// mode the senders obey; the alarm responder and operators keep it in step with
// Alarms and Manual.
type ModeState struct {
	Mode string `dynamodbav:"mode"`
	// Alarms maps each alarm name to the mode it holds while in ALARM.
	Alarms map[string]AlarmHold `dynamodbav:"alarms,omitempty"`
	// Manual is a mode set by an operator, or "".
	Manual    string `dynamodbav:"manual,omitempty"`
	Reason    string `dynamodbav:"reason,omitempty"`
	UpdatedAt int64  `dynamodbav:"updatedAt"`
	UpdatedBy string `dynamodbav:"updatedBy,omitempty"`
	Version   int64  `dynamodbav:"ver"`
}

// AlarmHold is the last state one alarm reported.
type AlarmHold struct {
	State string `dynamodbav:"state"`
	Mode  string `dynamodbav:"mode"`
	// StateChangedAt orders notifications that arrive out of order.
	StateChangedAt int64 `dynamodbav:"changedAt"`
}

// GetMode reads the protection mode item; ErrNotFound where none was ever set.
func (s *Store) GetMode(ctx context.Context, now time.Time) (ModeState, error) {
	var m ModeState
	err := s.get(ctx, ModeKey, now, &m)
	return m, err
}
