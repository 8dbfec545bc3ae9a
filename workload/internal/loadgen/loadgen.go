// Package loadgen sends queries to a reader's API at a fixed rate and sums up what came
// back. It is open loop: a clock decides when each query is due, whatever the answers
// do, so a slow or failing server shows up as latency, failures and queries the client
// had no idle worker for, never as a lower rate the client quietly chose instead.
package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"agent-storage/workload/internal/query"
)

// Texts are the built-in queries, used in turn: varied enough that answers differ, few
// enough that two runs ask the same things.
var Texts = []string{
	"harbour at dawn", "quarterly revenue forecast", "how to reset a password",
	"symptoms of dehydration", "train timetable to the coast", "recipe with lentils and lemon",
	"kubernetes pod eviction", "history of the printing press", "cheap flights in october",
	"jazz records from the fifties", "battery drains overnight", "tide tables and moon phases",
}

// Config is one run.
type Config struct {
	// URL is the reader's query URL (see query.QueryURL). Required.
	URL string
	// Rate is queries per second. Required, more than 0.
	Rate float64
	// Duration is how long queries are scheduled. Required, more than 0.
	Duration time.Duration
	// Concurrency is the number of workers, each with its own connection, so that a
	// Kubernetes Service, which balances per connection, spreads them over its
	// endpoints. Default 8.
	Concurrency int
	// K is the neighbours each query asks for. Default query.DefaultK.
	K int
	// Timeout bounds each query, connecting included. Default 2s.
	Timeout time.Duration
	// FreshConnections opens a new connection for every query instead of keeping one
	// per worker. Default false.
	FreshConnections bool
	// Phase names the run in its summary (e.g. "during-refresh"). Default "".
	Phase string
	// Texts are the queries, used in turn. Default Texts.
	Texts []string
}

// Defaults of Config's optional fields.
const (
	DefaultConcurrency = 8
	DefaultTimeout     = 2 * time.Second
)

// Validate checks a Config before anything is sent; errors name the flag of `refresher
// load` that sets the field.
func (c Config) Validate() error {
	switch {
	case c.URL == "":
		return errors.New("--url is required")
	case !(c.Rate > 0) || math.IsInf(c.Rate, 0):
		return fmt.Errorf("--rate must be a positive number of queries per second (got %v)", c.Rate)
	case c.Duration <= 0:
		return fmt.Errorf("--duration must be positive (got %s)", c.Duration)
	case c.Concurrency < 0:
		return fmt.Errorf("--concurrency must be at least 1 (got %d)", c.Concurrency)
	case c.K < 0 || c.K > query.MaxK:
		return fmt.Errorf("--k must be between 1 and %d (got %d)", query.MaxK, c.K)
	case c.Timeout < 0:
		return fmt.Errorf("--timeout must be positive (got %s)", c.Timeout)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.K == 0 {
		c.K = query.DefaultK
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if len(c.Texts) == 0 {
		c.Texts = Texts
	}
	return c
}

// Summary is what a run prints, as one JSON line.
type Summary struct {
	Phase string  `json:"phase"`
	Rate  float64 `json:"rate"`
	// Seconds is how long queries were scheduled (shorter than asked when interrupted).
	Seconds float64 `json:"seconds"`
	// Scheduled = Sent + Dropped.
	Scheduled int64 `json:"scheduled"`
	Sent      int64 `json:"sent"`
	// Dropped queries fell due while every worker was busy; they were never sent.
	Dropped int64 `json:"dropped"`
	// Answered queries got status 200 and a well-formed answer.
	Answered int64  `json:"answered"`
	Failed   Failed `json:"failed"`
	// Canceled queries were in flight when the run was interrupted: neither answered
	// nor failed.
	Canceled int64 `json:"canceled"`
	// LatencyMs is over the answered queries.
	LatencyMs Latency `json:"latencyMs"`
	// Versions counts the answered queries by the version that answered them.
	Versions    map[string]int64 `json:"versions"`
	Interrupted bool             `json:"interrupted"`
}

// Failed counts sent queries that were not answered, by kind.
type Failed struct {
	Total int64 `json:"total"`
	// HTTP counts answers with a status other than 200, by status code.
	HTTP    map[string]int64 `json:"http"`
	Refused int64            `json:"refused"`
	// Reset: the connection was reset or closed before the answer was complete.
	Reset   int64 `json:"reset"`
	Timeout int64 `json:"timeout"`
	// Other: any other error, including a 200 whose body is not an answer.
	Other int64 `json:"other"`
}

// Latency percentiles (nearest rank) and maximum, in milliseconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// outcome is what became of one sent query.
type outcome int

const (
	answered outcome = iota
	httpStatus
	refused
	reset
	timedOut
	other
	canceled
)

// tally is one worker's counts, merged when the run ends so workers never contend.
type tally struct {
	outcomes  [canceled + 1]int64
	statuses  map[string]int64
	versions  map[string]int64
	latencies []time.Duration
}

// Run sends queries until cfg.Duration has passed or ctx is done, waits for the queries
// in flight (canceling them if ctx is done) and returns the summary. cfg must pass
// Validate.
func Run(ctx context.Context, cfg Config) Summary {
	cfg = cfg.withDefaults()
	jobs := make(chan int) // unbuffered: a query is handed over only to an idle worker
	tallies := make([]tally, cfg.Concurrency)
	var wg, ready sync.WaitGroup
	for w := range tallies {
		wg.Add(1)
		ready.Add(1)
		go func(t *tally) {
			defer wg.Done()
			work(ctx, cfg, jobs, t, ready.Done)
		}(&tallies[w])
	}
	ready.Wait() // the clock starts with every worker waiting, so none of the first queries is dropped for want of one
	start := time.Now()
	var sent, dropped int64
	total := int64(math.Ceil(cfg.Duration.Seconds() * cfg.Rate))
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	if interval < time.Millisecond {
		interval = time.Millisecond // several queries fall due per tick then
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var next int64
	interrupted := false
	for next < total && !interrupted {
		// Every query whose time has come, counted from the start rather than per tick,
		// so ticks the runtime coalesces do not lower the rate.
		due := int64(time.Since(start).Seconds()*cfg.Rate) + 1
		for ; next < total && next < due && ctx.Err() == nil; next++ {
			select {
			case jobs <- int(next):
				sent++
			default:
				dropped++
			}
		}
		if next >= total {
			break
		}
		select {
		case <-ctx.Done():
			interrupted = true
		case <-tick.C:
		}
	}
	scheduledFor := time.Since(start)
	close(jobs)
	wg.Wait()
	s := summarize(tallies)
	s.Phase, s.Rate, s.Interrupted = cfg.Phase, cfg.Rate, interrupted
	s.Seconds = round3(math.Min(scheduledFor.Seconds(), cfg.Duration.Seconds()))
	s.Scheduled, s.Sent, s.Dropped = sent+dropped, sent, dropped
	return s
}

// work sends each query it is handed, on a connection of its own (or a new one per query).
func work(ctx context.Context, cfg Config, jobs <-chan int, t *tally, ready func()) {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 1,
		DisableKeepAlives:   cfg.FreshConnections,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	t.statuses, t.versions = map[string]int64{}, map[string]int64{}
	ready()
	for n := range jobs {
		k := cfg.K
		req := query.Request{Text: cfg.Texts[n%len(cfg.Texts)], K: &k}
		qctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		began := time.Now()
		status, body, err := query.Post(qctx, client, cfg.URL, req)
		took := time.Since(began)
		cancel()
		o, version := classify(ctx, status, body, err)
		t.outcomes[o]++
		switch o {
		case answered:
			t.versions[version]++
			t.latencies = append(t.latencies, took)
		case httpStatus:
			t.statuses[strconv.Itoa(status)]++
		}
	}
}

// classify says what became of a query, and which version answered it.
func classify(run context.Context, status int, body []byte, err error) (outcome, string) {
	var ne net.Error
	switch {
	case err == nil && status == http.StatusOK:
		var r query.Response
		if json.Unmarshal(body, &r) != nil || r.Version == "" {
			return other, ""
		}
		return answered, r.Version
	case err == nil:
		return httpStatus, ""
	case run.Err() != nil && errors.Is(err, context.Canceled):
		return canceled, ""
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return timedOut, ""
	case errors.Is(err, syscall.ECONNREFUSED):
		return refused, ""
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return reset, ""
	}
	return other, ""
}

func summarize(tallies []tally) Summary {
	s := Summary{Versions: map[string]int64{}, Failed: Failed{HTTP: map[string]int64{}}}
	var lat []time.Duration
	for _, t := range tallies {
		s.Answered += t.outcomes[answered]
		s.Failed.Refused += t.outcomes[refused]
		s.Failed.Reset += t.outcomes[reset]
		s.Failed.Timeout += t.outcomes[timedOut]
		s.Failed.Other += t.outcomes[other]
		s.Canceled += t.outcomes[canceled]
		for code, n := range t.statuses {
			s.Failed.HTTP[code] += n
		}
		for v, n := range t.versions {
			s.Versions[v] += n
		}
		lat = append(lat, t.latencies...)
	}
	s.Failed.Total = s.Failed.Refused + s.Failed.Reset + s.Failed.Timeout + s.Failed.Other
	for _, n := range s.Failed.HTTP {
		s.Failed.Total += n
	}
	s.LatencyMs = percentiles(lat)
	return s
}

func percentiles(lat []time.Duration) Latency {
	if len(lat) == 0 {
		return Latency{}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rank := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(lat)))) - 1
		return ms(lat[max(i, 0)])
	}
	return Latency{P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: ms(lat[len(lat)-1])}
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }
