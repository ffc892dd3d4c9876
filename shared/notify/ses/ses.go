// Package ses sends e-mail through Amazon SES v2.
package ses

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/notify"
)

// FromEnv is the sender of SENDER_EMAIL (the verified identity codes are sent
// from) through SES_CONFIGURATION_SET, with an SES client of awsCfg.
func FromEnv(env *config.Env, awsCfg aws.Config) *Sender {
	return &Sender{Client: sesv2.NewFromConfig(awsCfg), From: env.String("SENDER_EMAIL", "no-reply@checkin.example"),
		ConfigurationSet: env.String("SES_CONFIGURATION_SET", "")}
}

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

// Send sends m as a plain-text e-mail. It goes to SES as a raw MIME message that
// carries the one-click unsubscribe headers of RFC 8058 where m has an Unsubscribe
// URL. (SES v2 takes extra headers with Simple content too, but the emulator drops
// them; a raw message is what SES sends, byte for byte, in both.)
func (s *Sender) Send(ctx context.Context, m notify.Message) error {
	raw, err := notify.MIME(s.From, m)
	if err != nil {
		return err
	}
	// The To header is the only recipient: a raw message needs no Destination.
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(s.From),
		Content:          &types.EmailContent{Raw: &types.RawMessage{Data: raw}},
	}
	if s.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(s.ConfigurationSet)
	}
	if _, err := s.Client.SendEmail(ctx, in); err != nil {
		return notify.Failed("ses send email", err)
	}
	return nil
}
