// Package notify delivers messages by e-mail (SES v2) and SMS (SNS), and holds the
// fixed templates for messages to unverified destinations: nothing a requester
// typed ever appears in them.
package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"

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

// Send sends m as a plain-text e-mail. It goes to SES as a raw MIME message that
// carries the one-click unsubscribe headers of RFC 8058 where m has an Unsubscribe
// URL. (SES v2 takes extra headers with Simple content too, but the emulator drops
// them; a raw message is what SES sends, byte for byte, in both.)
func (s *SES) Send(ctx context.Context, m Message) error {
	raw, err := MIME(s.From, m)
	if err != nil {
		return err
	}
	// The To header is the only recipient: a raw message needs no Destination.
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Content:          &sestypes.EmailContent{Raw: &sestypes.RawMessage{Data: raw}},
	}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	if _, err := s.Client.SendEmail(ctx, in); err != nil {
		return failed("ses send email", err)
	}
	return nil
}

// OneClick is the List-Unsubscribe-Post header's value and the form body a mail
// provider posts to the List-Unsubscribe URL (RFC 8058).
const OneClick = "List-Unsubscribe=One-Click"

// MIME is m from from as a plain-text MIME message in UTF-8, quoted-printable.
// With m.Unsubscribe set it carries List-Unsubscribe (that URL) and
// List-Unsubscribe-Post (OneClick), which Gmail and Yahoo require of bulk senders
// and which let a provider's own "unsubscribe" button opt the address out. A
// header value that would break a line is an error: nothing can add a header.
func MIME(from string, m Message) ([]byte, error) {
	headers := [][2]string{
		{"From", from},
		{"To", m.To},
		{"Subject", mime.QEncoding.Encode("utf-8", m.Subject)},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=UTF-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
	}
	if m.Unsubscribe != "" {
		headers = append(headers, [2]string{"List-Unsubscribe", "<" + m.Unsubscribe + ">"}, [2]string{"List-Unsubscribe-Post", OneClick})
	}
	var b bytes.Buffer
	for _, h := range headers {
		if strings.ContainsAny(h[1], "\r\n") || strings.IndexFunc(h[1], func(r rune) bool { return r < ' ' || r > '~' }) >= 0 {
			return nil, fmt.Errorf("mime: header %s is not one line of ASCII", h[0])
		}
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n"))); err != nil {
		return nil, fmt.Errorf("mime body: %w", err)
	}
	if err := qp.Close(); err != nil {
		return nil, fmt.Errorf("mime body: %w", err)
	}
	return b.Bytes(), nil
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
