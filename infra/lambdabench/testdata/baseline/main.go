// Command baseline is the naive Lambda the functions are measured against: the
// AWS SDK's default configuration, one DynamoDB client, and aws-lambda-go, with
// one GetItem per event. It is built in the same run as the functions, with the
// same flags, so that their ratios to it do not depend on the machine.
package main

import (
	"context"
	"encoding/json"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		panic(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	table := os.Getenv("TABLE_NAME")
	lambda.Start(func(ctx context.Context, _ json.RawMessage) (map[string]any, error) {
		_, err := db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(table),
			Key:       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "baseline"}},
		})
		if err != nil {
			return nil, err
		}
		return map[string]any{"statusCode": 200}, nil
	})
}
