package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"agent-storage/workload/internal/store"
)

// refreshFlags are the flags shared by refresh and generate.
type refreshFlags struct {
	docs, dim, shards, failAfter, crashAfter int
	seed                                     uint64
	changeFraction                           float64
	input                                    string
	pause                                    time.Duration
}

func addRefreshFlags(f *flags) *refreshFlags {
	f.withCheckpoints()
	f.withRetention()
	r := &refreshFlags{}
	f.IntVar(&r.docs, "docs", 500, "synthetic documents per version")
	f.IntVar(&r.dim, "dim", 384, "embedding dimension")
	f.IntVar(&r.shards, "shards", 4, "shard files per version")
	f.Uint64Var(&r.seed, "seed", 0, "seed for synthetic vectors; 0 = new vectors each run (derived from the version id)")
	f.Float64Var(&r.changeFraction, "change-fraction", 0, "with --seed: regenerate this `FRACTION` (0-1) of the shards with new vectors and keep the rest as the seed makes them (a partly changed refresh, for benchmarks)")
	f.StringVar(&r.input, "input", "", "embed the text files under this `DIR` (hash-based embedding) instead of synthetic docs")
	f.DurationVar(&r.pause, "pause-after-shard", 0, "test/ops: sleep this long after each shard (makes a run slow enough to kill half-way)")
	f.IntVar(&r.failAfter, "fail-after-shards", 0, "test/ops: fail after writing `N` shards, leaving the temporary dir like a crash would")
	f.IntVar(&r.crashAfter, "crash-after-shards", 0, "test/ops: SIGKILL this process after writing `N` shards (a real crash)")
	return r
}

func (r *refreshFlags) options(f *flags) (store.RefreshOptions, error) {
	keep, grace, err := f.retention()
	if err != nil {
		return store.RefreshOptions{}, err
	}
	o := store.RefreshOptions{Docs: r.docs, Dim: r.dim, Shards: r.shards, Seed: r.seed, ChangeFraction: r.changeFraction, InputDir: r.input,
		Keep: keep, Grace: grace, Checkpoints: f.cp(), PauseAfterShard: r.pause, FailAfterShards: r.failAfter}
	if r.crashAfter < 0 {
		return o, usagef("--crash-after-shards must not be negative")
	}
	if r.crashAfter > 0 {
		n := r.crashAfter
		o.AfterShard = func(written, total int) {
			if written >= n {
				fmt.Fprintf(os.Stderr, "--crash-after-shards %d: killing myself with SIGKILL after %d of %d shards\n", n, written, total)
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				time.Sleep(time.Hour)
			}
		}
	}
	if err := o.Validate(); err != nil {
		return o, usageError{err.Error()}
	}
	return o, nil
}

func cmdRefresh(args []string, stdout, stderr io.Writer) int {
	f := newFlags("refresh", stderr)
	rf := addRefreshFlags(f)
	wait := f.Duration("wait", 0, "if another refresh is running, wait up to this long for it (0 = refuse at once, negative = no limit)")
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "refresh")
	}
	opts, err := rf.options(f)
	if err != nil {
		return fail(stderr, "refresh", err)
	}
	ctx, cancel := signalContext()
	defer cancel()
	s := f.store(stderr)
	res, err := s.Refresh(ctx, opts, *wait)
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			err = fmt.Errorf("%w; nothing was changed (retry later, or pass --wait 30m to wait for it)", err)
		} else if cur, _, cerr := s.ResolveCurrent(); cerr == nil {
			err = fmt.Errorf("%w; current stays on %s", err, cur)
		}
		return fail(stderr, "refresh", err)
	}
	printResult(stdout, res)
	return exitOK
}

func printResult(w io.Writer, r *store.Result) {
	var bytes int64
	for _, f := range r.Manifest.Files {
		bytes += f.Size
	}
	fmt.Fprintf(w, "refreshed: current -> %s (was %s); %d docs x %d dims in %d shards, %d bytes (%d written, %d unchanged and shared), %s\n",
		r.Version, orNone(r.Previous), r.Manifest.Docs, r.Manifest.Dim, r.Manifest.Shards, bytes, r.Written, r.Reused, r.Duration.Round(time.Millisecond))
	if len(r.CleanedUp) > 0 {
		fmt.Fprintf(w, "removed leftovers: %s\n", strings.Join(r.CleanedUp, ", "))
	}
	if len(r.Deleted) > 0 {
		fmt.Fprintf(w, "deleted old versions: %s\n", strings.Join(r.Deleted, ", "))
	}
	if len(r.Deferred) > 0 {
		fmt.Fprintf(w, "kept until their grace period ends: %s\n", strings.Join(r.Deferred, ", "))
	}
}
