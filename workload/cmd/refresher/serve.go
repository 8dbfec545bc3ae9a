package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"agent-storage/workload/internal/store"
)

const defaultStatusFile = mountScratch + "/refresher-status.json"

// ServeStatus is what serve writes after every read.
type ServeStatus struct {
	Version          string     `json:"version"`
	VersionCreatedAt *time.Time `json:"versionCreatedAt,omitempty"`
	Docs             int        `json:"docs"`
	Dim              int        `json:"dim"`
	Ready            bool       `json:"ready"` // the last read verified
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
	interval := f.Duration("interval", 2*time.Second, "time between reads")
	statusFile := f.envString("status-file", envStatusFile, defaultStatusFile, "where to write the status `FILE`")
	count := f.Int("count", 0, "stop after this many reads (0 = run until SIGTERM)")
	duration := f.Duration("duration", 0, "stop after this long (0 = run until SIGTERM)")
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "serve")
	}
	if *interval < 0 {
		return fail(stderr, "serve", usagef("--interval must not be negative"))
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
	logf("reader starting: embeddings %s, every %s, status in %s", s.Root, *interval, *statusFile)
	waitingLogged := false
	for {
		rd, err := s.ReadCurrent()
		now := time.Now().UTC()
		st.Reads++
		st.LastReadAt = now
		switch {
		case err == nil:
			st.OK++
			st.Ready = true
			if rd.Version != st.Version {
				logf("serving version %s (created %s, %d docs x %d dims, %d files, %d bytes verified)",
					rd.Version, rd.Manifest.CreatedAt.Format(time.RFC3339), rd.Manifest.Docs, rd.Manifest.Dim, rd.Stats.Files, rd.Stats.Bytes)
				if st.Version != "" {
					st.VersionChanges++
				}
				st.Version = rd.Version
				c := rd.Manifest.CreatedAt
				st.VersionCreatedAt = &c
				st.Docs, st.Dim = rd.Manifest.Docs, rd.Manifest.Dim
				st.VersionsSeen = append(st.VersionsSeen, rd.Version)
				if len(st.VersionsSeen) > 20 {
					st.VersionsSeen = st.VersionsSeen[len(st.VersionsSeen)-20:]
				}
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
