// Package sns sends SMS and topic messages through Amazon SNS.
package sns

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/notify"
)

// SMSFromEnv is the SMS sender with the sender ID SMS_SENDER_ID, if set, and an
// SNS client of awsCfg.
func SMSFromEnv(env *config.Env, awsCfg aws.Config) *SMS {
	return &SMS{Client: awssns.NewFromConfig(awsCfg), SenderID: env.String("SMS_SENDER_ID", "")}
}

var (
	_ notify.Sender = (*SMS)(nil)
	_ notify.Sender = (*Topic)(nil)
)

type publisher interface {
	Publish(ctx context.Context, in *awssns.PublishInput, opts ...func(*awssns.Options)) (*awssns.PublishOutput, error)
}

var _ publisher = (*awssns.Client)(nil)

// SMS sends transactional SMS through SNS.
type SMS struct {
	Client publisher
	// SenderID, if set, is the alphanumeric sender shown where carriers allow it.
	SenderID string
}

// Send publishes m's body as an SMS to m.To (E.164).
func (s *SMS) Send(ctx context.Context, m notify.Message) error {
	attrs := map[string]types.MessageAttributeValue{
		"AWS.SNS.SMS.SMSType": {DataType: aws.String("String"), StringValue: aws.String("Transactional")},
	}
	if s.SenderID != "" {
		attrs["AWS.SNS.SMS.SenderID"] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(s.SenderID)}
	}
	_, err := s.Client.Publish(ctx, &awssns.PublishInput{PhoneNumber: aws.String(m.To), Message: aws.String(m.Body), MessageAttributes: attrs})
	if err != nil {
		return notify.Failed("sns publish sms", err)
	}
	return nil
}

// Topic publishes messages to the SNS topic whose ARN is m.To (notify.Topic).
type Topic struct {
	Client publisher
}

// Send publishes m's body to the topic; m.Subject, if set, is the subject e-mail
// subscribers see (SNS wants it ASCII, one line, under 100 characters).
func (s *Topic) Send(ctx context.Context, m notify.Message) error {
	in := &awssns.PublishInput{TopicArn: aws.String(m.To), Message: aws.String(m.Body)}
	if m.Subject != "" {
		in.Subject = aws.String(m.Subject)
	}
	if _, err := s.Client.Publish(ctx, in); err != nil {
		return notify.Failed("sns publish to topic", err)
	}
	return nil
}
