package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"agent-storage/workload/internal/query"
)

func TestServeWithoutListenStartsNoQueryAPI(t *testing.T) {
	emb, _ := dirs(t)
	cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
	r := cli(t, "serve", "--embeddings", emb, "--count", "1", "--status-file", filepath.Join(t.TempDir(), "s.json"))
	if strings.Contains(r.stderr, "query") {
		t.Fatalf("serve without --listen mentions a query API:\n%s", r.stderr)
	}
}

var listening = regexp.MustCompile(`query API listening on (\S+)`)

// serveWithAPI starts serve with a query API on a free loopback port and returns its address.
func serveWithAPI(t *testing.T, emb string, extra ...string) (*proc, string) {
	t.Helper()
	args := append([]string{"serve", "--embeddings", emb, "--interval", "20ms", "--listen", "127.0.0.1:0",
		"--status-file", filepath.Join(t.TempDir(), "s.json")}, extra...)
	p := start(t, args...)
	var base string
	waitFor(t, "the listening line", 10*time.Second, func() bool {
		m := listening.FindStringSubmatch(p.stderr.String())
		if m != nil {
			base = "http://" + m[1]
		}
		return m != nil
	})
	return p, base
}

func TestServeWithListenAnswersQueriesFromTheCurrentVersionAndFollowsIt(t *testing.T) {
	emb, _ := dirs(t)
	cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
	first := current(t, emb)
	_, base := serveWithAPI(t, emb)
	served := func() string {
		resp, err := http.Post(base+query.PathQuery, "application/json", strings.NewReader(`{"text":"anything at all","k":3}`))
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		var r query.Response
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&r) != nil || len(r.Results) != 3 {
			return ""
		}
		return r.Version
	}
	waitFor(t, "queries answered from "+first, 10*time.Second, func() bool { return served() == first })
	cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
	second := current(t, emb)
	waitFor(t, "queries answered from "+second, 10*time.Second, func() bool { return served() == second })
	resp, err := http.Get(base + query.PathReadyz)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %v %v", query.PathReadyz, resp, err)
	}
	resp.Body.Close()
}

func TestServeAfterSIGTERMKeepsAnsweringForTheDrainTimeWhileReadyzFails(t *testing.T) {
	emb, _ := dirs(t)
	cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
	p, base := serveWithAPI(t, emb, "--drain", "3s")
	status := func(method, path string) int {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(`{"text":"anything","k":1}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor(t, "ready", 10*time.Second, func() bool { return status("GET", query.PathReadyz) == http.StatusOK })
	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "readyz to fail after SIGTERM", 2*time.Second, func() bool { return status("GET", query.PathReadyz) == http.StatusServiceUnavailable })
	if code := status("POST", query.PathQuery); code != http.StatusOK {
		t.Errorf("a query while draining: %d, want 200", code)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after the drain time")
	}
	if took := time.Since(sent); took < 3*time.Second {
		t.Errorf("serve stopped %s after SIGTERM, before the 3s drain ended", took)
	}
}
