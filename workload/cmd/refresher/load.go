package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"agent-storage/workload/internal/loadgen"
	"agent-storage/workload/internal/query"
)

func cmdLoad(args []string, stdout, stderr io.Writer) int {
	f := newClientFlags("load", stderr)
	base, k := f.queryTarget("neighbours per query")
	rate := f.String("rate", "", "queries per `SECOND`, kept whatever the answers do (required)")
	duration := f.String("duration", "", "how long to send queries, e.g. 30s (required)")
	concurrency := f.Int("concurrency", loadgen.DefaultConcurrency, "workers, each on a connection of its own; a query due while all are busy is dropped")
	timeout := f.Duration("timeout", loadgen.DefaultTimeout, "per-query timeout, connecting included")
	fresh := f.Bool("fresh-connections", false, "open a new connection for every query (a Service then balances every query)")
	phase := f.String("phase", "", "`NAME` of this run in the summary")
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "load")
	}
	cfg, err := loadConfig(f, *base, *rate, *duration, *concurrency, *k, *timeout)
	if err != nil {
		return fail(stderr, "load", err)
	}
	cfg.FreshConnections, cfg.Phase = *fresh, *phase
	ctx, cancel := signalContext()
	defer cancel()
	s := loadgen.Run(ctx, cfg)
	b, _ := json.Marshal(s)
	fmt.Fprintln(stdout, string(b))
	return exitOK
}

// loadConfig checks load's flags before anything is sent.
func loadConfig(f *flags, base, rate, duration string, concurrency, k int, timeout time.Duration) (loadgen.Config, error) {
	var cfg loadgen.Config
	if base == "" || rate == "" || duration == "" {
		return cfg, usagef("--url, --rate and --duration are required")
	}
	u, err := query.QueryURL(base)
	if err != nil {
		return cfg, usagef("--url: %v", err)
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(rate), 64)
	if err != nil {
		return cfg, usagef("--rate: %q is not a number of queries per second", rate)
	}
	d, err := f.durationValue("duration", duration)
	if err != nil {
		return cfg, err
	}
	if concurrency < 1 {
		return cfg, usagef("--concurrency must be at least 1 (got %d)", concurrency)
	}
	if k < 1 {
		return cfg, usagef("--k must be between 1 and %d (got %d)", query.MaxK, k)
	}
	if timeout <= 0 {
		return cfg, usagef("--timeout must be positive (got %s)", timeout)
	}
	cfg = loadgen.Config{URL: u, Rate: r, Duration: d, Concurrency: concurrency, K: k, Timeout: timeout}
	if err := cfg.Validate(); err != nil {
		return cfg, usagef("%v", err)
	}
	return cfg, nil
}
