package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"agent-storage/workload/internal/query"
	"agent-storage/workload/internal/store"
)

const defaultStatusFile = mountScratch + "/refresher-status.json"

// defaultDrain covers the time a Service takes to drop a terminating pod from its
// endpoints (EndpointSlice update, then every node's kube-proxy rules), a second or two.
const defaultDrain = 5 * time.Second

// ServeStatus is what serve writes after every read. A read is one tick of the reader
// (reader.tick): whole for a new version and every --reverify, cheap in between.
type ServeStatus struct {
	Version          string     `json:"version"`
	VersionCreatedAt *time.Time `json:"versionCreatedAt,omitempty"`
	Docs             int        `json:"docs"`
	Dim              int        `json:"dim"`
	Ready            bool       `json:"ready"` // the last read succeeded
	Reads            int64      `json:"reads"`
	OK               int64      `json:"ok"`
	Failures         int64      `json:"failures"`
	PartialReads     int64      `json:"partialReads"`
	Waiting          int64      `json:"waiting"` // reads before any version existed (not failures)
	VersionChanges   int64      `json:"versionChanges"`
	VersionsSeen     []string   `json:"versionsSeen"`
	LastError        string     `json:"lastError,omitempty"`
	LastErrorAt      *time.Time `json:"lastErrorAt,omitempty"`
	LastReadAt       time.Time  `json:"lastReadAt"`
	StartedAt        time.Time  `json:"startedAt"`
	PID              int        `json:"pid"`
	Host             string     `json:"host"`
}

func cmdServe(args []string, stdout, stderr io.Writer) int {
	f := newFlags("serve", stderr)
	interval := f.Duration("interval", 2*time.Second, "time between reads (each resolves current and checks the manifest and file sizes)")
	reverify := f.Duration("reverify", defaultReverify, "time between re-reads that hash the whole served version, to catch bytes rotting on disk (0 = never; a new version is always verified whole)")
	statusFile := f.envString("status-file", envStatusFile, defaultStatusFile, "where to write the status `FILE`")
	count := f.Int("count", 0, "stop after this many reads (0 = run until SIGTERM)")
	duration := f.Duration("duration", 0, "stop after this long (0 = run until SIGTERM)")
	listen := f.envString("listen", envQueryListen, "", "serve the query API over HTTP on `ADDR` (e.g. :8080); empty: no HTTP server")
	drain := f.Duration("drain", defaultDrain, "after SIGTERM, keep answering queries this long while /readyz fails and every answer closes its connection, so the Service moves clients elsewhere before the server stops (with --listen)")
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "serve")
	}
	if *interval < 0 {
		return fail(stderr, "serve", usagef("--interval must not be negative"))
	}
	if *drain < 0 {
		return fail(stderr, "serve", usagef("--drain must not be negative"))
	}
	if *reverify < 0 {
		return fail(stderr, "serve", usagef("--reverify must not be negative (0 = never)"))
	}
	ctx, cancel := signalContext()
	defer cancel()
	var deadline <-chan time.Time
	if *duration > 0 {
		deadline = time.After(*duration)
	}
	logf := logger(stderr)
	s := store.New(*f.embeddings)
	host, _ := os.Hostname()
	st := &ServeStatus{StartedAt: time.Now().UTC(), PID: os.Getpid(), Host: host, VersionsSeen: []string{}}
	logf("reader starting: embeddings %s, every %s, re-verify every %s, status in %s", s.Root, *interval, orNever(*reverify), *statusFile)
	var index *query.Holder
	if *listen != "" {
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return fail(stderr, "serve", fmt.Errorf("--listen: %w%s", err, f.source("listen")))
		}
		index = &query.Holder{}
		srv := &http.Server{Handler: query.Handler(index), ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer func() {
			sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer scancel()
			srv.Shutdown(sctx)
		}()
		logf("query API listening on %s", ln.Addr())
	}
	rd := &reader{s: s, index: index, reverify: *reverify}
	waitingLogged := false
	for {
		c, err := rd.tick()
		now := time.Now().UTC()
		st.Reads++
		st.LastReadAt = now
		switch {
		case err == nil:
			st.OK++
			st.Ready = true
			if c.Version != st.Version {
				logf("serving version %s (created %s, %d docs x %d dims, %d files, %d bytes verified)",
					c.Version, c.Manifest.CreatedAt.Format(time.RFC3339), c.Manifest.Docs, c.Manifest.Dim, c.Stats.Files, c.Stats.Bytes)
				if index != nil {
					logf("query index: serving %s", c.Version)
				}
				if st.Version != "" {
					st.VersionChanges++
				}
				st.Version = c.Version
				created := c.Manifest.CreatedAt
				st.VersionCreatedAt = &created
				st.Docs, st.Dim = c.Manifest.Docs, c.Manifest.Dim
				st.VersionsSeen = append(st.VersionsSeen, c.Version)
				if len(st.VersionsSeen) > 20 {
					st.VersionsSeen = st.VersionsSeen[len(st.VersionsSeen)-20:]
				}
			} else if c.Whole {
				logf("re-verified version %s: %d files, %d bytes", c.Version, c.Stats.Files, c.Stats.Bytes)
			}
		case errors.Is(err, store.ErrNoCurrent):
			st.Waiting++
			st.Ready = false
			if !waitingLogged {
				logf("waiting for a first version (no current link yet)")
				waitingLogged = true
			}
		default:
			st.Failures++
			if errors.Is(err, store.ErrPartial) {
				st.PartialReads++
			}
			st.Ready = false
			st.LastError = err.Error()
			st.LastErrorAt = &now
			logf("read FAILED: %v", err)
			if index != nil && index.Current() != nil {
				logf("query index: still serving %s", index.Current().Version)
			}
		}
		if werr := writeStatus(*statusFile, st); werr != nil && st.Reads == 1 {
			logf("warning: cannot write status file: %v", werr)
		}
		if *count > 0 && st.Reads >= int64(*count) {
			break
		}
		select {
		case <-ctx.Done():
			logf("stopping (signal received)")
			if index != nil && *drain > 0 {
				index.Drain()
				logf("query API: draining for %s (readyz fails, connections close after each answer)", *drain)
				time.Sleep(*drain)
			}
			return summary(stdout, st)
		case <-deadline:
			return summary(stdout, st)
		case <-time.After(*interval):
		}
	}
	return summary(stdout, st)
}

// summary prints the final status; a reader that saw any failed read exits 1.
func summary(w io.Writer, st *ServeStatus) int {
	fmt.Fprintf(w, "reads %d, ok %d, failures %d, partial %d, waiting %d, versions seen %d, last version %s\n",
		st.Reads, st.OK, st.Failures, st.PartialReads, st.Waiting, len(st.VersionsSeen), orNone(st.Version))
	if st.Failures > 0 {
		return exitErr
	}
	return exitOK
}

func writeStatus(path string, st *ServeStatus) error { return writeJSONAtomic(path, st) }

func orNever(d time.Duration) string {
	if d == 0 {
		return "never"
	}
	return d.String()
}
