package qr

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkin-registry/registry/shared/store"
)

// DB is the part of the DynamoDB API the function uses.
type DB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

var _ DB = (*dynamodb.Client)(nil)

// venue is the venue item that store.CompleteVerification writes, with the signed
// payload this function adds to it: one read serves a request once it is signed.
type venue struct {
	store.Venue
	QRPayload string `dynamodbav:"qrPayload,omitempty"`
}

// venues reads and annotates venue items ("venue#<id>", the key store uses).
type venues struct {
	db    DB
	table string
}

func venueKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "venue#" + id}}
}

// get reads a venue, strongly consistent: a venue is fetched right after verify made it.
func (s venues) get(ctx context.Context, id string) (venue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: venueKey(id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return venue{}, fmt.Errorf("get venue: %w", err)
	}
	if out.Item == nil {
		return venue{}, store.ErrNotFound
	}
	var v venue
	if err := attributevalue.UnmarshalMap(out.Item, &v); err != nil {
		return venue{}, fmt.Errorf("decode venue: %w", err)
	}
	return v, nil
}

// setPayload stores payload on venue id if its payload is still old (none where
// old is ""). If another request stored one first, it answers that one instead.
func (s venues) setPayload(ctx context.Context, id, old, payload string) (string, error) {
	in := &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: venueKey(id),
		UpdateExpression:                    aws.String("SET qrPayload = :p"),
		ConditionExpression:                 aws.String("attribute_exists(pk) AND attribute_not_exists(qrPayload)"),
		ExpressionAttributeValues:           map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: payload}},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if old != "" {
		in.ConditionExpression = aws.String("qrPayload = :old")
		in.ExpressionAttributeValues[":old"] = &types.AttributeValueMemberS{Value: old}
	}
	_, err := s.db.UpdateItem(ctx, in)
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		var v venue
		if failed.Item == nil || attributevalue.UnmarshalMap(failed.Item, &v) != nil {
			return "", store.ErrNotFound
		}
		if v.QRPayload == "" {
			return payload, nil
		}
		return v.QRPayload, nil
	}
	if err != nil {
		return "", fmt.Errorf("set venue qr payload: %w", err)
	}
	return payload, nil
}
