// Package platform builds what every function is made of, the same way in Lambda
// and in the local server: the AWS clients, the table, the keys, the senders, the
// logger and the metrics recorder.
package platform

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/metrics"
	"github.com/checkin-registry/registry/shared/notify"
	"github.com/checkin-registry/registry/shared/secret"
	"github.com/checkin-registry/registry/shared/store"
	"github.com/checkin-registry/registry/shared/tracing"
)

// Clients are the AWS service clients, built once per process.
type Clients struct {
	DynamoDB *dynamodb.Client
	SES      *sesv2.Client
	SNS      *sns.Client
	SSM      *ssm.Client
	KMS      *kms.Client
}

// NewClients builds every client from one AWS configuration. AWS_ENDPOINT_URL in
// the environment points them all at a local emulator.
func NewClients(cfg aws.Config) Clients {
	return Clients{
		DynamoDB: dynamodb.NewFromConfig(cfg),
		SES:      sesv2.NewFromConfig(cfg),
		SNS:      sns.NewFromConfig(cfg),
		SSM:      ssm.NewFromConfig(cfg),
		KMS:      kms.NewFromConfig(cfg),
	}
}

// Deps are a function's dependencies.
type Deps struct {
	Clients Clients
	Store   *store.Store
	Keys    secret.Keys
	// Sender delivers by channel: SES for e-mail, SNS for SMS and for topics.
	Sender  notify.Sender
	Log     *slog.Logger
	Metrics *metrics.Recorder
	Now     func() time.Time
	Rand    io.Reader
}

// Options adjust Load for the local server and tests.
type Options struct {
	// WrapSender, if set, wraps each channel's real sender.
	WrapSender func(notify.Sender) notify.Sender
	// Log and MetricsOut default to Lambda's JSON log format and standard output.
	Log        *slog.Logger
	MetricsOut io.Writer
}

// Load reads the settings every function shares (TABLE_NAME, SECRET_PARAMETER,
// SENDER_EMAIL, SES_CONFIGURATION_SET, SMS_SENDER_ID) and builds Deps.
func Load(ctx context.Context, env *config.Env, function string, c Clients, o Options) (Deps, error) {
	table := env.Required("TABLE_NAME")
	param := env.Required("SECRET_PARAMETER")
	from := env.String("SENDER_EMAIL", "no-reply@checkin.example")
	configSet := env.String("SES_CONFIGURATION_SET", "")
	senderID := env.String("SMS_SENDER_ID", "")
	if err := env.Err(); err != nil {
		return Deps{}, err
	}
	keys, err := secret.Load(ctx, c.SSM, param)
	if err != nil {
		return Deps{}, fmt.Errorf("load secret: %w", err)
	}
	var sms, email notify.Sender = &notify.SNS{Client: c.SNS, SenderID: senderID}, &notify.SES{Client: c.SES, From: from, ConfigurationSet: configSet}
	var topic notify.Sender = &notify.SNSTopic{Client: c.SNS}
	if o.WrapSender != nil {
		sms, email, topic = o.WrapSender(sms), o.WrapSender(email), o.WrapSender(topic)
	}
	log := o.Log
	if log == nil {
		log = slog.New(lambdacontext.NewLogHandler())
	}
	out := o.MetricsOut
	if out == nil {
		out = os.Stdout
	}
	log = log.With("function", function)
	return Deps{
		Clients: c,
		Store:   store.New(c.DynamoDB, table),
		Keys:    keys,
		Sender:  notify.Channels{contact.SMS: sms, contact.Email: email, notify.Topic: topic},
		Log:     log,
		Metrics: &metrics.Recorder{W: out, Function: function, Now: time.Now},
		Now:     time.Now,
		Rand:    rand.Reader,
	}, nil
}

// Builder builds a function's handler: a func of a shape lambda.Start and
// lambda.NewHandler take. Each function package has one, used by its main and by
// the local server alike.
type Builder func(env *config.Env, d Deps) (any, error)

// APIHandler is a handler of API Gateway REST proxy events.
type APIHandler interface {
	Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)
}

// APIBuilder is the Builder of an API function whose config comes from load and
// whose handler comes from build.
func APIBuilder[C any, H APIHandler](load func(*config.Env) (C, error), build func(C, Deps) H) Builder {
	return func(env *config.Env, d Deps) (any, error) {
		cfg, err := load(env)
		if err != nil {
			return nil, err
		}
		return build(cfg, d).Handle, nil
	}
}

// Main is a Lambda function's whole main: build the handler from the environment
// and serve it. It exits on a start-up error, before any request is taken.
// build answers a handler function of a shape lambda.Start takes.
func Main(function string, build Builder) {
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		fail(function, fmt.Errorf("aws config: %w", err))
	}
	if err := tracing.Instrument(ctx, &cfg, function, os.Getenv); err != nil {
		fail(function, err)
	}
	env := config.FromOS()
	d, err := Load(ctx, env, function, NewClients(cfg), Options{})
	if err != nil {
		fail(function, err)
	}
	h, err := build(env, d)
	if err != nil {
		fail(function, err)
	}
	lambda.Start(h)
}

func fail(function string, err error) {
	slog.New(lambdacontext.NewLogHandler()).Error("start-up failed", "function", function, "err", err)
	os.Exit(1)
}

// SNSMessages hands the message of every record of an SNS event to handle and
// joins their errors: any error makes Lambda deliver the whole event again, so
// handle must be safe to repeat.
func SNSMessages(ctx context.Context, ev events.SNSEvent, handle func(context.Context, string) error) error {
	var errs []error
	for _, rec := range ev.Records {
		if err := handle(ctx, rec.SNS.Message); err != nil {
			errs = append(errs, fmt.Errorf("sns message %s: %w", rec.SNS.MessageID, err))
		}
	}
	return errors.Join(errs...)
}
