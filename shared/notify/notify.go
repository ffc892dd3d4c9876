// Package notify delivers messages by e-mail (SES v2) and SMS (SNS), and holds the
// fixed templates for messages to unverified destinations: nothing a requester
// typed ever appears in them.
package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
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

type emailSender interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

var _ emailSender = (*sesv2.Client)(nil)

// SES sends e-mail through SES v2.
type SES struct {
	Client emailSender
	From   string
	// ConfigurationSet, if set, routes bounce and complaint events.
	ConfigurationSet string
}

// Send sends m as a plain-text e-mail.
func (s *SES) Send(ctx context.Context, m Message) error {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Destination:      &sestypes.Destination{ToAddresses: []string{m.To}},
		Content: &sestypes.EmailContent{Simple: &sestypes.Message{
			Subject: &sestypes.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
			Body:    &sestypes.Body{Text: &sestypes.Content{Data: aws.String(m.Body), Charset: aws.String("UTF-8")}},
		}},
	}
	if m.Unsubscribe != "" {
		in.Content.Simple.Headers = []sestypes.MessageHeader{{Name: aws.String("List-Unsubscribe"), Value: aws.String("<" + m.Unsubscribe + ">")}}
	}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	if _, err := s.Client.SendEmail(ctx, in); err != nil {
		return failed("ses send email", err)
	}
	return nil
}

type publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, opts ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ publisher = (*sns.Client)(nil)

// SNS sends transactional SMS through SNS.
type SNS struct {
	Client publisher
	// SenderID, if set, is the alphanumeric sender shown where carriers allow it.
	SenderID string
}

// Send publishes m's body as an SMS to m.To (E.164).
func (s *SNS) Send(ctx context.Context, m Message) error {
	attrs := map[string]snstypes.MessageAttributeValue{
		"AWS.SNS.SMS.SMSType": {DataType: aws.String("String"), StringValue: aws.String("Transactional")},
	}
	if s.SenderID != "" {
		attrs["AWS.SNS.SMS.SenderID"] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s.SenderID)}
	}
	_, err := s.Client.Publish(ctx, &sns.PublishInput{PhoneNumber: aws.String(m.To), Message: aws.String(m.Body), MessageAttributes: attrs})
	if err != nil {
		return failed("sns publish sms", err)
	}
	return nil
}

// Topic is the channel of messages published to an SNS topic, such as the staff
// topic: To is the topic's ARN, set by configuration, never by a request.
const Topic contact.Channel = "topic"

// SNSTopic publishes messages to the SNS topic whose ARN is m.To.
type SNSTopic struct {
	Client publisher
}

// Send publishes m's body to the topic; m.Subject, if set, is the subject e-mail
// subscribers see (SNS wants it ASCII, one line, under 100 characters).
func (s *SNSTopic) Send(ctx context.Context, m Message) error {
	in := &sns.PublishInput{TopicArn: aws.String(m.To), Message: aws.String(m.Body)}
	if m.Subject != "" {
		in.Subject = aws.String(m.Subject)
	}
	if _, err := s.Client.Publish(ctx, in); err != nil {
		return failed("sns publish to topic", err)
	}
	return nil
}

// failed wraps a delivery error for logs. An AWS API error keeps only its code:
// SES and SNS messages can quote the recipient, which no log may hold.
func failed(op string, err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return fmt.Errorf("%s: %s", op, apiErr.ErrorCode())
	}
	return fmt.Errorf("%s: %w", op, err)
}
