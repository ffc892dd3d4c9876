// Package notify is the messages the service sends and the Sender interface that
// delivers them, with the fixed templates for messages to unverified
// destinations: nothing a requester typed ever appears in them. The senders are
// notify/ses (e-mail) and notify/sns (SMS and topics), each linked only by the
// functions that send through it.
package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"strings"

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
