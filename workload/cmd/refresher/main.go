// Command refresher refreshes an agent's vector embeddings on a shared volume while
// inference pods keep reading them. See docs/refresh-protocol.md.
//
//	refresher generate   long-running generator: refresh at start if needed, then on a schedule
//	refresher refresh    one refresh now
//	refresher serve      reader loop: follow current, verify each new version whole once
//	refresher ready      readiness probe: exit 0 only if current verifies (and, with --published, is published)
//	refresher current    print the version current points at
//	refresher list       kept versions
//	refresher rollback   point current at another kept, complete version
//	refresher verify     check a version's manifest and checksums
//	refresher prune      apply retention now
//	refresher status     print the reader status file
//	refresher contract   print the interface the deploying program relies on (workload/contract.json)
//	refresher query      one query to a reader's API, the JSON answer on stdout
//	refresher load       queries at a fixed rate for a while, one JSON summary line
//	refresher copy       copy a data volume to a new, empty one and verify the copy
//	refresher expand-volumes
//	                     grow one provisioner's quota-less volumes to what their claims request
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"agent-storage/workload/internal/query"
	"agent-storage/workload/internal/store"
)

// Exit codes.
const (
	exitOK    = 0
	exitErr   = 1
	exitUsage = 2
	exitBusy  = 3 // another refresh holds the lock
)

const usageText = `usage: refresher <command> [flags]

commands:
  generate   long-running generator: refresh once at start if there is no complete
             current version, then on --schedule; never two refreshes at once; with
             --status-configmap (STATUS_CONFIGMAP) publishes the served version there
  refresh    one refresh now (refuses if one is running, unless --wait)
  serve      reader loop: resolve current on each read and check its manifest and file
             sizes; hash a version whole when it becomes current and every --reverify;
             write status JSON (default /tmp/refresher-status.json)
  ready      exit 0 only if current is a complete version that verifies (--published:
             and generate has published it to the status ConfigMap)
  current    print the version id current points at
  list       kept versions, their creation time and which is current
  rollback   --to VERSION: point current at another kept, complete version
  verify     [--version V|current]: check a version's manifest and every checksum
  prune      apply retention (--keep, --grace) now
  status     print the reader status file
  contract   print the refresher's interface to the program that deploys it (JSON)
  query      --url URL (--text T | --vector-file F) [--k N]: one query to a reader's
             API (serve --listen); prints the JSON answer, exit 1 on any other status
  load       --url URL --rate R --duration D: queries at a fixed rate (open loop), then
             one JSON line: sent, answered, failures by kind, latency, versions
  copy       --from SRC --to DST --layout embeddings|files: copy a volume to a new,
             empty one (complete versions, shared objects and current; or every file),
             verify the copy, then mark DST done; refuses a DST it did not make
  expand-volumes
             --provisioner NAME [--interval D]: grow the volumes of a provisioner whose
             folders have no size limit: when a bound claim of an expandable class asks
             for more, record the request as the volume's and the claim's capacity

Every command but query, load, copy and expand-volumes takes --embeddings DIR (env
EMBEDDINGS_PATH). Run "refresher <command> -h" for its flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type cmdFunc func(args []string, stdout, stderr io.Writer) int

func commands() map[string]cmdFunc {
	return map[string]cmdFunc{
		"generate":       cmdGenerate,
		"refresh":        cmdRefresh,
		"serve":          cmdServe,
		"ready":          cmdReady,
		"current":        cmdCurrent,
		"list":           cmdList,
		"rollback":       cmdRollback,
		"verify":         cmdVerify,
		"prune":          cmdPrune,
		"status":         cmdStatus,
		"contract":       cmdContract,
		"query":          cmdQuery,
		"load":           cmdLoad,
		"copy":           cmdCopy,
		"expand-volumes": cmdExpandVolumes,
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	}
	c, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "refresher: unknown command %q\n\n%s", args[0], usageText)
		return exitUsage
	}
	return c(args[1:], stdout, stderr)
}

// usageError marks errors in flags or arguments (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// fail prints err as "refresher <cmd>: ..." and returns the exit code for it.
func fail(stderr io.Writer, cmd string, err error) int {
	fmt.Fprintf(stderr, "refresher %s: %v\n", cmd, err)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, store.ErrLocked):
		return exitBusy
	}
	return exitErr
}

// flags wraps a FlagSet with the common, environment-backed settings.
type flags struct {
	*flag.FlagSet
	cmd                                  string
	embeddings, checkpoints, keep, grace *string
	envOf                                map[string]string // flag name -> env var
}

func newFlags(cmd string, stderr io.Writer) *flags {
	f := newClientFlags(cmd, stderr)
	f.embeddings = f.envString("embeddings", envEmbeddings, "", "embeddings volume `DIR`")
	return f
}

// newClientFlags is for the commands that talk to a reader over HTTP and never touch the
// volume, so they have no --embeddings.
func newClientFlags(cmd string, stderr io.Writer) *flags {
	fs := flag.NewFlagSet("refresher "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &flags{FlagSet: fs, cmd: cmd, envOf: map[string]string{}}
}

// queryTarget defines the flags every client of the query API shares: the reader's URL and k.
func (f *flags) queryTarget(kUsage string) (base *string, k *int) {
	base = f.String("url", "", "the reader's `URL`, e.g. http://inference:8080 ("+query.PathQuery+" is added when it has no path)")
	k = f.Int("k", query.DefaultK, fmt.Sprintf("%s, 1 to %d", kUsage, query.MaxK))
	return base, k
}

// envString defines a string flag whose default comes from env.
func (f *flags) envString(name, env, def, usage string) *string {
	f.envOf[name] = env
	if v := os.Getenv(env); v != "" {
		def = v
	}
	return f.String(name, def, usage+" (env "+env+")")
}

func (f *flags) withCheckpoints() {
	f.checkpoints = f.envString("checkpoints", envCheckpoints, "", "checkpoints `DIR` for refresh-state.json (optional)")
}

func (f *flags) withRetention() {
	f.keep = f.envString("keep", envKeepVersions, "3", "complete versions to keep `K`")
	f.grace = f.envString("grace", envGracePeriod, "10m", "keep a retired version at least this `DURATION` (longer than a reader's longest read)")
}

func (f *flags) parse(args []string) error {
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if f.NArg() > 0 {
		return usagef("unexpected argument %q (flags go as --name value)", f.Arg(0))
	}
	if f.embeddings != nil && *f.embeddings == "" {
		return usagef("--embeddings is required (or set EMBEDDINGS_PATH)")
	}
	return nil
}

// source says where a flag's value came from, for error messages.
func (f *flags) source(name string) string {
	set := false
	f.Visit(func(fl *flag.Flag) {
		if fl.Name == name {
			set = true
		}
	})
	if env, ok := f.envOf[name]; ok && !set && os.Getenv(env) != "" {
		return " (from " + env + ")"
	}
	return ""
}

func (f *flags) intValue(name, raw string, min int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil {
		return 0, usagef("--%s: %q is not a whole number%s", name, raw, f.source(name))
	}
	if n < min {
		return 0, usagef("--%s must be at least %d (got %d%s)", name, min, n, f.source(name))
	}
	return n, nil
}

// durationValue accepts Go durations ("10m", "1h30m") and plain seconds ("600").
func (f *flags) durationValue(name, raw string) (time.Duration, error) {
	raw = strings.TrimSpace(raw)
	if n, err := strconv.Atoi(raw); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil {
		return 0, usagef("--%s: %q is not a duration like 10m or 1h30m%s", name, raw, f.source(name))
	}
	return d, nil
}

func (f *flags) retention() (int, time.Duration, error) {
	keep, err := f.intValue("keep", *f.keep, 1)
	if err != nil {
		return 0, 0, err
	}
	grace, err := f.durationValue("grace", *f.grace)
	if err != nil {
		return 0, 0, err
	}
	if grace < 0 {
		return 0, 0, usagef("--grace must not be negative (got %s%s)", grace, f.source("grace"))
	}
	return keep, grace, nil
}

func (f *flags) store(stderr io.Writer) *store.Store {
	s := store.New(*f.embeddings)
	s.Logf = logger(stderr)
	return s
}

func (f *flags) cp() store.Checkpoints {
	if f.checkpoints == nil {
		return store.Checkpoints{}
	}
	return store.Checkpoints{Dir: *f.checkpoints}
}

// logger writes timestamped lines.
func logger(w io.Writer) func(string, ...any) {
	return func(format string, args ...any) {
		fmt.Fprintf(w, "%s %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), fmt.Sprintf(format, args...))
	}
}

func helpOr(err error, stderr io.Writer, cmd string) int {
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	return fail(stderr, cmd, err)
}
