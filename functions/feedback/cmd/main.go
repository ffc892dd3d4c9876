// Command feedback is the FeedbackFunction Lambda.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/checkin-registry/registry/functions/feedback"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/tracing"
)

func main() {
	ctx := context.Background()
	rt := process.Lambda("feedback")
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		rt.Fail(err)
	}
	if err := tracing.Instrument(ctx, &awsCfg, "feedback", os.Getenv); err != nil {
		rt.Fail(err)
	}
	h, err := feedback.Wire(ctx, config.FromOS(), awsCfg, rt)
	if err != nil {
		rt.Fail(err)
	}
	lambda.Start(h.Handle)
}
