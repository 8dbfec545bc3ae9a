package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"agent-storage/workload/internal/embed"
	"agent-storage/workload/internal/loadgen"
	"agent-storage/workload/internal/query"
	"agent-storage/workload/internal/store"
)

// servingReader is a reader's query API over a fresh volume's current version, as
// serve --listen runs it; it returns the base URL, the version served and the volume.
func servingReader(t *testing.T) (base, version, emb string) {
	t.Helper()
	emb, _ = dirs(t)
	cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
	var h query.Holder
	if _, err := h.Sync(store.New(emb)); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(query.Handler(&h))
	t.Cleanup(srv.Close)
	return srv.URL, current(t, emb), emb
}

func TestQuery(t *testing.T) {
	base, version, emb := servingReader(t)
	answer := func(t *testing.T, args ...string) query.Response {
		t.Helper()
		r := cli(t, append([]string{"query", "--url", base}, args...)...)
		var a query.Response
		if err := json.Unmarshal([]byte(r.stdout), &a); err != nil {
			t.Fatalf("stdout is not an answer: %v\n%s", err, r.stdout)
		}
		return a
	}

	t.Run("prints the reader's answer to a text", func(t *testing.T) {
		a := answer(t, "--text", "harbour at dawn", "--k", "3")
		if a.Version != version || len(a.Results) != 3 || a.Results[0].Score < a.Results[2].Score {
			t.Fatalf("answer %+v, want 3 results from %s, best first", a, version)
		}
	})

	t.Run("sends a vector from a file and finds that vector's own document first", func(t *testing.T) {
		l, err := store.Load(store.New(emb).VersionDir(version), version)
		if err != nil {
			t.Fatal(err)
		}
		dim := l.Manifest.Dim
		row := embed.DecodeLE(l.Shards[1])[2*dim : 3*dim]
		var want string
		for _, d := range l.Docs {
			if d.Shard == 1 && d.Row == 2 {
				want = d.ID
			}
		}
		b, _ := json.Marshal(row)
		file := filepath.Join(t.TempDir(), "vector.json")
		os.WriteFile(file, b, 0o644)
		a := answer(t, "--vector-file", file, "--k", "2")
		if len(a.Results) != 2 || a.Results[0].ID != want || a.Results[0].Score < 0.9999 {
			t.Fatalf("answer %+v, want %s first with score 1", a, want)
		}
	})

	t.Run("checks its flags before sending anything", func(t *testing.T) {
		cases := [][]string{
			{"--text", "x"},
			{"--url", "inference:8080", "--text", "x"},
			{"--url", base},
			{"--url", base, "--text", "x", "--vector-file", "v.json"},
			{"--url", base, "--text", "x", "--k", "101"},
			{"--url", base, "--text", "x", "--timeout", "0s"},
		}
		wants := []string{"--url is required", "--url: \"inference:8080\" is not", "exactly one of --text and --vector-file",
			"exactly one of", "--k must be between 1 and 100", "--timeout must be positive"}
		for i, c := range cases {
			r := runCLI(append([]string{"query"}, c...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, wants[i]) {
				t.Errorf("query %v: exit %d, %q; want usage error %q", c, r.code, r.stderr, wants[i])
			}
		}
	})

	t.Run("fails on one line with the status and the reader's reason", func(t *testing.T) {
		empty := httptest.NewServer(query.Handler(&query.Holder{}))
		defer empty.Close()
		r := runCLI("query", "--url", empty.URL, "--text", "anything")
		if r.code != exitErr || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 ||
			!strings.Contains(r.stderr, "HTTP 503") || !strings.Contains(r.stderr, "no verified version loaded yet") {
			t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
	})
}

// loadSummary parses load's one line of output.
func loadSummary(t *testing.T, stdout string) loadgen.Summary {
	t.Helper()
	var s loadgen.Summary
	if strings.Count(stdout, "\n") != 1 || json.Unmarshal([]byte(stdout), &s) != nil {
		t.Fatalf("load printed %q, want one JSON line", stdout)
	}
	return s
}

func TestLoad(t *testing.T) {
	base, version, _ := servingReader(t)

	t.Run("prints one JSON line counting answers by the version that gave them", func(t *testing.T) {
		r := cli(t, "load", "--url", base, "--rate", "50", "--duration", "300ms", "--phase", "steady", "--k", "5")
		s := loadSummary(t, r.stdout)
		if s.Phase != "steady" || s.Scheduled != 15 || s.Answered != s.Sent || s.Answered < 13 || s.Versions[version] != s.Answered || s.Failed.Total != 0 {
			t.Fatalf("summary %+v, want about 15 answered by %s", s, version)
		}
	})

	t.Run("prints the summary so far on SIGTERM", func(t *testing.T) {
		var queries atomic.Int64
		counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			queries.Add(1)
			http.Redirect(w, r, base+r.URL.Path, http.StatusTemporaryRedirect)
		}))
		defer counting.Close()
		p := start(t, "load", "--url", counting.URL, "--rate", "40", "--duration", "1m")
		// load sends its first query only once it handles SIGTERM.
		waitFor(t, "load's first queries", 10*time.Second, func() bool { return queries.Load() >= 3 })
		p.cmd.Process.Signal(syscall.SIGTERM)
		if code := p.wait(t, 5*time.Second); code != exitOK {
			t.Fatalf("exit %d: %s", code, p.stderr.String())
		}
		s := loadSummary(t, p.stdout.String())
		if !s.Interrupted || s.Answered == 0 || s.Seconds > 5 || s.Versions[version] != s.Answered {
			t.Fatalf("summary %+v, want an interrupted run's answers so far", s)
		}
	})

	t.Run("checks its flags before sending anything", func(t *testing.T) {
		cases := map[string][]string{
			"--url, --rate and --duration are required": {"--url", base, "--rate", "5"},
			"--rate: \"fast\" is not a number":          {"--url", base, "--rate", "fast", "--duration", "1s"},
			"--rate must be a positive number":          {"--url", base, "--rate", "0", "--duration", "1s"},
			"--duration: \"soon\" is not a duration":    {"--url", base, "--rate", "5", "--duration", "soon"},
			"--concurrency must be at least 1":          {"--url", base, "--rate", "5", "--duration", "1s", "--concurrency", "0"},
			"--k must be between 1 and 100":             {"--url", base, "--rate", "5", "--duration", "1s", "--k", "500"},
		}
		for want, c := range cases {
			r := runCLI(append([]string{"load"}, c...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, want) {
				t.Errorf("load %v: exit %d, %q; want usage error %q", c, r.code, r.stderr, want)
			}
		}
	})
}
