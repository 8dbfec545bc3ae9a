package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"agent-storage/workload/internal/schedule"
	"agent-storage/workload/internal/store"
)

// skewedStore is the volume as seen by a node whose clock is off by skew.
func skewedStore(emb string, skew time.Duration) *store.Store {
	s := store.New(emb)
	s.Now = func() time.Time { return time.Now().Add(skew) }
	return s
}

func testGenerator(t *testing.T, emb string) *generator {
	s := store.New(emb)
	s.Logf = t.Logf
	return &generator{s: s, opts: store.RefreshOptions{Docs: 120, Dim: 16, Shards: 4, Keep: 3, Grace: time.Hour},
		sched: schedule.Every{Interval: time.Hour}, retry: time.Minute, logf: t.Logf, out: io.Discard}
}

// A version made on a node whose clock ran a day ahead has a manifest dated tomorrow. The
// generator, now on a node with the right time, must still refresh when a run falls due.
func TestScheduledRunAfterAVersionDatedInTheFuture(t *testing.T) {
	t.Parallel()
	emb := filepath.Join(t.TempDir(), "embeddings")
	ahead, err := skewedStore(emb, 24*time.Hour).Refresh(context.Background(), store.RefreshOptions{Docs: 120, Dim: 16, Shards: 4, Keep: 3}, 0)
	if err != nil {
		t.Fatal(err)
	}
	g := testGenerator(t, emb)
	if !g.runOnce(context.Background(), time.Now()) {
		t.Fatal("the run failed")
	}
	if cur := current(t, emb); cur == ahead.Version {
		t.Fatalf("the run due now was skipped: %s, made with a clock a day ahead, looked newer than it", ahead.Version)
	}
}

// A refresh started by hand that holds the lock when a run falls due makes that run
// redundant, whatever the clock of the node it ran on.
func TestScheduledRunSkippedAfterARefreshItWaitedFor(t *testing.T) {
	t.Parallel()
	for _, skew := range []time.Duration{-time.Hour, 0, time.Hour} {
		t.Run(fmt.Sprint("skew ", skew), func(t *testing.T) {
			t.Parallel()
			emb := filepath.Join(t.TempDir(), "embeddings")
			opts := store.RefreshOptions{Docs: 120, Dim: 16, Shards: 4, Keep: 3}
			if _, err := store.New(emb).Refresh(context.Background(), opts, 0); err != nil {
				t.Fatal(err)
			}
			manual := skewedStore(emb, skew)
			l, err := manual.Lock(context.Background(), 0, "manual refresh")
			if err != nil {
				t.Fatal(err)
			}
			g := testGenerator(t, emb)
			var log syncBuf
			g.s.Logf = func(format string, args ...any) { fmt.Fprintf(&log, format+"\n", args...) }
			done := make(chan bool, 1)
			go func() { done <- g.runOnce(context.Background(), time.Now()) }()
			waitFor(t, "the run to wait for the lock", 10*time.Second, func() bool {
				return strings.Contains(log.String(), "waiting for the running refresh to finish")
			})
			made, err := manual.RefreshLocked(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			l.Unlock()
			if !<-done {
				t.Fatal("the run failed")
			}
			if cur := current(t, emb); cur != made.Version {
				t.Fatalf("current %s: the run refreshed again after %s was made while it waited", cur, made.Version)
			}
		})
	}
}
