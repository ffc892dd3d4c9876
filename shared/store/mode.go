package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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

// ErrModeConflict is PutMode's answer when the mode item changed since it was read.
var ErrModeConflict = errors.New("mode changed concurrently")

// PutMode writes m as version m.Version, on condition that the stored item is still
// at version prev (or absent, for prev 0): read, change, PutMode, and on
// ErrModeConflict read again.
func (s *Store) PutMode(ctx context.Context, m ModeState, prev int64) error {
	item, err := Marshal(ModeKey, m)
	if err != nil {
		return err
	}
	in := &dynamodb.PutItemInput{TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}
	if prev != 0 {
		in.ConditionExpression = aws.String("#ver = :prev")
		in.ExpressionAttributeNames = map[string]string{"#ver": "ver"}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": num(prev)}
	}
	if _, err := s.db.PutItem(ctx, in); err != nil {
		if isConditionFailed(err) {
			return ErrModeConflict
		}
		return fmt.Errorf("put mode: %w", err)
	}
	return nil
}
