// Command local serves the whole API on this machine against moto_server: the
// `make run` of the README.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/checkin-registry/registry/infra/local"
	"github.com/checkin-registry/registry/infra/moto"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := local.Start(ctx, local.Options{
		Root:              moto.Root(),
		Addr:              "127.0.0.1:" + port,
		MotoURL:           os.Getenv("MOTO_URL"),
		TrustForwardedFor: os.Getenv("TRUST_FORWARDED_FOR") == "1",
		Parameters:        local.InboundParameters,
		Log:               log,
	})
	if err != nil {
		log.Error("local stack failed to start", "err", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "check-in registry API at %s (outbox: %s/_local/outbox)\n", s.URL(), s.URL())
	<-ctx.Done()
	s.Close()
}
