package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"agent-storage/workload/internal/store"
)

// refreshFlags are the flags shared by refresh and generate.
type refreshFlags struct {
	docs, dim, shards, failAfter, crashAfter int
	seed                                     uint64
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
	o := store.RefreshOptions{Docs: r.docs, Dim: r.dim, Shards: r.shards, Seed: r.seed, InputDir: r.input,
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

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
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
	fmt.Fprintf(w, "refreshed: current -> %s (was %s); %d docs x %d dims in %d shards, %d bytes, %s\n",
		r.Version, orNone(r.Previous), r.Manifest.Docs, r.Manifest.Dim, r.Manifest.Shards, bytes, r.Duration.Round(time.Millisecond))
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

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func cmdReady(args []string, stdout, stderr io.Writer) int {
	f := newFlags("ready", stderr)
	checksums := f.Bool("checksums", true, "verify every file's sha256 (false: sizes only)")
	published := f.Bool("published", false, "also require that generate has published current to the status ConfigMap (per --published-file)")
	pubFile := f.String("published-file", defaultPublishedFile, "the `FILE` generate writes after each successful publish")
	cmName := f.envString("status-configmap", "STATUS_CONFIGMAP", "", "the ConfigMap `NAME` generate publishes to (for the message only)")
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "ready")
	}
	s := store.New(*f.embeddings)
	id, dir, err := s.ResolveCurrent()
	if err == nil {
		_, _, err = store.Verify(dir, id, *checksums)
	}
	if err != nil {
		fmt.Fprintf(stderr, "not ready: %v\n", oneLine(err))
		return exitErr
	}
	if *published {
		// Only a local file: the probe never calls the API server itself.
		p, perr := readPublished(*pubFile)
		if perr != nil || p.Version != id {
			where := "to ConfigMap " + *cmName
			if *cmName == "" {
				where = "(STATUS_CONFIGMAP is not set, so the generator does not publish)"
			}
			shows := ""
			if perr == nil && p.Version != "" {
				shows = " (last published: " + p.Version + ")"
			} else if perr != nil && !errors.Is(perr, fs.ErrNotExist) {
				shows = " (" + oneLine(perr) + ")"
			}
			fmt.Fprintf(stderr, "not ready: version %s not yet published %s%s; see the generator's log\n", id, where, shows)
			return exitErr
		}
		fmt.Fprintf(stdout, "ready: %s (published %s)\n", id, p.PublishedAt)
		return exitOK
	}
	fmt.Fprintf(stdout, "ready: %s\n", id)
	return exitOK
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

func cmdCurrent(args []string, stdout, stderr io.Writer) int {
	f := newFlags("current", stderr)
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "current")
	}
	id, _, err := store.New(*f.embeddings).ResolveCurrent()
	if err != nil {
		return fail(stderr, "current", err)
	}
	fmt.Fprintln(stdout, id)
	return exitOK
}

func cmdList(args []string, stdout, stderr io.Writer) int {
	f := newFlags("list", stderr)
	asJSON := f.Bool("json", false, "print JSON")
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "list")
	}
	s := store.New(*f.embeddings)
	vs, err := s.List()
	if err != nil {
		return fail(stderr, "list", err)
	}
	if p := s.Pending(); len(p) > 0 {
		fmt.Fprintf(stderr, "in progress or left over by an interrupted run (never read; the next refresh removes leftovers): %s\n", strings.Join(p, ", "))
	}
	if *asJSON {
		if vs == nil {
			vs = []store.VersionInfo{}
		}
		b, _ := json.MarshalIndent(vs, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tCREATED\tDOCS\tDIM\tSTATE")
	for _, v := range vs {
		state := "complete"
		if v.Unreadable {
			state = "UNREADABLE, kept: " + v.Problem
		} else if !v.Complete {
			state = "INCOMPLETE: " + v.Problem
		}
		if v.Current {
			state += ", current"
		}
		created, docs, dim := "-", "-", "-"
		if v.Manifest != nil {
			created = v.CreatedAt.UTC().Format(time.RFC3339)
			docs, dim = fmt.Sprint(v.Manifest.Docs), fmt.Sprint(v.Manifest.Dim)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.ID, created, docs, dim, state)
	}
	tw.Flush()
	if len(vs) == 0 {
		fmt.Fprintln(stderr, "no versions yet")
	}
	return exitOK
}

func cmdRollback(args []string, stdout, stderr io.Writer) int {
	f := newFlags("rollback", stderr)
	f.withCheckpoints()
	to := f.String("to", "", "`VERSION` to make current (see refresher list)")
	wait := f.Duration("wait", 0, "if a refresh is running, wait up to this long (0 = refuse at once)")
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "rollback")
	}
	if *to == "" {
		return fail(stderr, "rollback", usagef("--to VERSION is required (refresher list shows the kept versions)"))
	}
	s := f.store(stderr)
	ctx, cancel := signalContext()
	defer cancel()
	prev, err := s.Rollback(ctx, *to, *wait, f.cp())
	if err != nil {
		return fail(stderr, "rollback", err)
	}
	if prev == *to {
		fmt.Fprintf(stdout, "current is already %s\n", *to)
		return exitOK
	}
	fmt.Fprintf(stdout, "current: %s -> %s\n", orNone(prev), *to)
	fmt.Fprintln(stdout, "note: the generator's next scheduled refresh makes a new version current again")
	return exitOK
}

func cmdVerify(args []string, stdout, stderr io.Writer) int {
	f := newFlags("verify", stderr)
	version := f.String("version", "current", "`VERSION` to verify, or current")
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "verify")
	}
	s := store.New(*f.embeddings)
	id, dir := *version, ""
	if id == "current" {
		var err error
		if id, dir, err = s.ResolveCurrent(); err != nil {
			return fail(stderr, "verify", err)
		}
	} else {
		if !store.ValidID(id) {
			return fail(stderr, "verify", usagef("--version: %q is not a version id", id))
		}
		dir = s.VersionDir(id)
	}
	m, st, err := store.Verify(dir, id, true)
	if err != nil {
		return fail(stderr, "verify", err)
	}
	fmt.Fprintf(stdout, "ok: %s: %d files, %d bytes, sha256 verified; %d docs x %d dims, created %s\n",
		id, st.Files, st.Bytes, m.Docs, m.Dim, m.CreatedAt.UTC().Format(time.RFC3339))
	return exitOK
}

func cmdPrune(args []string, stdout, stderr io.Writer) int {
	f := newFlags("prune", stderr)
	f.withRetention()
	wait := f.Duration("wait", 0, "if a refresh is running, wait up to this long (0 = refuse at once)")
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "prune")
	}
	keep, grace, err := f.retention()
	if err != nil {
		return fail(stderr, "prune", err)
	}
	ctx, cancel := signalContext()
	defer cancel()
	del, def, err := f.store(stderr).Prune(ctx, keep, grace, *wait)
	if err != nil {
		return fail(stderr, "prune", err)
	}
	fmt.Fprintf(stdout, "deleted: %s; kept until grace ends: %s\n", listOrNone(del), listOrNone(def))
	return exitOK
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

func cmdStatus(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("status", stderr)
	path := fs.envString("status-file", "STATUS_FILE", defaultStatusFile, "reader status `FILE` written by serve")
	if err := fs.Parse(args); err != nil {
		return helpOr(err, stderr, "status")
	}
	b, err := os.ReadFile(*path)
	if err != nil {
		return fail(stderr, "status", fmt.Errorf("%w (is refresher serve running here?)", err))
	}
	stdout.Write(b)
	return exitOK
}
