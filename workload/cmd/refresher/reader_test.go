package main

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"agent-storage/workload/internal/query"
	"agent-storage/workload/internal/store"
)

// bytesRead is what this process has read through read(2) so far (rchar in
// /proc/self/io): the honest count of what a tick costs the volume, whichever code reads.
func bytesRead(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/io")
	if err != nil {
		t.Fatalf("the byte count comes from /proc/self/io (Linux, like the pods): %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "rchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no rchar in /proc/self/io")
	return 0
}

// cost runs fn and returns the bytes it read.
func cost(t *testing.T, fn func()) int64 {
	t.Helper()
	before := bytesRead(t)
	fn()
	return bytesRead(t) - before
}

// fewMB is a version of about 4 MiB: 2730 docs x 384 dims x 4 bytes in 8 shards.
var fewMB = []string{"--docs", "2730", "--dim", "384", "--shards", "8"}

func versionBytes(t *testing.T, emb string) int64 {
	t.Helper()
	m, st, err := store.Verify(store.New(emb).VersionDir(current(t, emb)), current(t, emb), false)
	if err != nil || m == nil {
		t.Fatal(err)
	}
	return st.Bytes
}

func mustTick(t *testing.T, r *reader, whole bool) check {
	t.Helper()
	c, err := r.tick()
	if err != nil {
		t.Fatalf("tick: %v", err)
	}
	if c.Whole != whole {
		t.Fatalf("tick of %s: whole %v, want %v", c.Version, c.Whole, whole)
	}
	return c
}

// fakeNow gives the reader a clock the test moves.
func fakeNow(r *reader) *time.Time {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r.now = func() time.Time { return now }
	return &now
}

func TestReader(t *testing.T) {
	t.Run("reads a version whole once, then only its manifest each tick", func(t *testing.T) {
		emb, _ := dirs(t)
		cli(t, append([]string{"refresh", "--embeddings", emb}, fewMB...)...)
		size := versionBytes(t, emb)
		s := store.New(emb)
		r := &reader{s: s, reverify: defaultReverify}
		fakeNow(r)
		before := cost(t, func() {
			if _, err := s.ReadCurrent(); err != nil {
				t.Fatal(err)
			}
		})
		first := cost(t, func() { mustTick(t, r, true) })
		var steady int64
		const ticks = 5
		for i := 0; i < ticks; i++ {
			steady += cost(t, func() { mustTick(t, r, false) })
		}
		steady /= ticks
		t.Logf("version of %d bytes: a tick read %d bytes when every tick verified it whole; now %d bytes when it becomes current, then %d bytes a tick",
			size, before, first, steady)
		if first < size || steady*100 > size {
			t.Fatalf("first tick read %d bytes, steady ticks %d: want the whole %d once, then under 1%% of it", first, steady, size)
		}
	})

	t.Run("with a query index, loads the new version once and verifies it in the same read", func(t *testing.T) {
		emb, _ := dirs(t)
		cli(t, append([]string{"refresh", "--embeddings", emb}, fewMB...)...)
		size := versionBytes(t, emb)
		s := store.New(emb)
		// What a change cost when every tick verified and the index then loaded on its own.
		before := cost(t, func() {
			rd, err := s.ReadCurrent()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := query.Load(s.VersionDir(rd.Version), rd.Version); err != nil {
				t.Fatal(err)
			}
		})
		r := &reader{s: s, index: &query.Holder{}, reverify: defaultReverify}
		fakeNow(r)
		var c check
		first := cost(t, func() { c = mustTick(t, r, true) })
		if ix := r.index.Current(); ix == nil || ix.Version != c.Version || ix.Len() != 2730 {
			t.Fatalf("index after the first tick: %+v", ix)
		}
		t.Logf("version of %d bytes with a query index: a version change read %d bytes when the index loaded after a verified read; now %d bytes", size, before, first)
		if first < size || first > size+size/4 {
			t.Fatalf("first tick read %d bytes for a version of %d: want it read once", first, size)
		}
		held := r.index.Current()
		mustTick(t, r, false)
		if r.index.Current() != held {
			t.Fatal("a steady tick rebuilt the index")
		}
	})

	t.Run("re-reads the served version whole every reverify, and never with reverify 0", func(t *testing.T) {
		emb, _ := dirs(t)
		cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
		r := &reader{s: store.New(emb), index: &query.Holder{}, reverify: time.Minute}
		now := fakeNow(r)
		mustTick(t, r, true)
		held := r.index.Current()
		*now = now.Add(59 * time.Second)
		mustTick(t, r, false)
		*now = now.Add(time.Second)
		mustTick(t, r, true)
		if r.index.Current() != held {
			t.Fatal("reverifying rebuilt the index of a version it already holds")
		}
		mustTick(t, r, false)
		never := &reader{s: store.New(emb)}
		now = fakeNow(never)
		mustTick(t, never, true)
		*now = now.Add(24 * 365 * time.Hour)
		mustTick(t, never, false)
	})

	t.Run("verifies a new current whole, and an earlier one again after a rollback", func(t *testing.T) {
		emb, _ := dirs(t)
		cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
		v1 := current(t, emb)
		r := &reader{s: store.New(emb), index: &query.Holder{}}
		mustTick(t, r, true)
		cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
		if c := mustTick(t, r, true); c.Version != current(t, emb) || r.index.Current().Version != c.Version {
			t.Fatalf("after a refresh: tick %s, index %s, want %s", c.Version, r.index.Current().Version, current(t, emb))
		}
		mustTick(t, r, false)
		cli(t, "rollback", "--embeddings", emb, "--to", v1)
		if c := mustTick(t, r, true); c.Version != v1 || r.index.Current().Version != v1 {
			t.Fatalf("after a rollback: tick %s, index %s, want %s", c.Version, r.index.Current().Version, v1)
		}
	})

	t.Run("sees a file gone from the served version at the next tick, as a partial read", func(t *testing.T) {
		emb, _ := dirs(t)
		cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
		r := &reader{s: store.New(emb)}
		c := mustTick(t, r, true)
		os.Remove(filepath.Join(store.New(emb).VersionDir(c.Version), c.Manifest.Files[0].Name))
		if _, err := r.tick(); !errors.Is(err, store.ErrPartial) {
			t.Fatalf("tick after a file went: %v, want a partial version", err)
		}
	})

	t.Run("checks a version whole again when its manifest changed under the same id", func(t *testing.T) {
		emb, _ := dirs(t)
		cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
		r := &reader{s: store.New(emb)}
		c := mustTick(t, r, true)
		mpath := filepath.Join(store.New(emb).VersionDir(c.Version), store.ManifestName)
		b, _ := os.ReadFile(mpath)
		sum := c.Manifest.Files[0].SHA256
		os.WriteFile(mpath, []byte(strings.Replace(string(b), sum, strings.Repeat("0", len(sum)), 1)), 0o644)
		if _, err := r.tick(); !errors.Is(err, store.ErrCorrupt) {
			t.Fatalf("tick after the manifest changed: %v, want the whole check to find it corrupt", err)
		}
	})

	t.Run("finds bytes rotted in place at the next reverify", func(t *testing.T) {
		emb, _ := dirs(t)
		cli(t, append([]string{"refresh", "--embeddings", emb}, small...)...)
		r := &reader{s: store.New(emb), reverify: time.Minute}
		now := fakeNow(r)
		c := mustTick(t, r, true)
		var shard string
		for _, f := range c.Manifest.Files {
			if f.Rows > 0 {
				shard = filepath.Join(store.New(emb).VersionDir(c.Version), f.Name)
				break
			}
		}
		f, err := os.OpenFile(shard, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt([]byte{0xff, 0xff, 0xff, 0xff}, 8)
		f.Close()
		mustTick(t, r, false) // same size, same manifest: only a whole read can tell
		*now = now.Add(time.Minute)
		if _, err := r.tick(); !errors.Is(err, store.ErrCorrupt) {
			t.Fatalf("reverify after bit rot: %v, want corrupt", err)
		}
		if _, err := r.tick(); !errors.Is(err, store.ErrCorrupt) {
			t.Fatalf("the tick after a failed reverify: %v, want it checked whole again", err)
		}
	})
}

func TestServeRefusesANegativeReverify(t *testing.T) {
	emb, _ := dirs(t)
	r := runCLI("serve", "--embeddings", emb, "--reverify", "-1s")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--reverify must not be negative") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}
