// Command attack-sim runs the attack simulator's scenarios against a local
// emulator and writes their table, a CSV of their time series and a PNG chart.
// `make attack-sim` runs every scenario; flags change a scenario's mix.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/checkin-registry/registry/infra/attacksim"
	"github.com/checkin-registry/registry/infra/moto"
)

func main() {
	names := flag.String("scenario", strings.Join(attacksim.Names, ","), "scenarios to run, comma-separated")
	short := flag.Bool("short", false, "run each scenario's 10-minute version (what CI runs)")
	out := flag.String("out", "test-artifacts/attack-sim", "directory for attack-sim.csv and attack-sim.png")
	duration := flag.Duration("duration", 0, "attack length")
	bots := flag.Int("bots", 0, "botnet addresses")
	networks := flag.Int("networks", 0, "botnet /24 networks")
	rate := flag.Float64("rate", 0, "botnet sending requests a second, in all")
	hashRate := flag.Float64("hashrate", 0, "botnet proof-of-work hashes a second, per address")
	prefix := flag.String("prefix", "", "number range every botnet target is in (E.164 without the last 4 digits)")
	ownSIMs := flag.Float64("own-sims", 0, "share of botnet requests to SIMs it owns and verifies")
	ownInbound := flag.Bool("own-inbound", false, "the botnet proves its own SIMs by message rather than by code")
	honest := flag.Float64("honest", 0, "honest business arrivals a minute")
	cgnat := flag.Float64("cgnat", 0, "share of honest businesses behind one CGNAT IPv4 address")
	fast := flag.Float64("fast", 0, "share of honest businesses that verify within 2 minutes")
	typos := flag.Float64("typos", 0, "share of honest businesses whose first number is mistyped")
	seed := flag.Uint64("seed", 0, "random seed (0: the scenario's own)")
	offset := flag.Duration("offset", 0, "how far into its clock hour the attack starts (the budget's windows turn on the hour)")
	var env envFlags
	flag.Var(&env, "env", "KEY=VALUE added to every function's environment (repeatable)")
	flag.Parse()
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })

	ctx := context.Background()
	url := os.Getenv("MOTO_URL")
	if url == "" {
		srv, err := moto.Start(ctx, moto.Root())
		if err != nil {
			fail(err)
		}
		defer srv.Close()
		url = srv.URL
	}
	var results []attacksim.Result
	for _, name := range strings.Split(*names, ",") {
		sc, err := attacksim.Named(strings.TrimSpace(name), *short)
		if err != nil {
			fail(err)
		}
		b, h := &sc.Bots, &sc.Honest
		for flagName, apply := range map[string]func(){
			"duration": func() { sc.Duration = *duration }, "offset": func() { sc.Offset = *offset }, "seed": func() { sc.Seed = *seed }, "bots": func() { b.Addresses = *bots },
			"networks": func() { b.Networks = *networks }, "rate": func() { b.Rate = *rate },
			"hashrate": func() { b.HashRate = *hashRate }, "prefix": func() { b.Prefix = *prefix },
			"own-sims": func() { b.OwnSIMs = *ownSIMs }, "own-inbound": func() { b.OwnInbound = *ownInbound }, "honest": func() { h.PerMinute, h.Count = *honest, 0 },
			"cgnat": func() { h.CGNAT = *cgnat }, "fast": func() { h.Fast = *fast }, "typos": func() { h.Typos = *typos },
		} {
			if set[flagName] {
				apply()
			}
		}
		if sc.Env == nil {
			sc.Env = map[string]string{}
		}
		for k, v := range env {
			sc.Env[k] = v
		}
		started := time.Now()
		r, err := attacksim.Run(ctx, url, sc, os.Stderr)
		if err != nil {
			fail(err)
		}
		fmt.Fprintf(os.Stderr, "%s: %s of virtual time in %s\n", sc.Name, sc.Duration, time.Since(started).Round(time.Second))
		results = append(results, r)
	}
	if err := attacksim.Table(os.Stdout, results); err != nil {
		fail(err)
	}
	if err := attacksim.Failures(os.Stdout, results); err != nil {
		fail(err)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	for file, write := range map[string]func(*bytes.Buffer) error{
		"attack-sim.csv": func(b *bytes.Buffer) error { return attacksim.CSV(b, results) },
		"attack-sim.png": func(b *bytes.Buffer) error { return attacksim.Chart(b, results) },
	} {
		var b bytes.Buffer
		if err := write(&b); err != nil {
			fail(err)
		}
		if err := os.WriteFile(filepath.Join(*out, file), b.Bytes(), 0o644); err != nil {
			fail(err)
		}
		fmt.Println("wrote", filepath.Join(*out, file))
	}
}

type envFlags map[string]string

func (e *envFlags) String() string { return fmt.Sprint(map[string]string(*e)) }

func (e *envFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	if *e == nil {
		*e = envFlags{}
	}
	(*e)[k] = v
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "attack-sim:", err)
	os.Exit(1)
}
