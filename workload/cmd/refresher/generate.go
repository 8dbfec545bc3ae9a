package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"agent-storage/workload/internal/schedule"
	"agent-storage/workload/internal/store"
)

const defaultSchedule = "@weekly"

func cmdGenerate(args []string, stdout, stderr io.Writer) int {
	f := newFlags("generate", stderr)
	rf := addRefreshFlags(f)
	spec := f.envString("schedule", envSchedule, defaultSchedule,
		"when to refresh: @hourly, @daily, @weekly, @every <duration>, or 5-field cron, in UTC")
	retry := f.Duration("retry-after", 5*time.Minute, "after a failed run, try again after this long (if that comes before the next scheduled run)")
	pf := addPublishFlags(f)
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "generate")
	}
	if *spec == "" { // --schedule "$REFRESH_SCHEDULE" with the variable empty
		*spec = defaultSchedule
	}
	sched, err := schedule.Parse(*spec)
	if err != nil {
		return fail(stderr, "generate", usagef("--schedule: %v%s", err, f.source("schedule")))
	}
	if *retry <= 0 {
		return fail(stderr, "generate", usagef("--retry-after must be positive"))
	}
	opts, err := rf.options(f)
	if err != nil {
		return fail(stderr, "generate", err)
	}
	logf := logger(stderr)
	s := f.store(stderr)
	pub, err := pf.publisher(f, s, logf)
	if err != nil {
		return fail(stderr, "generate", err)
	}
	ctx, cancel := signalContext()
	defer cancel()
	g := &generator{s: s, opts: opts, sched: sched, retry: *retry, logf: logf, out: stdout}
	var wg sync.WaitGroup
	if pub != nil {
		// The publisher runs beside the schedule loop: a slow or unreachable API server
		// never delays a refresh, and a refresh never delays a publish of a rollback.
		g.afterRefresh = pub.trigger
		g.publishing = pub.describe()
		wg.Add(1)
		go func() { defer wg.Done(); pub.run(ctx) }()
	} else {
		g.publishing = "publishing off (no --status-configmap / STATUS_CONFIGMAP): ready --published stays false"
	}
	err = g.run(ctx)
	cancel() // stops the publisher if the loop ended on its own
	wg.Wait()
	if err != nil {
		return fail(stderr, "generate", err)
	}
	return exitOK
}

type generator struct {
	s     *store.Store
	opts  store.RefreshOptions
	sched schedule.Schedule
	retry time.Duration
	logf  func(string, ...any)
	out   io.Writer
	// afterRefresh, if set, is called after each successful refresh (the publisher's
	// trigger).
	afterRefresh func()
	// publishing is logged at start: what the publisher does, or that it is off.
	publishing string
}

// run refreshes at start when there is no complete current version, then on the
// schedule, until ctx ends (SIGTERM). It returns nil on a clean stop.
func (g *generator) run(ctx context.Context) error {
	g.logf("generator starting: embeddings %s, checkpoints %s, schedule %q (UTC), keep %d, grace %s",
		g.s.Root, orNone(g.opts.Checkpoints.Dir), g.sched.String(), g.opts.Keep, g.opts.Grace)
	if g.publishing != "" {
		g.logf("%s", g.publishing)
	}
	if st, err := g.opts.Checkpoints.Load(); err != nil {
		g.logf("warning: checkpoints unreadable (%v); starting without them", err)
	} else if st.LastAttempt != nil {
		a := st.LastAttempt
		g.logf("last run: %s %s (started %s, %d/%d shards)%s", a.Version, a.Status,
			a.StartedAt.Format(time.RFC3339), a.ShardsWritten, a.ShardsTotal, errSuffix(a.Error))
		if a.Status == store.StatusRunning {
			g.logf("that run never finished (the process died); its leftovers go at the next refresh, current stays %s", orNone(st.Current))
		}
	}

	var nextRetry time.Time
	id, dir, err := g.s.ResolveCurrent()
	if err == nil {
		_, _, err = store.Verify(dir, id, true)
	}
	if err != nil {
		g.logf("no complete current version (%v): refreshing now", err)
		if !g.runOnce(ctx, time.Time{}) {
			nextRetry = time.Now().Add(g.retry)
		}
	} else {
		g.logf("current version %s verifies; waiting for the schedule", id)
	}

	last := time.Now()
	for {
		if ctx.Err() != nil {
			g.logf("stopping (signal received)")
			return nil
		}
		next := g.sched.Next(last)
		if !nextRetry.IsZero() && nextRetry.Before(next) {
			next = nextRetry
		}
		if next.IsZero() {
			return errors.New("the schedule has no next run")
		}
		g.logf("next refresh at %s (in %s)", next.UTC().Format(time.RFC3339), time.Until(next).Round(time.Second))
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			g.logf("stopping (signal received)")
			return nil
		case <-t.C:
		}
		last = next
		nextRetry = time.Time{}
		if !g.runOnce(ctx, next) && ctx.Err() == nil {
			nextRetry = time.Now().Add(g.retry)
		}
	}
}

// runOnce waits for the lock (a kubectl-exec'd refresh may hold it), skips if a version
// was made after the run fell due, and refreshes. It reports success.
func (g *generator) runOnce(ctx context.Context, due time.Time) bool {
	// "Made after the run fell due" is told by ids, not by manifest times: a version
	// made on a node whose clock ran ahead has a manifest dated after every due time
	// until that clock is reached, and one whose clock ran behind, before it.
	newestAtDue := g.s.Newest()
	l, err := g.s.Lock(ctx, -1, "generate")
	if err != nil {
		if ctx.Err() == nil {
			g.logf("refresh failed: %v", err)
		}
		return false
	}
	defer l.Unlock()
	if due.IsZero() { // the start-up run: a refresh we waited for may have made one
		if id, dir, err := g.s.ResolveCurrent(); err == nil {
			if _, _, err := store.Verify(dir, id, true); err == nil {
				g.logf("skipping the start-up refresh: %s was made meanwhile and verifies", id)
				return true
			}
		}
	} else if id, dir, err := g.s.ResolveCurrent(); err == nil && id > newestAtDue {
		if _, _, err := store.Verify(dir, id, true); err == nil {
			g.logf("skipping the run due at %s: %s was made while it waited and verifies", due.UTC().Format(time.RFC3339), id)
			return true
		}
	}
	res, err := g.s.RefreshLocked(ctx, g.opts)
	if err != nil {
		cur, _, _ := g.s.ResolveCurrent()
		if ctx.Err() != nil {
			g.logf("refresh interrupted by signal: %v; current stays %s", err, orNone(cur))
		} else {
			g.logf("refresh failed: %v; current stays %s", err, orNone(cur))
		}
		return false
	}
	printResult(g.out, res)
	if g.afterRefresh != nil {
		g.afterRefresh()
	}
	return true
}

func errSuffix(e string) string {
	if e == "" {
		return ""
	}
	return fmt.Sprintf(": %s", e)
}
