// Command unsuppress shows, and with -lift removes, the suppression of one phone
// number or e-mail address (an opt-out, a bounce or a complaint): the way to lift
// one that was made in error (docs/runbook.md). The table holds only a keyed hash
// of the destination, so the command reads the master secret to find it; it prints
// the destination masked and never logs it.
//
//	unsuppress -table T -secret /checkin-registry/master-secret +60123456789
//	unsuppress -table T -lift -reason "bounced while the mailbox was full" ali@example.com
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/shared/config"
	"github.com/checkin-registry/registry/shared/contact"
	"github.com/checkin-registry/registry/shared/contact/policy"
	"github.com/checkin-registry/registry/shared/identity"
	"github.com/checkin-registry/registry/shared/secret"
	"github.com/checkin-registry/registry/shared/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "unsuppress:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("unsuppress", flag.ContinueOnError)
	fs.SetOutput(stderr)
	table := fs.String("table", os.Getenv("TABLE_NAME"), "the registry's DynamoDB table (stack output TableName; $TABLE_NAME)")
	param := fs.String("secret", envOr("SECRET_PARAMETER", "/checkin-registry/master-secret"), "the master secret's SSM parameter")
	lift := fs.Bool("lift", false, "remove the suppression (else only show it)")
	reason := fs.String("reason", "", "why it is lifted (required with -lift; printed for the change record)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *table == "" {
		return errors.New("usage: unsuppress -table T [-secret P] [-lift -reason R] <phone or e-mail>")
	}
	if *lift && strings.TrimSpace(*reason) == "" {
		return errors.New("-lift needs -reason")
	}
	d, err := destination(fs.Arg(0))
	if err != nil {
		return err
	}
	cfg, err := moto.ConfigFor(ctx, os.Getenv("MOTO_URL"))
	if err != nil {
		return err
	}
	keys, err := secret.Load(ctx, cfg, *param)
	if err != nil {
		return err
	}
	db := dynamodb.NewFromConfig(cfg)
	key := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: store.SuppressionKey(identity.New(keys).Destination(d))}}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("read suppression: %w", err)
	}
	if out.Item == nil {
		fmt.Fprintf(stdout, "%s: not suppressed\n", d.Masked())
		return nil
	}
	var sup store.Suppression
	if err := attributevalue.UnmarshalMap(out.Item, &sup); err != nil {
		return fmt.Errorf("read suppression: %w", err)
	}
	fmt.Fprintf(stdout, "%s: suppressed (%s) since %s\n", d.Masked(), sup.Reason, time.Unix(sup.CreatedAt, 0).UTC().Format(time.RFC3339))
	if !*lift {
		return nil
	}
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: table, Key: key}); err != nil {
		return fmt.Errorf("lift suppression: %w", err)
	}
	fmt.Fprintf(stdout, "%s: lifted: %s\n", d.Masked(), *reason)
	return nil
}

// destination normalises raw as the functions do, so that every spelling of the
// mailbox or number finds the one suppression.
func destination(raw string) (contact.Destination, error) {
	env := config.FromOS()
	p := policy.FromEnv(env)
	if err := env.Err(); err != nil {
		return contact.Destination{}, err
	}
	if strings.Contains(raw, "@") {
		return p.Email.Email(raw)
	}
	return p.Phone.Phone(raw)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
