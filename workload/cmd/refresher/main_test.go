package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"agent-storage/workload/internal/schedule"
	"agent-storage/workload/internal/store"
)

// The test binary doubles as the refresher binary: with REFRESHER_RUN_MAIN=1 it runs the
// command line instead of the tests, so subprocess tests need no separate build.
func TestMain(m *testing.M) {
	if os.Getenv("REFRESHER_RUN_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	for _, env := range []string{envEmbeddings, envCheckpoints, envKeepVersions, envGracePeriod, envSchedule, envStatusFile,
		envStatusConfigMap, envQueryListen, "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"} {
		os.Unsetenv(env)
	}
	os.Exit(m.Run())
}

// small keeps every test run fast.
var small = []string{"--docs", "120", "--dim", "16", "--shards", "4"}

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(args ...string) result {
	var o, e bytes.Buffer
	code := run(args, &o, &e)
	return result{code, o.String(), e.String()}
}

func cli(t *testing.T, args ...string) result {
	t.Helper()
	r := runCLI(args...)
	if r.code != 0 {
		t.Fatalf("refresher %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// syncBuf collects a subprocess's output while it runs.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuf
	done           chan struct{} // closed once the process has exited and been waited for
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func start(t *testing.T, args ...string) *proc {
	t.Helper()
	return startEnv(t, nil, args...)
}

// startEnv starts the refresher with extra environment variables ("NAME=value").
func startEnv(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(os.Args[0], args...), stdout: &syncBuf{}, stderr: &syncBuf{}, done: make(chan struct{})}
	p.cmd.Env = append(append(os.Environ(), "REFRESHER_RUN_MAIN=1"), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		if !p.exited() {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit code (-1 if killed by a signal).
func (p *proc) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%v did not exit within %s\nstderr: %s", p.cmd.Args[1:], limit, p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func dirs(t *testing.T) (emb, cp string) {
	d := t.TempDir()
	return filepath.Join(d, "embeddings"), filepath.Join(d, "checkpoints")
}

func current(t *testing.T, emb string) string {
	t.Helper()
	return strings.TrimSpace(cli(t, "current", "--embeddings", emb).stdout)
}

func tmpDirs(emb string) []string {
	m, _ := filepath.Glob(filepath.Join(emb, "versions", ".tmp-*"))
	return m
}

func loadState(t *testing.T, cp string) *store.State {
	t.Helper()
	st, err := store.Checkpoints{Dir: cp}.Load()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestUsageErrorsNameTheFlag(t *testing.T) {
	emb, _ := dirs(t)
	cases := []struct {
		env  map[string]string
		args []string
		code int
		want string
	}{
		{nil, []string{}, exitUsage, "usage: refresher"},
		{nil, []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{nil, []string{"refresh"}, exitUsage, "--embeddings is required (or set EMBEDDINGS_PATH)"},
		{nil, []string{"refresh", "--embeddings", emb, "--keep", "0"}, exitUsage, "--keep must be at least 1"},
		{map[string]string{"KEEP_VERSIONS": "three"}, []string{"refresh", "--embeddings", emb}, exitUsage, `--keep: "three" is not a whole number (from KEEP_VERSIONS)`},
		{map[string]string{"GRACE_PERIOD": "a while"}, []string{"prune", "--embeddings", emb}, exitUsage, "--grace: \"a while\" is not a duration like 10m or 1h30m (from GRACE_PERIOD)"},
		{map[string]string{"REFRESH_SCHEDULE": "@fortnightly"}, []string{"generate", "--embeddings", emb}, exitUsage, "--schedule: schedule \"@fortnightly\": unknown descriptor"},
		{nil, []string{"generate", "--embeddings", emb, "--schedule", "0 25 * * *"}, exitUsage, "--schedule: schedule \"0 25 * * *\": hour: 25 out of range"},
		{nil, []string{"refresh", "--embeddings", emb, "--dim", "0"}, exitUsage, "--dim must be between"},
		{nil, []string{"refresh", "--embeddings", emb, "--bogus"}, exitUsage, "flag provided but not defined: -bogus"},
		{nil, []string{"rollback", "--embeddings", emb}, exitUsage, "--to VERSION is required"},
		{nil, []string{"current", "--embeddings", emb, "extra"}, exitUsage, `unexpected argument "extra"`},
		{nil, []string{"current", "--embeddings", emb}, exitErr, "embeddings directory"},
	}
	for _, c := range cases {
		for k, v := range c.env {
			os.Setenv(k, v)
		}
		r := runCLI(c.args...)
		for k := range c.env {
			os.Unsetenv(k)
		}
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("refresher %v (env %v): exit %d, stderr %q; want exit %d and %q", c.args, c.env, r.code, r.stderr, c.code, c.want)
		}
	}
}

func TestEnvironmentSuppliesFlags(t *testing.T) {
	emb, cp := dirs(t)
	t.Setenv("EMBEDDINGS_PATH", emb)
	t.Setenv("CHECKPOINTS_PATH", cp)
	t.Setenv("KEEP_VERSIONS", "1")
	t.Setenv("GRACE_PERIOD", "0")
	for i := 0; i < 3; i++ {
		cli(t, append([]string{"refresh"}, small...)...)
	}
	vs, _ := store.New(emb).List()
	if len(vs) != 1 || !vs[0].Current {
		t.Fatalf("KEEP_VERSIONS=1 GRACE_PERIOD=0 should leave one version, got %+v", vs)
	}
	if st := loadState(t, cp); st.LastCompleted == nil || st.LastCompleted.Version != vs[0].ID {
		t.Fatalf("CHECKPOINTS_PATH not used: %+v", st)
	}
}

func TestCommandsEndToEnd(t *testing.T) {
	emb, cp := dirs(t)
	base := []string{"--embeddings", emb}
	if r := runCLI("ready", "--embeddings", emb); r.code != exitErr || !strings.HasPrefix(r.stderr, "not ready:") {
		t.Fatalf("ready before any version: %+v", r)
	}
	os.MkdirAll(emb, 0o755)
	if r := runCLI("ready", "--embeddings", emb); r.code != exitErr || !strings.Contains(r.stderr, "not ready: no current version yet") {
		t.Fatalf("ready on an empty volume: %+v", r)
	}
	r1 := cli(t, append([]string{"refresh", "--embeddings", emb, "--checkpoints", cp, "--seed", "5"}, small...)...)
	v1 := current(t, emb)
	if !strings.Contains(r1.stdout, "refreshed: current -> "+v1+" (was (none))") {
		t.Fatalf("refresh output: %s", r1.stdout)
	}
	cli(t, append([]string{"refresh", "--embeddings", emb, "--checkpoints", cp}, small...)...)
	v2 := current(t, emb)
	if v2 == v1 {
		t.Fatal("second refresh did not switch")
	}
	if r := cli(t, "ready", "--embeddings", emb); r.stdout != "ready: "+v2+"\n" {
		t.Fatalf("ready: %q", r.stdout)
	}
	if r := cli(t, append([]string{"verify", "--version", v1}, base...)...); !strings.HasPrefix(r.stdout, "ok: "+v1+": 5 files") {
		t.Fatalf("verify: %q", r.stdout)
	}
	list := cli(t, append([]string{"list"}, base...)...).stdout
	if !strings.Contains(list, v1) || !strings.Contains(list, v2+"  ") || strings.Count(list, "current") != 1 ||
		!strings.Contains(list, "complete, current") {
		t.Fatalf("list:\n%s", list)
	}
	var js []store.VersionInfo
	if err := json.Unmarshal([]byte(cli(t, append([]string{"list", "--json"}, base...)...).stdout), &js); err != nil || len(js) != 2 || !js[1].Current {
		t.Fatalf("list --json: %v %+v", err, js)
	}

	// Rollback to v1, as a user would, then refuse a missing and an incomplete version.
	rb := cli(t, append([]string{"rollback", "--to", v1, "--checkpoints", cp}, base...)...)
	if !strings.Contains(rb.stdout, "current: "+v2+" -> "+v1) || current(t, emb) != v1 {
		t.Fatalf("rollback: %s", rb.stdout)
	}
	if st := loadState(t, cp); st.Current != v1 {
		t.Fatalf("checkpoint after rollback: %+v", st)
	}
	r := runCLI(append([]string{"rollback", "--to", "20990101T000000.000Z-ffffff"}, base...)...)
	if r.code != exitErr || !strings.Contains(r.stderr, "no such version; complete versions: "+v1+" (current), "+v2) {
		t.Fatalf("rollback to a missing version: %+v", r)
	}
	inc := "20990101T000000.000Z-eeeeee"
	os.MkdirAll(filepath.Join(emb, "versions", inc), 0o755)
	r = runCLI(append([]string{"rollback", "--to", inc}, base...)...)
	if r.code != exitErr || !strings.Contains(r.stderr, "manifest.json missing") {
		t.Fatalf("rollback to an incomplete version: %+v", r)
	}
	if r := runCLI(append([]string{"verify", "--version", inc}, base...)...); r.code != exitErr || !strings.Contains(r.stderr, "partial version") {
		t.Fatalf("verify incomplete: %+v", r)
	}
	if current(t, emb) != v1 {
		t.Fatal("refused rollbacks moved current")
	}
	if r := cli(t, append([]string{"prune", "--keep", "1", "--grace", "1h"}, base...)...); !strings.Contains(r.stdout, "deleted: none") {
		t.Fatalf("prune within grace: %s", r.stdout)
	}
	// keep 1 keeps the newest (v2) and current (v1, rolled back to); the incomplete dir goes.
	if r := cli(t, append([]string{"prune", "--keep", "1", "--grace", "0"}, base...)...); !strings.Contains(r.stdout, "deleted: "+inc+";") {
		t.Fatalf("prune: %s", r.stdout)
	}
	// Corrupt the current version: ready and verify must say so.
	shard := filepath.Join(emb, "versions", v1, "shard-0002.f32")
	b, _ := os.ReadFile(shard)
	b[0] ^= 0xff
	os.WriteFile(shard, b, 0o644)
	if r := runCLI("ready", "--embeddings", emb); r.code != exitErr || !strings.Contains(r.stderr, "sha256") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("ready on a corrupt version: %+v", r)
	}
	if r := runCLI("ready", "--embeddings", emb, "--checksums=false"); r.code != 0 {
		t.Fatalf("ready --checksums=false only checks sizes: %+v", r)
	}
}

func TestInputFlag(t *testing.T) {
	emb, _ := dirs(t)
	in := t.TempDir()
	os.WriteFile(filepath.Join(in, "one.txt"), []byte("the agent remembers"), 0o644)
	os.WriteFile(filepath.Join(in, "two.txt"), []byte("the agent forgets"), 0o644)
	r := cli(t, "refresh", "--embeddings", emb, "--input", in, "--dim", "8")
	if !strings.Contains(r.stdout, "2 docs x 8 dims in 2 shards") {
		t.Fatalf("refresh --input: %s", r.stdout)
	}
}

// A refresh killed with SIGKILL half-way leaves current untouched and serving; the next
// run removes its leftovers and the checkpoints tell what happened.
func TestKilledRefreshLeavesCurrentUntouched(t *testing.T) {
	t.Parallel()
	emb, cp := dirs(t)
	cli(t, append([]string{"refresh", "--embeddings", emb, "--checkpoints", cp}, small...)...)
	good := current(t, emb)

	p := start(t, append([]string{"refresh", "--embeddings", emb, "--checkpoints", cp, "--pause-after-shard", "5s"}, small...)...)
	waitFor(t, "the refresh to write 2 shards", 10*time.Second, func() bool {
		st, _ := store.Checkpoints{Dir: cp}.Load()
		return st.LastAttempt != nil && st.LastAttempt.Status == store.StatusRunning && st.LastAttempt.ShardsWritten >= 1 &&
			len(tmpDirs(emb)) == 1
	})
	p.cmd.Process.Signal(syscall.SIGKILL)
	if code := p.wait(t, 5*time.Second); code != -1 {
		t.Fatalf("want killed by signal, exit %d", code)
	}
	if c := current(t, emb); c != good {
		t.Fatalf("killed run moved current to %s", c)
	}
	cli(t, "ready", "--embeddings", emb)
	if len(tmpDirs(emb)) != 1 {
		t.Fatal("a SIGKILLed run cannot clean up: its .tmp dir should still be there")
	}
	if r := cli(t, "list", "--embeddings", emb); !strings.Contains(r.stderr, "left over by an interrupted run") || strings.Contains(r.stdout, ".tmp-") {
		t.Fatalf("list should mention the leftover apart from the versions: %+v", r)
	}
	st := loadState(t, cp)
	if st.LastAttempt.Status != store.StatusRunning || st.LastCompleted.Version != good {
		t.Fatalf("checkpoints after the kill: %+v", st.LastAttempt)
	}
	// Another refresh can run at once (flock died with the process) and cleans up.
	r := cli(t, append([]string{"refresh", "--embeddings", emb, "--checkpoints", cp}, small...)...)
	if !strings.Contains(r.stdout, "removed leftovers: versions/.tmp-") || len(tmpDirs(emb)) != 0 {
		t.Fatalf("next run did not clean up: %s", r.stdout)
	}
	if !strings.Contains(r.stderr, "was interrupted after 1 of 4 shards") && !strings.Contains(r.stderr, "was interrupted after 2 of 4 shards") {
		t.Fatalf("next run should report the interrupted run: %s", r.stderr)
	}
	if current(t, emb) == good {
		t.Fatal("next run did not switch")
	}
}

func TestCrashAfterShardsFlag(t *testing.T) {
	t.Parallel()
	emb, cp := dirs(t)
	cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
	good := current(t, emb)
	p := start(t, append([]string{"refresh", "--embeddings", emb, "--checkpoints", cp, "--crash-after-shards", "2"}, small...)...)
	if code := p.wait(t, 10*time.Second); code != -1 {
		t.Fatalf("want death by SIGKILL, exit %d: %s", code, p.stderr.String())
	}
	if current(t, emb) != good || len(tmpDirs(emb)) != 1 {
		t.Fatal("crash moved current or left no .tmp dir")
	}
	if st := loadState(t, cp); st.LastAttempt.ShardsWritten != 2 || st.LastAttempt.Status != store.StatusRunning {
		t.Fatalf("checkpoint: %+v", st.LastAttempt)
	}
	// Every object on the volume, those of the killed run included (it writes a few
	// ahead of the two it linked), holds the whole content its name is the hash of: a
	// version never links to a partial one.
	if n, err := store.New(emb).VerifyObjects(); err != nil || n < 5+2 {
		t.Fatalf("after the crash %d objects verify (%v); want the good version's 5 and at least the 2 linked shards", n, err)
	}
}

// While one refresh runs, a second (as from kubectl exec) refuses with exit 3 and names
// the holder, or waits with --wait.
func TestLockRefusesOrWaits(t *testing.T) {
	t.Parallel()
	emb, _ := dirs(t)
	p := start(t, append([]string{"refresh", "--embeddings", emb, "--pause-after-shard", "300ms"}, small...)...)
	waitFor(t, "the first refresh to start", 10*time.Second, func() bool { return len(tmpDirs(emb)) == 1 })
	r := runCLI(append([]string{"refresh", "--embeddings", emb}, small...)...)
	want := fmt.Sprintf("another refresh is running: refresh (pid %d", p.cmd.Process.Pid)
	if r.code != exitBusy || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "--wait") {
		t.Fatalf("second refresh: exit %d, %q; want exit 3 and %q", r.code, r.stderr, want)
	}
	if r := runCLI("rollback", "--embeddings", emb, "--to", "20990101T000000.000Z-ffffff"); r.code != exitBusy {
		t.Fatalf("rollback during a refresh: %+v", r)
	}
	r = cli(t, append([]string{"refresh", "--embeddings", emb, "--wait", "30s"}, small...)...)
	select {
	case <-p.done:
	case <-time.After(time.Second):
		t.Fatal("the waiting refresh finished before the running one")
	}
	if p.cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("first refresh: %s", p.stderr.String())
	}
	vs, _ := store.New(emb).List()
	if len(vs) != 2 || !vs[1].Current {
		t.Fatalf("want two versions, the waiting run's current: %+v", vs)
	}
	if !strings.Contains(r.stdout, "was "+vs[0].ID) {
		t.Fatalf("waiting run should follow the first: %s", r.stdout)
	}
}

func readStatus(t *testing.T, path string) ServeStatus {
	t.Helper()
	var st ServeStatus
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// Reader subprocesses loop verifying while refreshes run back to back and one is killed
// half-way: zero failed and zero partial reads, and every reader ends on the newest
// version.
func TestReadersDuringRefreshes(t *testing.T) {
	t.Parallel()
	emb, cp := dirs(t)
	os.MkdirAll(emb, 0o755)
	var readers []*proc
	var statuses []string
	for i := 0; i < 2; i++ {
		sf := filepath.Join(t.TempDir(), "status.json")
		statuses = append(statuses, sf)
		readers = append(readers, start(t, "serve", "--embeddings", emb, "--interval", "2ms", "--status-file", sf))
	}
	waitFor(t, "readers to start waiting", 10*time.Second, func() bool {
		for _, sf := range statuses {
			if _, err := os.Stat(sf); err != nil {
				return false
			}
		}
		return true
	})
	opts := []string{"--embeddings", emb, "--checkpoints", cp, "--keep", "2", "--grace", "1s", "--docs", "300", "--dim", "64", "--shards", "6"}
	cli(t, append([]string{"refresh"}, opts...)...)
	cli(t, append([]string{"refresh"}, opts...)...)
	killed := start(t, append([]string{"refresh", "--pause-after-shard", "300ms"}, opts...)...)
	waitFor(t, "the third refresh to be half-way", 10*time.Second, func() bool {
		st, _ := store.Checkpoints{Dir: cp}.Load()
		return st.LastAttempt != nil && st.LastAttempt.Status == store.StatusRunning && st.LastAttempt.ShardsWritten >= 2
	})
	beforeKill := current(t, emb)
	killed.cmd.Process.Signal(syscall.SIGKILL)
	killed.wait(t, 5*time.Second)
	time.Sleep(100 * time.Millisecond)
	if current(t, emb) != beforeKill {
		t.Fatal("the killed refresh moved current")
	}
	for i := 0; i < 3; i++ {
		cli(t, append([]string{"refresh"}, opts...)...)
		time.Sleep(150 * time.Millisecond)
	}
	newest := current(t, emb)
	time.Sleep(100 * time.Millisecond)
	for i, p := range readers {
		p.cmd.Process.Signal(syscall.SIGTERM)
		if code := p.wait(t, 5*time.Second); code != 0 {
			t.Errorf("reader %d exited %d: %s\n%s", i, code, p.stdout.String(), p.stderr.String())
		}
		st := readStatus(t, statuses[i])
		if st.Failures != 0 || st.PartialReads != 0 || st.LastError != "" {
			t.Errorf("reader %d: %d failures, %d partial reads, last error %q", i, st.Failures, st.PartialReads, st.LastError)
		}
		if st.Version != newest || !st.Ready || st.OK < 20 || len(st.VersionsSeen) < 3 {
			t.Errorf("reader %d: on %s (want %s), ok %d, saw %v", i, st.Version, newest, st.OK, st.VersionsSeen)
		}
		if !strings.Contains(p.stderr.String(), "serving version "+newest) || !strings.Contains(p.stdout.String(), "failures 0, partial 0") {
			t.Errorf("reader %d log:\n%s\n%s", i, p.stderr.String(), p.stdout.String())
		}
		t.Logf("reader %d: %d reads, %d ok, %d waiting, versions seen %d", i, st.Reads, st.OK, st.Waiting, len(st.VersionsSeen))
	}
	r := cli(t, "status", "--status-file", statuses[0])
	if !strings.Contains(r.stdout, `"failures": 0`) {
		t.Fatalf("status: %s", r.stdout)
	}
}

func TestServeCountsFailures(t *testing.T) {
	emb, _ := dirs(t)
	cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
	id := current(t, emb)
	os.Remove(filepath.Join(emb, "versions", id, "shard-0001.f32"))
	sf := filepath.Join(t.TempDir(), "s.json")
	r := runCLI("serve", "--embeddings", emb, "--interval", "1ms", "--count", "3", "--status-file", sf)
	st := readStatus(t, sf)
	if r.code != exitErr || st.Failures != 3 || st.PartialReads != 3 || !strings.Contains(st.LastError, "shard-0001.f32 missing") || st.Ready {
		t.Fatalf("serve on a broken version: exit %d, status %+v", r.code, st)
	}
}

// The generator refreshes at start when there is no current version, after waiting for
// a refresh started by hand, and stops cleanly on SIGTERM.
func TestGenerate(t *testing.T) {
	t.Parallel()
	emb, cp := dirs(t)
	// Hold the lock as a kubectl-exec'd refresh would: the generator must wait.
	s := store.New(emb)
	l, err := s.Lock(context.Background(), 0, "manual refresh")
	if err != nil {
		t.Fatal(err)
	}
	p := start(t, append([]string{"generate", "--embeddings", emb, "--checkpoints", cp, "--schedule", "@every 1m", "--keep", "2", "--grace", "0"}, small...)...)
	waitFor(t, "the generator to wait for the lock", 10*time.Second, func() bool {
		return strings.Contains(p.stderr.String(), "waiting for the running refresh to finish: manual refresh (pid")
	})
	time.Sleep(200 * time.Millisecond)
	if _, _, err := s.ResolveCurrent(); err == nil {
		t.Fatal("generator refreshed while the lock was held")
	}
	l.Unlock()
	waitFor(t, "the start-up refresh", 10*time.Second, func() bool { _, _, err := s.ResolveCurrent(); return err == nil })
	waitFor(t, "the generator to wait for its schedule", 10*time.Second, func() bool {
		return strings.Contains(p.stderr.String(), "next refresh at")
	})
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 5*time.Second); code != 0 {
		t.Fatalf("generator exit %d on SIGTERM: %s", code, p.stderr.String())
	}
	log := p.stderr.String()
	for _, want := range []string{"no complete current version", "stopping (signal received)"} {
		if !strings.Contains(log, want) {
			t.Errorf("generator log lacks %q:\n%s", want, log)
		}
	}
	if len(tmpDirs(emb)) != 0 {
		t.Errorf("leftovers after a clean stop: %v", tmpDirs(emb))
	}

	// Restarted with a complete current version and a long schedule: no refresh at start.
	before := current(t, emb)
	p = start(t, "generate", "--embeddings", emb, "--checkpoints", cp, "--schedule", "@weekly")
	waitFor(t, "the restarted generator to settle", 10*time.Second, func() bool {
		return strings.Contains(p.stderr.String(), "next refresh at")
	})
	if !strings.Contains(p.stderr.String(), "last run: ") || !strings.Contains(p.stderr.String(), "verifies; waiting for the schedule") {
		t.Errorf("restart log:\n%s", p.stderr.String())
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 5*time.Second); code != 0 || current(t, emb) != before {
		t.Fatalf("restart: exit %d, current %s (was %s)", code, current(t, emb), before)
	}
}

// The schedule loop refreshes whenever the schedule falls due. In process, with an
// interval Parse refuses (it allows a minute at least), so the test takes a second.
func TestGenerateRunsOnSchedule(t *testing.T) {
	t.Parallel()
	emb, _ := dirs(t)
	s := store.New(emb)
	opts := store.RefreshOptions{Docs: 120, Dim: 16, Shards: 4, Keep: 2}
	g := &generator{s: s, opts: opts, sched: schedule.Every{Interval: 200 * time.Millisecond}, retry: time.Minute,
		logf: t.Logf, out: io.Discard}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.run(ctx) }()
	waitFor(t, "the start-up refresh", 10*time.Second, func() bool { _, _, err := s.ResolveCurrent(); return err == nil })
	first, _, _ := s.ResolveCurrent()
	waitFor(t, "a scheduled refresh", 10*time.Second, func() bool { id, _, _ := s.ResolveCurrent(); return id != first })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}

// SIGTERM during a refresh: the run stops, removes its temporary dir, current stays.
func TestGenerateSIGTERMDuringRefresh(t *testing.T) {
	t.Parallel()
	emb, cp := dirs(t)
	cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
	good := current(t, emb)
	// Hide the manifest so the generator refreshes at start, and put it back once it has.
	manifest := filepath.Join(emb, "versions", good, "manifest.json")
	os.Rename(manifest, manifest+".hidden")
	p := start(t, append([]string{"generate", "--embeddings", emb, "--checkpoints", cp, "--pause-after-shard", "5s"}, small...)...)
	waitFor(t, "the refresh to start", 10*time.Second, func() bool { return len(tmpDirs(emb)) == 1 })
	os.Rename(manifest+".hidden", manifest)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 5*time.Second); code != 0 {
		t.Fatalf("exit %d: %s", code, p.stderr.String())
	}
	cli(t, "ready", "--embeddings", emb)
	if current(t, emb) != good || len(tmpDirs(emb)) != 0 {
		t.Fatalf("after SIGTERM: current %s (want %s), leftovers %v", current(t, emb), good, tmpDirs(emb))
	}
	if st := loadState(t, cp); st.LastAttempt.Status != store.StatusInterrupted {
		t.Fatalf("checkpoint: %+v", st.LastAttempt)
	}
	if !strings.Contains(p.stderr.String(), "refresh interrupted by signal") {
		t.Fatalf("log: %s", p.stderr.String())
	}
}

// Readers mount the volume read-only: serve and ready work there, refresh and rollback
// refuse with a message that says why. Needs a private mount namespace (root).
func TestReadOnlyMount(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare not installed: cannot make a read-only bind mount")
	}
	if out, err := exec.Command("unshare", "-m", "true").CombinedOutput(); err != nil {
		t.Skipf("cannot create a mount namespace here (needs root): %v %s", err, out)
	}
	emb, _ := dirs(t)
	cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
	id := current(t, emb)
	ro := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(ro, 0o755)
	bin := os.Args[0]
	script := `set -e
mount --bind "$1" "$2"
mount -o remount,bind,ro "$2"
echo "ready: $("$3" ready --embeddings "$2" 2>&1) rc=$?"
"$3" serve --embeddings "$2" --count 3 --interval 1ms --status-file "$4" >/dev/null 2>&1 && echo "serve: ok"
"$3" refresh --embeddings "$2" >/dev/null 2>"$4.refresh" && echo "refresh: exit 0" || echo "refresh: exit $?"
"$3" rollback --embeddings "$2" --to "$5" >/dev/null 2>&1 || echo "rollback: exit $?"
cat "$4.refresh"
`
	status := filepath.Join(t.TempDir(), "status.json")
	cmd := exec.Command("unshare", "-m", "sh", "-c", script, "sh", emb, ro, bin, status, id)
	cmd.Env = append(os.Environ(), "REFRESHER_RUN_MAIN=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"ready: ready: " + id + " rc=0", "serve: ok", "refresh: exit 1", "rollback: exit 1",
		"read-only file system (the embeddings volume is mounted read-only here"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if current(t, emb) != id || len(tmpDirs(emb)) != 0 {
		t.Fatal("the read-only attempts changed the volume")
	}
}

// A generator that starts while a refresh started by hand is running waits for it and,
// since that refresh made a complete version, does not refresh again.
func TestGenerateSkipsStartupRunAfterManualRefresh(t *testing.T) {
	t.Parallel()
	emb, _ := dirs(t)
	manual := start(t, append([]string{"refresh", "--embeddings", emb, "--pause-after-shard", "200ms"}, small...)...)
	waitFor(t, "the manual refresh to start", 10*time.Second, func() bool { return len(tmpDirs(emb)) == 1 })
	p := start(t, append([]string{"generate", "--embeddings", emb, "--schedule", "@weekly"}, small...)...)
	if code := manual.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("manual refresh: %s", manual.stderr.String())
	}
	waitFor(t, "the generator to settle", 10*time.Second, func() bool { return strings.Contains(p.stderr.String(), "next refresh at") })
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.wait(t, 5*time.Second)
	log := p.stderr.String()
	if !strings.Contains(log, "waiting for the running refresh to finish: refresh (pid") || !strings.Contains(log, "skipping the start-up refresh") {
		t.Fatalf("generator log:\n%s", log)
	}
	if vs, _ := store.New(emb).List(); len(vs) != 1 {
		t.Fatalf("want only the manual refresh's version, got %d", len(vs))
	}
}
