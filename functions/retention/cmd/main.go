// Command retention is the RetentionFunction Lambda.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/checkin-registry/registry/functions/retention"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/process"
)

func main() {
	ctx := context.Background()
	rt := process.Lambda("retention")
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		rt.Fail(err)
	}
	h, err := retention.Wire(ctx, config.FromOS(), awsCfg, rt)
	if err != nil {
		rt.Fail(err)
	}
	lambda.Start(h.Handle)
}
