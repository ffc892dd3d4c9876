// Command mode shows the service's protection mode, or sets or clears an operator's
// mode by hand, with a reason that is stored and logged: the `make mode` of the
// README. It works against AWS (the default credentials) or, with MOTO_URL set,
// against the local stack's emulator.
//
//	mode -table T                                    show the mode and what holds it
//	mode -table T -mode elevated -reason "..."       set the operator mode
//	mode -table T -mode clear -reason "..."          clear it (alarms still hold theirs)
//	mode -table T -forget NAME -reason "..."         drop a deleted alarm's hold
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/checkin-registry/registry/functions/alarm"
	"github.com/checkin-registry/registry/infra/moto"
	"github.com/checkin-registry/registry/shared/mode"
	snstopic "github.com/checkin-registry/registry/shared/notify/sns"
	"github.com/checkin-registry/registry/shared/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mode:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	motoURL := os.Getenv("MOTO_URL")
	defaultTable := os.Getenv("TABLE_NAME")
	if defaultTable == "" && motoURL != "" {
		defaultTable = "local-RegistryTable" // the table `make run` provisions
	}
	table := fs.String("table", defaultTable, "the registry's DynamoDB table (stack output TableName; $TABLE_NAME)")
	set := fs.String("mode", "", "elevated, lockdown, or clear (normal clears too); empty shows the mode")
	forget := fs.String("forget", "", "an alarm name whose hold to drop (an alarm deleted while in ALARM)")
	reason := fs.String("reason", "", "why: stored with the mode and sent to operators")
	topic := fs.String("topic", os.Getenv("ALARM_TOPIC_ARN"), "alarm topic ARN to tell operators through (optional)")
	by := fs.String("by", currentUser(), "who is changing the mode")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *table == "" {
		return fmt.Errorf("no table: pass -table, set TABLE_NAME, or MOTO_URL for the local stack")
	}
	cfg, err := moto.ConfigFor(ctx, motoURL)
	if err != nil {
		return err
	}
	r := &alarm.Responder{
		Store: store.New(dynamodb.NewFromConfig(cfg), *table),
		Topic: *topic,
		Log:   slog.New(slog.NewTextHandler(stderr, nil)),
		Now:   time.Now,
	}
	if *topic != "" {
		r.Sender = &snstopic.Topic{Client: sns.NewFromConfig(cfg)}
	}
	switch {
	case *set != "" && *forget != "":
		return fmt.Errorf("give -mode or -forget, not both")
	case *set != "":
		m := mode.Mode(strings.ToLower(*set))
		if m == "clear" {
			m = ""
		}
		if _, err := r.SetManual(ctx, m, *reason, *by); err != nil {
			return err
		}
	case *forget != "":
		if _, err := r.ForgetAlarm(ctx, *forget, *reason, *by); err != nil {
			return err
		}
	}
	st, err := r.Current(ctx)
	if err != nil {
		return err
	}
	show(stdout, st)
	return nil
}

func show(w io.Writer, st store.ModeState) {
	fmt.Fprintf(w, "mode:     %s\n", st.Mode)
	manual := st.Manual
	if manual == "" {
		manual = "none"
	}
	fmt.Fprintf(w, "operator: %s\n", manual)
	holding := alarm.Holding(st)
	if len(holding) == 0 {
		holding = []string{"none"}
	}
	fmt.Fprintf(w, "alarms:   %s\n", strings.Join(holding, ", "))
	if st.UpdatedAt != 0 {
		fmt.Fprintf(w, "changed:  %s by %s (version %d)\n", time.Unix(st.UpdatedAt, 0).UTC().Format(time.RFC3339), st.UpdatedBy, st.Version)
		fmt.Fprintf(w, "reason:   %s\n", st.Reason)
	}
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "operator"
}
