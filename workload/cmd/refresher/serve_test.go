package main

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
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

func TestServeWithListenAnswersQueriesFromTheCurrentVersionAndFollowsIt(t *testing.T) {
	emb, _ := dirs(t)
	cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
	first := current(t, emb)
	p := start(t, "serve", "--embeddings", emb, "--interval", "20ms", "--listen", "127.0.0.1:0",
		"--status-file", filepath.Join(t.TempDir(), "s.json"))
	var base string
	waitFor(t, "the listening line", 10*time.Second, func() bool {
		m := listening.FindStringSubmatch(p.stderr.String())
		if m != nil {
			base = "http://" + m[1]
		}
		return m != nil
	})
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
