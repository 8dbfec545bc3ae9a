package loadgen

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"agent-storage/workload/internal/query"
)

// reader is a stand-in for a reader's API: it answers from version after delay, or with
// status when that is not 200, and remembers every connection a query came on.
type reader struct {
	version string
	status  int
	delay   time.Duration
	queries atomic.Int64
	mu      sync.Mutex
	conns   map[string]bool
}

func (r *reader) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.queries.Add(1)
	r.mu.Lock()
	r.conns[req.RemoteAddr] = true
	r.mu.Unlock()
	var q query.Request
	if err := json.NewDecoder(req.Body).Decode(&q); err != nil || q.Text == "" || q.K == nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	time.Sleep(r.delay)
	if r.status != 0 && r.status != http.StatusOK {
		w.WriteHeader(r.status)
		json.NewEncoder(w).Encode(map[string]string{"error": "not ready"})
		return
	}
	json.NewEncoder(w).Encode(query.Response{Version: r.version, Results: []query.Result{{ID: "doc", Score: 1}}})
}

func serve(t *testing.T, r *reader) string {
	t.Helper()
	r.conns = map[string]bool{}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL + query.PathQuery
}

func (r *reader) connections() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.conns)
}

func within(t *testing.T, what string, got, lo, hi int64) {
	t.Helper()
	if got < lo || got > hi {
		t.Errorf("%s: %d, want %d to %d", what, got, lo, hi)
	}
}

func TestValidateNamesTheFlagOfEachBadField(t *testing.T) {
	ok := Config{URL: "http://x/query", Rate: 10, Duration: time.Second}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a good config: %v", err)
	}
	bad := map[string]func(*Config){
		"--url":         func(c *Config) { c.URL = "" },
		"--rate":        func(c *Config) { c.Rate = 0 },
		"--duration":    func(c *Config) { c.Duration = -time.Second },
		"--concurrency": func(c *Config) { c.Concurrency = -1 },
		"--k":           func(c *Config) { c.K = query.MaxK + 1 },
		"--timeout":     func(c *Config) { c.Timeout = -time.Second },
	}
	for flag, spoil := range bad {
		c := ok
		spoil(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), flag) {
			t.Errorf("spoiling %s: %v, want an error naming it", flag, err)
		}
	}
}

func TestLoad(t *testing.T) {
	t.Run("sends rate x duration queries and counts every answer by version", func(t *testing.T) {
		r := &reader{version: "v1"}
		// Workers to spare, so that only a starved machine drops any.
		s := Run(context.Background(), Config{URL: serve(t, r), Rate: 200, Duration: 500 * time.Millisecond, Concurrency: 16, Phase: "steady"})
		if s.Scheduled != 100 || s.Sent+s.Dropped != s.Scheduled {
			t.Errorf("scheduled %d (sent %d + dropped %d), want 100", s.Scheduled, s.Sent, s.Dropped)
		}
		within(t, "sent", s.Sent, 90, 100)
		if s.Answered != s.Sent || s.Failed.Total != 0 || s.Versions["v1"] != s.Answered || r.queries.Load() != s.Sent {
			t.Errorf("answered %d of %d sent, failed %+v, versions %v, server saw %d", s.Answered, s.Sent, s.Failed, s.Versions, r.queries.Load())
		}
		if s.Phase != "steady" || s.Interrupted || s.LatencyMs.P50 <= 0 || s.LatencyMs.P50 > s.LatencyMs.P99 || s.LatencyMs.P99 > s.LatencyMs.Max {
			t.Errorf("summary %+v", s)
		}
	})

	t.Run("keeps its rate when the server is slow and counts what no worker could take as dropped", func(t *testing.T) {
		r := &reader{version: "v1", delay: 200 * time.Millisecond}
		began := time.Now()
		s := Run(context.Background(), Config{URL: serve(t, r), Rate: 100, Duration: 500 * time.Millisecond, Concurrency: 2})
		// Two workers busy 200ms per query in a 500ms run can take about 6 of 50.
		if s.Scheduled != 50 {
			t.Errorf("scheduled %d, want 50: the client slowed down with the server", s.Scheduled)
		}
		within(t, "sent", s.Sent, 2, 8)
		within(t, "dropped", s.Dropped, 42, 48)
		if s.Answered != s.Sent {
			t.Errorf("answered %d of %d", s.Answered, s.Sent)
		}
		// Waiting for a worker instead would take 50 x 200ms / 2 = 5s.
		if took := time.Since(began); took > 2*time.Second {
			t.Errorf("the run took %s: it waited for workers instead of dropping", took)
		}
	})

	t.Run("keeps one connection per worker, or opens one per query with fresh connections", func(t *testing.T) {
		r := &reader{version: "v1", delay: 20 * time.Millisecond}
		s := Run(context.Background(), Config{URL: serve(t, r), Rate: 200, Duration: 400 * time.Millisecond, Concurrency: 4})
		if c := r.connections(); c < 2 || c > 4 {
			t.Errorf("%d connections for %d queries from 4 workers, want 2 to 4", c, s.Sent)
		}
		fresh := &reader{version: "v1"}
		s = Run(context.Background(), Config{URL: serve(t, fresh), Rate: 100, Duration: 200 * time.Millisecond, Concurrency: 2, FreshConnections: true})
		if c := fresh.connections(); int64(c) != s.Sent {
			t.Errorf("fresh connections: %d connections for %d queries", c, s.Sent)
		}
	})

	t.Run("prints the summary so far when interrupted", func(t *testing.T) {
		r := &reader{version: "v1", delay: time.Second}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(300*time.Millisecond, cancel) // as SIGTERM does
		began := time.Now()
		s := Run(ctx, Config{URL: serve(t, r), Rate: 20, Duration: time.Minute, Concurrency: 2, Timeout: 5 * time.Second})
		if took := time.Since(began); took > 2*time.Second {
			t.Errorf("interrupted run took %s", took)
		}
		if !s.Interrupted || s.Seconds > 1 || s.Sent != 2 || s.Canceled != 2 || s.Failed.Total != 0 {
			t.Errorf("summary %+v, want interrupted after ~0.3s with 2 queries in flight canceled, none failed", s)
		}
	})
}

func TestFailuresAreCountedByKind(t *testing.T) {
	cfg := func(url string) Config {
		return Config{URL: url, Rate: 50, Duration: 100 * time.Millisecond, Concurrency: 1, Timeout: 300 * time.Millisecond}
	}
	t.Run("an error status by its code", func(t *testing.T) {
		s := Run(context.Background(), cfg(serve(t, &reader{status: http.StatusServiceUnavailable})))
		if s.Sent == 0 || s.Failed.HTTP["503"] != s.Sent || s.Failed.Total != s.Sent || s.Answered != 0 || len(s.Versions) != 0 {
			t.Errorf("%+v", s)
		}
	})
	t.Run("a closed port as refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		s := Run(context.Background(), cfg("http://"+addr+query.PathQuery))
		if s.Sent == 0 || s.Failed.Refused != s.Sent || s.Failed.Total != s.Sent {
			t.Errorf("%+v", s)
		}
	})
	t.Run("a server slower than the timeout as timeout", func(t *testing.T) {
		s := Run(context.Background(), cfg(serve(t, &reader{version: "v1", delay: time.Second})))
		if s.Sent == 0 || s.Failed.Timeout != s.Sent || s.Failed.Total != s.Sent {
			t.Errorf("%+v", s)
		}
	})
	t.Run("a connection closed without an answer as reset", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				c.(*net.TCPConn).SetLinger(0) // RST rather than FIN
				c.Close()
			}
		}))
		defer srv.Close()
		s := Run(context.Background(), cfg(srv.URL+query.PathQuery))
		if s.Sent == 0 || s.Failed.Reset != s.Sent || s.Failed.Total != s.Sent {
			t.Errorf("%+v", s)
		}
	})
	t.Run("a 200 that is not an answer as other", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>hello</html>")) }))
		defer srv.Close()
		s := Run(context.Background(), cfg(srv.URL+query.PathQuery))
		if s.Sent == 0 || s.Failed.Other != s.Sent || s.Failed.Total != s.Sent {
			t.Errorf("%+v", s)
		}
	})
}
