// Command alarm is the AlarmFunction Lambda.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/checkin-registry/registry/functions/alarm"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/process"
	"github.com/checkin-registry/registry/shared/tracing"
)

func main() {
	ctx := context.Background()
	rt := process.Lambda("alarm")
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		rt.Fail(err)
	}
	if err := tracing.Instrument(ctx, &awsCfg, "alarm", os.Getenv); err != nil {
		rt.Fail(err)
	}
	r, err := alarm.Wire(ctx, config.FromOS(), awsCfg, rt)
	if err != nil {
		rt.Fail(err)
	}
	lambda.Start(r.Handle)
}
