package moto

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/checkin-registry/registry/infra/template"
)

// StackName is what AWS::StackName stands for in the emulator: the stack name the
// README and the sample events use (alarms are named "checkin-registry-…"). The
// resources themselves carry Provision's unique prefix.
const StackName = "checkin-registry"

// Clients are the AWS service clients that provision the emulator and that
// tests read it with.
type Clients struct {
	DynamoDB *dynamodb.Client
	SES      *sesv2.Client
	SNS      *sns.Client
	SSM      *ssm.Client
	KMS      *kms.Client
}

// NewClients builds every client from one AWS configuration.
func NewClients(cfg aws.Config) Clients {
	return Clients{
		DynamoDB: dynamodb.NewFromConfig(cfg),
		SES:      sesv2.NewFromConfig(cfg),
		SNS:      sns.NewFromConfig(cfg),
		SSM:      ssm.NewFromConfig(cfg),
		KMS:      kms.NewFromConfig(cfg),
	}
}

// Stack is what Provision made: the physical name, ARN or ID that !Ref gives for
// each resource it created, by logical ID, and the template read with them.
type Stack struct {
	Refs     map[string]string
	Tables   map[string]string
	Template *template.Template
}

// Provision creates, with a unique prefix, what the template declares that the
// functions use: DynamoDB tables with their TTL settings, KMS keys (with their
// KeySpec and KeyUsage), SNS topics, a random master secret at the template's
// SecretParameterName (made unique too), and the SES sender identity. Other
// resource types are left out. overrides set template parameters.
func Provision(ctx context.Context, c Clients, templatePath, prefix string, overrides map[string]string) (*Stack, error) {
	st := &Stack{Refs: map[string]string{}, Tables: map[string]string{}}
	if overrides == nil {
		overrides = map[string]string{}
	}
	if _, ok := overrides["SecretParameterName"]; !ok {
		overrides["SecretParameterName"] = "/" + prefix + "/master-secret"
	}
	// First pass: what to create. Second pass, below: the environment with refs resolved.
	t, err := template.Load(templatePath, overrides, nil)
	if err != nil {
		return nil, err
	}
	for _, tb := range t.Tables {
		name := prefix + "-" + tb.LogicalID
		st.Tables[tb.LogicalID], st.Refs[tb.LogicalID] = name, name
		if err := createTable(ctx, c, name, tb); err != nil {
			return nil, err
		}
	}
	resources := template.Get(t.Root, "Resources")
	for id, typ := range t.Resources {
		props := template.Get(resources, id, "Properties")
		switch typ {
		case "AWS::KMS::Key":
			out, err := c.KMS.CreateKey(ctx, &kms.CreateKeyInput{
				KeySpec:  kmstypes.KeySpec(template.Get(props, "KeySpec").Value),
				KeyUsage: kmstypes.KeyUsageType(template.Get(props, "KeyUsage").Value),
			})
			if err != nil {
				return nil, fmt.Errorf("create kms key %s: %w", id, err)
			}
			st.Refs[id] = aws.ToString(out.KeyMetadata.KeyId)
		case "AWS::SNS::Topic":
			out, err := c.SNS.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(prefix + "-" + id)})
			if err != nil {
				return nil, fmt.Errorf("create sns topic %s: %w", id, err)
			}
			st.Refs[id] = aws.ToString(out.TopicArn)
		}
	}
	t, err = template.Load(templatePath, overrides, func(id string) string {
		if ref, ok := st.Refs[id]; ok {
			return ref
		}
		if id == "AWS::StackName" {
			return StackName
		}
		return prefix + "-" + id
	})
	if err != nil {
		return nil, err
	}
	st.Template = t
	_, err = c.SSM.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(t.Parameters["SecretParameterName"]),
		Type: ssmtypes.ParameterTypeSecureString, Value: aws.String(RandomHex(32)), Overwrite: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("put master secret: %w", err)
	}
	if _, err := c.SES.CreateEmailIdentity(ctx, &sesv2.CreateEmailIdentityInput{EmailIdentity: aws.String(t.Parameters["SenderEmail"])}); err != nil {
		return nil, fmt.Errorf("create ses identity: %w", err)
	}
	return st, nil
}

// Env is the environment of a template function with this stack's names.
func (s *Stack) Env(logicalID string) map[string]string {
	env := map[string]string{}
	for k, v := range s.Template.Functions[logicalID].Env {
		env[k] = v
	}
	return env
}

func createTable(ctx context.Context, c Clients, name string, tb template.Table) error {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: dbtypes.BillingModePayPerRequest,
		KeySchema:   []dbtypes.KeySchemaElement{{AttributeName: aws.String(tb.HashKey), KeyType: dbtypes.KeyTypeHash}},
	}
	for _, a := range slices.Sorted(maps.Keys(tb.Types)) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, dbtypes.AttributeDefinition{AttributeName: aws.String(a), AttributeType: dbtypes.ScalarAttributeType(tb.Types[a])})
	}
	for _, ix := range tb.Indexes {
		g := dbtypes.GlobalSecondaryIndex{IndexName: aws.String(ix.Name),
			KeySchema:  []dbtypes.KeySchemaElement{{AttributeName: aws.String(ix.HashKey), KeyType: dbtypes.KeyTypeHash}},
			Projection: &dbtypes.Projection{ProjectionType: dbtypes.ProjectionType(ix.Projection)}}
		if ix.RangeKey != "" {
			g.KeySchema = append(g.KeySchema, dbtypes.KeySchemaElement{AttributeName: aws.String(ix.RangeKey), KeyType: dbtypes.KeyTypeRange})
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, g)
	}
	_, err := c.DynamoDB.CreateTable(ctx, in)
	var inUse *dbtypes.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	if tb.TTL != "" {
		_, err = c.DynamoDB.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
			TimeToLiveSpecification: &dbtypes.TimeToLiveSpecification{AttributeName: aws.String(tb.TTL), Enabled: aws.Bool(true)}})
		if err != nil {
			return fmt.Errorf("table %s ttl: %w", name, err)
		}
	}
	return nil
}
