package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"agent-storage/workload/internal/kubeapi/fakeapi"
)

const testNS, testCM = "agent-data", "embeddings-status"

// fakeCluster is a fake API server on the loopback interface, a service-account dir
// that trusts it, and the environment a pod would have.
type fakeCluster struct {
	srv *fakeapi.Server
	sa  string
	env []string
}

func newFakeCluster(t *testing.T) *fakeCluster {
	t.Helper()
	srv := fakeapi.New("sa-token")
	t.Cleanup(srv.Close)
	sa := filepath.Join(t.TempDir(), "serviceaccount")
	if err := srv.WriteServiceAccount(sa, testNS, "sa-token"); err != nil {
		t.Fatal(err)
	}
	host, port := srv.HostPort()
	return &fakeCluster{srv: srv, sa: sa, env: []string{"KUBERNETES_SERVICE_HOST=" + host, "KUBERNETES_SERVICE_PORT=" + port}}
}

func (fc *fakeCluster) data() map[string]string {
	if cm := fc.srv.ConfigMap(testNS, testCM); cm != nil {
		return cm.Data
	}
	return nil
}

func (fc *fakeCluster) generate(t *testing.T, emb, pubFile string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"generate", "--embeddings", emb, "--status-configmap", testCM,
		"--serviceaccount-dir", fc.sa, "--published-file", pubFile, "--schedule", "@weekly"}, extra...)
	return startEnv(t, fc.env, append(args, small...)...)
}

func stop(t *testing.T, p *proc) string {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 5*time.Second); code != 0 {
		t.Fatalf("generator exit %d on SIGTERM:\n%s", code, p.stderr.String())
	}
	log := p.stderr.String()
	if !strings.Contains(log, "stopping (signal received)") {
		t.Fatalf("no clean stop in the log:\n%s", log)
	}
	return log
}

func readyPublished(pubFile, emb string) result {
	return runCLI("ready", "--embeddings", emb, "--published", "--published-file", pubFile, "--status-configmap", testCM)
}

// The generator publishes after its start-up refresh, at start-up, and after a rollback
// made by another process; only when something changed.
func TestGeneratePublishesServedVersion(t *testing.T) {
	t.Parallel()
	fc := newFakeCluster(t)
	emb, cp := dirs(t)
	pubFile := filepath.Join(t.TempDir(), "published.json")
	began := time.Now().UTC().Truncate(time.Second)

	// 1. Empty volume, publish interval 1h: the start-up publish finds nothing, so only the
	// refresh's trigger can publish v1.
	p := fc.generate(t, emb, pubFile, "--checkpoints", cp, "--publish-interval", "1h")
	waitFor(t, "the first version to be published", 10*time.Second, func() bool { return fc.data()["currentVersion"] != "" })
	v1 := current(t, emb)
	d := fc.data()
	if d["currentVersion"] != v1 || d["keptVersions"] != v1 {
		t.Fatalf("after the start-up refresh: %v (current %s)", d, v1)
	}
	at, err := time.Parse(time.RFC3339, d["publishedAt"])
	if err != nil || !strings.HasSuffix(d["publishedAt"], "Z") || at.Before(began) || at.After(time.Now()) {
		t.Fatalf("publishedAt %q: %v", d["publishedAt"], err)
	}
	cm := fc.srv.ConfigMap(testNS, testCM)
	if cm.Labels["app.kubernetes.io/part-of"] != "agent-storage" || cm.Labels["app.kubernetes.io/managed-by"] != "refresher" {
		t.Fatalf("created without the labels: %v", cm.Labels)
	}
	waitFor(t, "the published file", 5*time.Second, func() bool { _, err := os.Stat(pubFile); return err == nil })
	if pub, err := readPublished(pubFile); err != nil || pub.Version != v1 || pub.PublishedAt != d["publishedAt"] || pub.ConfigMap != testNS+"/"+testCM {
		t.Fatalf("published file: %+v %v", pub, err)
	}
	if r := readyPublished(pubFile, emb); r.code != 0 || !strings.HasPrefix(r.stdout, "ready: "+v1+" (published ") {
		t.Fatalf("ready --published after the publish: %+v", r)
	}
	log := stop(t, p)
	if !strings.Contains(log, "publisher: no current version yet") || !strings.Contains(log, "published: ConfigMap agent-data/embeddings-status currentVersion="+v1) {
		t.Fatalf("log:\n%s", log)
	}

	// 2. A refresh by hand while no generator runs: not published, so not ready.
	cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
	v2 := current(t, emb)
	r := readyPublished(pubFile, emb)
	want := "not ready: version " + v2 + " not yet published to ConfigMap embeddings-status (last published: " + v1 + "); see the generator's log\n"
	if r.code != exitErr || r.stderr != want {
		t.Fatalf("ready --published with current unpublished: exit %d %q, want %q", r.code, r.stderr, want)
	}

	// 3. Restart, publish interval still 1h: the start-up publish catches up.
	p = fc.generate(t, emb, pubFile, "--publish-interval", "1h")
	waitFor(t, "the start-up publish", 10*time.Second, func() bool { return fc.data()["currentVersion"] == v2 })
	if d := fc.data(); d["keptVersions"] != v2+","+v1 {
		t.Fatalf("kept versions, newest first: %q", d["keptVersions"])
	}
	waitFor(t, "ready --published", 5*time.Second, func() bool { return readyPublished(pubFile, emb).code == 0 })
	stop(t, p)

	// 4. Publish interval 200ms: a rollback by another process (kubectl exec) shows up.
	p = fc.generate(t, emb, pubFile, "--publish-interval", "200ms")
	waitFor(t, "the start-up publish", 10*time.Second, func() bool {
		return strings.Count(p.stderr.String(), "published: ConfigMap") == 1
	})
	cli(t, "rollback", "--embeddings", emb, "--to", v1)
	waitFor(t, "the rollback to be published", 5*time.Second, func() bool { return fc.data()["currentVersion"] == v1 })
	if d := fc.data(); d["keptVersions"] != v2+","+v1 {
		t.Fatalf("kept after rollback: %q", d["keptVersions"])
	}
	waitFor(t, "ready --published after the rollback", 5*time.Second, func() bool {
		r := readyPublished(pubFile, emb)
		return r.code == 0 && strings.HasPrefix(r.stdout, "ready: "+v1+" ")
	})
	// Nothing changes now: several ticks, no requests.
	n := len(fc.srv.Requests())
	time.Sleep(700 * time.Millisecond)
	if m := len(fc.srv.Requests()); m != n {
		t.Fatalf("%d requests while nothing changed", m-n)
	}
	stop(t, p)
	for _, rq := range fc.srv.Requests() {
		if rq.Authorization != "Bearer sa-token" {
			t.Fatalf("request without the service-account token: %+v", rq)
		}
	}
}

// A forbidden publish is logged once however often it is retried; the generator stays
// up (and its probe false) and publishes as soon as the API allows it.
func TestGeneratePublishFailureLoggedOnceAndRetried(t *testing.T) {
	t.Parallel()
	fc := newFakeCluster(t)
	emb, _ := dirs(t)
	pubFile := filepath.Join(t.TempDir(), "published.json")
	cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
	v := current(t, emb)
	forbidden := `configmaps "embeddings-status" is forbidden: User "system:serviceaccount:agent-data:embeddings-generator" cannot patch resource "configmaps"`
	fc.srv.SetHook(func(fakeapi.Request) (int, string, string) { return http.StatusForbidden, "Forbidden", forbidden })
	p := fc.generate(t, emb, pubFile, "--publish-interval", "100ms")
	waitFor(t, "several refused publishes", 10*time.Second, func() bool { return len(fc.srv.Requests()) >= 5 })
	log := p.stderr.String()
	if c := strings.Count(log, "cannot publish version"); c != 1 || !strings.Contains(log, forbidden) || !strings.Contains(log, "check the Role and RoleBinding") ||
		!strings.Contains(log, "the generator stays NotReady until it works") {
		t.Fatalf("want the failure logged once (got %d) with the API's message and what to check:\n%s", c, log)
	}
	r := readyPublished(pubFile, emb)
	if want := "not ready: version " + v + " not yet published to ConfigMap embeddings-status; see the generator's log\n"; r.code != exitErr || r.stderr != want {
		t.Fatalf("ready --published: exit %d %q, want %q", r.code, r.stderr, want)
	}
	fc.srv.SetHook(nil) // the RoleBinding is fixed
	waitFor(t, "the publish once allowed", 5*time.Second, func() bool { return fc.data()["currentVersion"] == v })
	waitFor(t, "ready --published", 5*time.Second, func() bool { return readyPublished(pubFile, emb).code == 0 })
	log = stop(t, p)
	t.Logf("generator log:\n%s", log)
	if !strings.Contains(log, "publisher: publishing works again") {
		t.Fatalf("log:\n%s", log)
	}
}

// API server address unreachable (nothing listens at the loopback port any more): the
// log says which address and where it came from, once.
func TestGeneratePublishUnreachableAPI(t *testing.T) {
	t.Parallel()
	fc := newFakeCluster(t)
	fc.srv.Close()
	emb, _ := dirs(t)
	pubFile := filepath.Join(t.TempDir(), "published.json")
	cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
	p := fc.generate(t, emb, pubFile, "--publish-interval", "50ms")
	waitFor(t, "the failure to be logged", 10*time.Second, func() bool { return strings.Contains(p.stderr.String(), "cannot publish version") })
	time.Sleep(400 * time.Millisecond) // several more ticks
	log := stop(t, p)
	t.Logf("generator log:\n%s", log)
	if strings.Count(log, "cannot publish version") != 1 || !strings.Contains(log, "cannot reach the Kubernetes API server at https://127.0.0.1:") ||
		!strings.Contains(log, "KUBERNETES_SERVICE_HOST") || !strings.Contains(log, "connection refused") {
		t.Fatalf("log:\n%s", log)
	}
	if _, err := os.Stat(pubFile); err == nil {
		t.Fatal("published file written though nothing was published")
	}
}

func TestReadyPublished(t *testing.T) {
	emb, _ := dirs(t)
	cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
	v := current(t, emb)
	pubFile := filepath.Join(t.TempDir(), "published.json")
	t.Setenv("STATUS_CONFIGMAP", testCM)
	ready := func(extra ...string) result {
		return runCLI(append([]string{"ready", "--embeddings", emb, "--published-file", pubFile}, extra...)...)
	}
	notPublished := "not ready: version " + v + " not yet published to ConfigMap embeddings-status; see the generator's log\n"
	if r := ready("--published"); r.code != exitErr || r.stderr != notPublished {
		t.Fatalf("no published file: %+v", r)
	}
	if r := ready(); r.code != 0 || r.stdout != "ready: "+v+"\n" {
		t.Fatalf("without --published the file does not matter: %+v", r)
	}
	writeJSONAtomic(pubFile, Published{Version: "20260101T000000.000Z-000000", PublishedAt: "2026-01-01T00:00:00Z"})
	if r := ready("--published"); r.code != exitErr || !strings.Contains(r.stderr, "(last published: 20260101T000000.000Z-000000); see the generator's log") {
		t.Fatalf("another version published: %+v", r)
	}
	os.WriteFile(pubFile, []byte("{not json"), 0o644)
	if r := ready("--published"); r.code != exitErr || !strings.HasPrefix(r.stderr, "not ready: version "+v+" not yet published") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("unreadable published file: %+v", r)
	}
	writeJSONAtomic(pubFile, Published{Version: v, PublishedAt: "2026-11-24T19:00:00Z"})
	start := time.Now()
	if r := ready("--published"); r.code != 0 || r.stdout != "ready: "+v+" (published 2026-11-24T19:00:00Z)\n" {
		t.Fatalf("published: %+v", r)
	}
	t.Logf("ready --published took %s", time.Since(start))
	t.Setenv("STATUS_CONFIGMAP", "")
	os.Remove(pubFile)
	if r := ready("--published"); r.code != exitErr || !strings.Contains(r.stderr, "STATUS_CONFIGMAP is not set, so the generator does not publish") {
		t.Fatalf("publishing off: %+v", r)
	}
	// The volume check still comes first.
	writeJSONAtomic(pubFile, Published{Version: v})
	os.Remove(filepath.Join(emb, "versions", v, "shard-0000.f32"))
	if r := ready("--published"); r.code != exitErr || !strings.Contains(r.stderr, "shard-0000.f32 missing") {
		t.Fatalf("broken current: %+v", r)
	}
}

func TestPublishFlagsAreChecked(t *testing.T) {
	emb, _ := dirs(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--status-configmap", "Embeddings_Status"}, `--status-configmap: "Embeddings_Status" is not a valid ConfigMap name`},
		{[]string{"--status-configmap", "ok", "--publish-interval", "0s"}, "--publish-interval must be positive"},
	} {
		r := runCLI(append([]string{"generate", "--embeddings", emb}, c.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d %q, want %q", c.args, r.code, r.stderr, c.want)
		}
	}
	t.Setenv("STATUS_CONFIGMAP", "-bad")
	if r := runCLI("generate", "--embeddings", emb); r.code != exitUsage || !strings.Contains(r.stderr, "(from STATUS_CONFIGMAP)") {
		t.Errorf("env value: %+v", r)
	}
}

// Each distinct problem is logged once until a publish succeeds, even when two alternate;
// a reminder follows while failures last.
func TestPublisherLogsEachProblemOnce(t *testing.T) {
	var lines []string
	p := &publisher{logf: func(f string, a ...any) { lines = append(lines, fmt.Sprintf(f, a...)) }, remindEvery: time.Hour}
	for i := 0; i < 5; i++ {
		p.problem("A", true)
		p.problem("B", true)
	}
	if len(lines) != 2 || lines[0] != "A" || lines[1] != "B" || p.attempts != 10 {
		t.Fatalf("alternating failures: %q, %d attempts", lines, p.attempts)
	}
	p.remindEvery = time.Nanosecond
	p.problem("B", true)
	if len(lines) != 3 || !strings.HasPrefix(lines[2], "publisher: still failing (11 attempts since ") || !strings.HasSuffix(lines[2], "last error: B") {
		t.Fatalf("reminder: %q", lines)
	}
	p.problem("nothing yet", false)
	p.problem("nothing yet", false)
	if len(lines) != 4 || p.attempts != 11 {
		t.Fatalf("a non-failure is logged once and not counted: %q, %d", lines, p.attempts)
	}
}

func TestValidConfigMapName(t *testing.T) {
	for n, want := range map[string]bool{"embeddings-status": true, "a.b-c": true, "x": true, "": false, "Upper": false,
		"-lead": false, "trail-": false, "under_score": false, strings.Repeat("a", 254): false} {
		if validConfigMapName(n) != want {
			t.Errorf("validConfigMapName(%q) != %v", n, want)
		}
	}
}
