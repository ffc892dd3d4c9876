// Command inbound is the InboundFunction Lambda.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/checkin-registry/registry/functions/inbound"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/process"
)

func main() {
	ctx := context.Background()
	rt := process.Lambda("inbound")
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		rt.Fail(err)
	}
	h, err := inbound.Wire(ctx, config.FromOS(), awsCfg, rt)
	if err != nil {
		rt.Fail(err)
	}
	lambda.Start(h.Handle)
}
