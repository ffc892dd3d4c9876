// Package notify is the messages the service sends and the Sender interface that
// delivers them, with the fixed templates for messages to unverified
// destinations: nothing a requester typed ever appears in them. The senders are
// notify/ses (e-mail) and notify/sns (SMS and topics), each linked only by the
// functions that send through it.
package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/smithy-go"

	"github.com/checkin-registry/registry/shared/contact"
)

// Message is one message to one destination. Body is plain text.
type Message struct {
	Channel contact.Channel
	To      string
	Subject string
	Body    string
	// Unsubscribe, if set, is a URL for the List-Unsubscribe header of an e-mail.
	Unsubscribe string
}

// Sender hands a message to a delivery service.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// Channels sends each message through the sender for its channel.
type Channels map[contact.Channel]Sender

// Send delivers m through its channel's sender.
func (c Channels) Send(ctx context.Context, m Message) error {
	s, ok := c[m.Channel]
	if !ok {
		return fmt.Errorf("no sender for channel %q", m.Channel)
	}
	return s.Send(ctx, m)
}

// Topic is the channel of messages published to an SNS topic, such as the staff
// topic: To is the topic's ARN, set by configuration, never by a request.
const Topic contact.Channel = "topic"

// Failed wraps a delivery error for logs. An AWS API error keeps only its code:
// SES and SNS messages can quote the recipient, which no log may hold.
func Failed(op string, err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return fmt.Errorf("%s: %s", op, apiErr.ErrorCode())
	}
	return fmt.Errorf("%s: %w", op, err)
}
