// Package ses sends e-mail through Amazon SES v2.
package ses

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/checkin-registry/registry/shared/notify"
)

var _ notify.Sender = (*Sender)(nil)

type emailSender interface {
	SendEmail(ctx context.Context, in *sesv2.SendEmailInput, opts ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

var _ emailSender = (*sesv2.Client)(nil)

// Sender sends e-mail through SES v2.
type Sender struct {
	Client emailSender
	From   string
	// ConfigurationSet, if set, routes bounce and complaint events.
	ConfigurationSet string
}

// Send sends m as a plain-text e-mail.
func (s *Sender) Send(ctx context.Context, m notify.Message) error {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: &types.Content{Data: aws.String(m.Subject), Charset: aws.String("UTF-8")},
			Body:    &types.Body{Text: &types.Content{Data: aws.String(m.Body), Charset: aws.String("UTF-8")}},
		}},
	}
	if m.Unsubscribe != "" {
		in.Content.Simple.Headers = []types.MessageHeader{{Name: aws.String("List-Unsubscribe"), Value: aws.String("<" + m.Unsubscribe + ">")}}
	}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	if _, err := s.Client.SendEmail(ctx, in); err != nil {
		return notify.Failed("ses send email", err)
	}
	return nil
}
