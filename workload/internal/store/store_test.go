package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"agent-storage/workload/internal/embed"
)

func testOpts() RefreshOptions {
	return RefreshOptions{Docs: 200, Dim: 32, Shards: 4, Keep: 3, Grace: 10 * time.Minute}
}

func newStore(t *testing.T) *Store {
	t.Helper()
	s := New(filepath.Join(t.TempDir(), "embeddings"))
	if err := os.Mkdir(s.Root, 0o755); err != nil {
		t.Fatal(err)
	}
	s.Logf = t.Logf
	return s
}

func mustRefresh(t *testing.T, s *Store, o RefreshOptions) *Result {
	t.Helper()
	r, err := s.Refresh(context.Background(), o, 0)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	return r
}

func currentID(t *testing.T, s *Store) string {
	t.Helper()
	id, _, err := s.ResolveCurrent()
	if err != nil {
		t.Fatalf("resolve current: %v", err)
	}
	return id
}

// leftovers lists temporary names in the volume.
func leftovers(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	for _, d := range []string{s.Root, filepath.Join(s.Root, VersionsDir)} {
		es, _ := os.ReadDir(d)
		for _, e := range es {
			if strings.HasPrefix(e.Name(), tmpPrefix) || strings.HasPrefix(e.Name(), delPrefix) || strings.HasPrefix(e.Name(), linkTmpPrefix) {
				out = append(out, e.Name())
			}
		}
	}
	return out
}

func TestRefreshWritesProtocol(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	if _, _, err := s.ResolveCurrent(); !errors.Is(err, ErrNoCurrent) {
		t.Fatalf("empty volume: want ErrNoCurrent, got %v", err)
	}
	o := testOpts()
	o.Seed = 7
	r := mustRefresh(t, s, o)

	link, err := os.Readlink(filepath.Join(s.Root, CurrentLink))
	if err != nil {
		t.Fatal(err)
	}
	if link != "versions/"+r.Version {
		t.Fatalf("current -> %q, want relative versions/%s", link, r.Version)
	}
	if len(r.Version) != len("20261124T184755.123Z-abcdef") {
		t.Fatalf("unexpected id format %q", r.Version)
	}
	m, st, err := Verify(s.VersionDir(r.Version), r.Version, true)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if m.Docs != 200 || m.Dim != 32 || m.Shards != 4 || len(m.Files) != 5 || m.Seed != 7 {
		t.Fatalf("manifest: %+v", m)
	}
	if st.Files != 5 || st.Bytes < 200*32*4 {
		t.Fatalf("verify stats %+v", st)
	}
	// Check the manifest against the bytes on disk ourselves.
	rows := 0
	for _, f := range m.Files {
		b, err := os.ReadFile(filepath.Join(s.VersionDir(r.Version), f.Name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(b)) != f.Size {
			t.Fatalf("%s: manifest does not match the file", f.Name)
		}
		if f.Rows > 0 {
			rows += f.Rows
			if len(b) != f.Rows*32*4 {
				t.Fatalf("%s: %d bytes for %d rows", f.Name, len(b), f.Rows)
			}
		}
	}
	if rows != 200 {
		t.Fatalf("shards hold %d rows, want 200", rows)
	}
	// Shard content is the deterministic synthetic embedding.
	b, _ := os.ReadFile(filepath.Join(s.VersionDir(r.Version), "shard-0000.f32"))
	got := embed.DecodeLE(b[:32*4])
	want := embed.Synthetic(7, 0, 32)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("shard-0000 row 0 differs from embed.Synthetic(seed 7, doc 0)")
		}
	}
	if l := leftovers(t, s); len(l) != 0 {
		t.Fatalf("leftovers after a clean run: %v", l)
	}
	// Same seed, same files (different version id).
	r2 := mustRefresh(t, s, o)
	m2, _, _ := Verify(s.VersionDir(r2.Version), r2.Version, true)
	for i := range m.Files {
		if m.Files[i].SHA256 != m2.Files[i].SHA256 {
			t.Fatalf("%s differs between two runs with the same seed", m.Files[i].Name)
		}
	}
	if r2.Version <= r.Version || r2.Previous != r.Version {
		t.Fatalf("ids must increase: %s then %s (previous %s)", r.Version, r2.Version, r2.Previous)
	}
	// Seed 0 derives the seed from the id: new content each run.
	o.Seed = 0
	r3 := mustRefresh(t, s, o)
	if r3.Manifest.Files[0].SHA256 == m.Files[0].SHA256 {
		t.Fatalf("seed 0 should give new vectors each run")
	}
}

func TestIDsIncreaseWhenClockGoesBack(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return t0 }
	a := mustRefresh(t, s, testOpts()).Version
	s.Now = func() time.Time { return t0.Add(-time.Hour) }
	b := mustRefresh(t, s, testOpts()).Version
	if !(b > a) {
		t.Fatalf("second id %s does not sort after %s", b, a)
	}
}

func TestRefreshFromInputDir(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	in := t.TempDir()
	texts := map[string]string{
		"a.txt":       "Embeddings for the agent live on a shared volume.",
		"b.txt":       "Inference pods mount the volume read-only.",
		"sub/c.md":    "A weekly refresh writes a new version directory.",
		".hidden.txt": "skipped",
		"sub/.git/x":  "skipped",
	}
	for name, text := range texts {
		os.MkdirAll(filepath.Dir(filepath.Join(in, name)), 0o755)
		os.WriteFile(filepath.Join(in, name), []byte(text), 0o644)
	}
	o := testOpts()
	o.InputDir, o.Shards = in, 8 // more shards than docs: capped
	r := mustRefresh(t, s, o)
	if r.Manifest.Docs != 3 || r.Manifest.Shards != 3 || !strings.HasPrefix(r.Manifest.Source, "input:") {
		t.Fatalf("manifest %+v", r.Manifest)
	}
	idx, _ := os.ReadFile(filepath.Join(s.VersionDir(r.Version), "docs.jsonl"))
	if !strings.Contains(string(idx), `"id":"sub/c.md"`) || strings.Contains(string(idx), "hidden") {
		t.Fatalf("docs.jsonl: %s", idx)
	}
	b, _ := os.ReadFile(filepath.Join(s.VersionDir(r.Version), "shard-0000.f32"))
	want := embed.Hashed(texts["a.txt"], 32)
	got := embed.DecodeLE(b)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("shard 0 is not the hashed embedding of a.txt")
		}
	}
	o.InputDir = t.TempDir()
	if _, err := s.Refresh(context.Background(), o, 0); err == nil || !strings.Contains(err.Error(), "no files") {
		t.Fatalf("empty --input: got %v", err)
	}
}

func TestOptionErrorsNameFlags(t *testing.T) {
	t.Parallel()
	for flag, mod := range map[string]func(*RefreshOptions){
		"--docs":   func(o *RefreshOptions) { o.Docs = 0 },
		"--dim":    func(o *RefreshOptions) { o.Dim = 0 },
		"--shards": func(o *RefreshOptions) { o.Shards = 500 },
		"--keep":   func(o *RefreshOptions) { o.Keep = 0 },
		"--grace":  func(o *RefreshOptions) { o.Grace = -time.Second },
	} {
		o := testOpts()
		mod(&o)
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), flag) {
			t.Errorf("%s: got %v", flag, err)
		}
	}
}

func TestFailedRunLeavesCurrentAndNextRunCleansUp(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	cp := Checkpoints{Dir: filepath.Join(t.TempDir(), "checkpoints")}
	o := testOpts()
	o.Checkpoints = cp
	good := mustRefresh(t, s, o).Version

	for _, n := range []int{1, 2, 4} { // 4 = every shard written, manifest not yet
		bad := o
		bad.FailAfterShards = n
		_, err := s.Refresh(context.Background(), bad, 0)
		if !errors.Is(err, ErrSimulatedFailure) {
			t.Fatalf("fail-after-shards %d: got %v", n, err)
		}
		if cur := currentID(t, s); cur != good {
			t.Fatalf("failed run moved current to %s", cur)
		}
		if _, err := s.ReadCurrent(); err != nil {
			t.Fatalf("current does not verify after a failed run: %v", err)
		}
		l := leftovers(t, s)
		if len(l) != 1 || !strings.HasPrefix(l[0], tmpPrefix) {
			t.Fatalf("want the failed run's .tmp dir left behind, got %v", l)
		}
		st, _ := cp.Load()
		if st.LastAttempt.Status != StatusFailed || st.LastAttempt.ShardsWritten != n || st.LastCompleted.Version != good || st.Current != good {
			t.Fatalf("checkpoint after failure: %+v / %+v", st.LastAttempt, st)
		}
		vs, _ := s.List()
		if len(vs) != 1 {
			t.Fatalf("a failed run must not appear as a version: %+v", vs)
		}
	}
	// The .tmp dir of the last failure is still there; the next run removes it.
	r := mustRefresh(t, s, o)
	if len(r.CleanedUp) != 1 || len(leftovers(t, s)) != 0 {
		t.Fatalf("next run should clean up exactly the leftover: cleaned %v, still %v", r.CleanedUp, leftovers(t, s))
	}
	if currentID(t, s) != r.Version {
		t.Fatal("next run did not switch")
	}
}

func TestCanceledRunRemovesItsTmpDir(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	cp := Checkpoints{Dir: t.TempDir()}
	o := testOpts()
	o.Checkpoints = cp
	good := mustRefresh(t, s, o).Version
	ctx, cancel := context.WithCancel(context.Background())
	o.PauseAfterShard = 50 * time.Millisecond
	time.AfterFunc(80*time.Millisecond, cancel)
	_, err := s.Refresh(ctx, o, 0)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if currentID(t, s) != good {
		t.Fatal("canceled run moved current")
	}
	if l := leftovers(t, s); len(l) != 0 {
		t.Fatalf("a canceled (SIGTERM) run cleans up after itself; left %v", l)
	}
	st, _ := cp.Load()
	if st.LastAttempt.Status != StatusInterrupted {
		t.Fatalf("checkpoint status %q, want interrupted", st.LastAttempt.Status)
	}
}

func TestStaleLeftoversAreRemoved(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	good := mustRefresh(t, s, testOpts()).Version
	// What a kill at each step can leave behind.
	os.MkdirAll(filepath.Join(s.Root, VersionsDir, tmpPrefix+"20200101T000000.000Z-aaaaaa"), 0o755)
	os.WriteFile(filepath.Join(s.Root, VersionsDir, tmpPrefix+"20200101T000000.000Z-aaaaaa", "shard-0000.f32"), []byte("half"), 0o644)
	os.MkdirAll(filepath.Join(s.Root, VersionsDir, delPrefix+"20200101T000000.000Z-bbbbbb"), 0o755)
	os.Symlink("versions/nowhere", filepath.Join(s.Root, linkTmpPrefix+"x-1234"))
	if len(leftovers(t, s)) != 3 {
		t.Fatal("setup")
	}
	if currentID(t, s) != good {
		t.Fatal("leftovers must not affect current")
	}
	r := mustRefresh(t, s, testOpts())
	if len(r.CleanedUp) != 3 || len(leftovers(t, s)) != 0 {
		t.Fatalf("cleaned %v, left %v", r.CleanedUp, leftovers(t, s))
	}
}

func TestVerifyDetectsPartialAndCorrupt(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	id := mustRefresh(t, s, testOpts()).Version
	dir := s.VersionDir(id)
	shard := filepath.Join(dir, "shard-0001.f32")
	orig, _ := os.ReadFile(shard)

	os.WriteFile(shard, orig[:len(orig)-4], 0o644)
	if _, err := s.ReadCurrent(); !errors.Is(err, ErrPartial) {
		t.Fatalf("short file: want ErrPartial, got %v", err)
	}
	flipped := append([]byte(nil), orig...)
	flipped[10] ^= 1
	os.WriteFile(shard, flipped, 0o644)
	if _, err := s.ReadCurrent(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("flipped bit: want ErrCorrupt, got %v", err)
	}
	// Size-only check does not read content.
	if _, _, err := Verify(dir, id, false); err != nil {
		t.Fatalf("size-only verify: %v", err)
	}
	os.Remove(shard)
	if _, err := s.ReadCurrent(); !errors.Is(err, ErrPartial) {
		t.Fatalf("missing file: want ErrPartial, got %v", err)
	}
	os.WriteFile(shard, orig, 0o644)
	if _, err := s.ReadCurrent(); err != nil {
		t.Fatalf("restored: %v", err)
	}
	os.Rename(filepath.Join(dir, ManifestName), filepath.Join(dir, "m.bak"))
	if _, err := s.ReadCurrent(); !errors.Is(err, ErrPartial) {
		t.Fatalf("missing manifest: want ErrPartial, got %v", err)
	}
	os.Rename(filepath.Join(dir, "m.bak"), filepath.Join(dir, ManifestName))
	// A manifest naming another version is corrupt (mixed versions).
	if _, _, err := Verify(dir, "20200101T000000.000Z-000000", true); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("wrong id: want ErrCorrupt, got %v", err)
	}
	os.Remove(filepath.Join(s.Root, CurrentLink))
	os.Symlink("/etc", filepath.Join(s.Root, CurrentLink))
	if _, err := s.ReadCurrent(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("current pointing outside versions/: want ErrCorrupt, got %v", err)
	}
}

// currentIsComplete asserts the invariant: whatever current names is a complete version.
func currentIsComplete(s *Store) error {
	id, dir, err := s.ResolveCurrent()
	if errors.Is(err, ErrNoCurrent) {
		return nil
	}
	if err != nil {
		return err
	}
	_, _, err = Verify(dir, id, false)
	return err
}

func TestCurrentNeverPointsAtIncompleteVersion(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	o := testOpts()
	o.Keep, o.Grace = 2, time.Hour // this test is about the switch; retention deletes nothing
	stop := make(chan struct{})
	var checks, bad atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			checks.Add(1)
			if err := currentIsComplete(s); err != nil {
				bad.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		}
	}()
	for i := 0; i < 12; i++ {
		oo := o
		if i%3 == 1 {
			oo.FailAfterShards = 1 + i%4
		}
		s.Refresh(context.Background(), oo, 0)
		if err := currentIsComplete(s); err != nil {
			t.Fatalf("after run %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d of %d checks saw current on an incomplete version; first: %v", bad.Load(), checks.Load(), firstErr.Load())
	}
	if checks.Load() < 10 {
		t.Fatalf("checker ran only %d times", checks.Load())
	}
}

func TestConcurrentReadersSeeOnlyWholeVersions(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	o := testOpts()
	o.Docs, o.Dim, o.Shards, o.Keep = 400, 64, 8, 1 // keep 1: only grace protects in-flight reads
	// Grace must exceed a reader's longest read; reads here take milliseconds, but the
	// machine may be loaded and the race detector slow.
	o.Grace = time.Second
	first := mustRefresh(t, s, o).Version

	const readers = 4
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var reads, failed, partial atomic.Int64
	var mu sync.Mutex
	seen := map[string]bool{}
	var errs []string
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				rd, err := s.ReadCurrent()
				reads.Add(1)
				mu.Lock()
				if err != nil {
					failed.Add(1)
					if errors.Is(err, ErrPartial) {
						partial.Add(1)
					}
					if len(errs) < 5 {
						errs = append(errs, err.Error())
					}
				} else {
					seen[rd.Version] = true
				}
				mu.Unlock()
			}
		}()
	}
	var made []string
	var secondAt time.Time
	for i := 0; i < 6; i++ {
		if i == 1 {
			secondAt = time.Now() // the first version retires now
		}
		if i == 5 {
			// Let the first version's grace run out so this run's retention deletes it
			// while the readers keep going.
			time.Sleep(time.Until(secondAt.Add(o.Grace + 50*time.Millisecond)))
		}
		oo := o
		if i == 3 {
			oo.FailAfterShards = 4 // one run dies half-way among them
			if _, err := s.Refresh(context.Background(), oo, 0); !errors.Is(err, ErrSimulatedFailure) {
				t.Fatalf("run %d: %v", i, err)
			}
			continue
		}
		made = append(made, mustRefresh(t, s, oo).Version)
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || partial.Load() != 0 {
		t.Fatalf("%d failed reads (%d partial) out of %d: %v", failed.Load(), partial.Load(), reads.Load(), errs)
	}
	if reads.Load() < 50 {
		t.Fatalf("only %d reads: the test proves little", reads.Load())
	}
	if len(seen) < 3 {
		t.Fatalf("readers saw only %d versions; the switch was not exercised", len(seen))
	}
	newest := made[len(made)-1]
	if currentID(t, s) != newest {
		t.Fatalf("current %s, want newest %s", currentID(t, s), newest)
	}
	if _, err := os.Stat(s.VersionDir(first)); !os.IsNotExist(err) {
		t.Fatalf("the first version should have been deleted by retention: %v", err)
	}
	t.Logf("%d reads, %d versions seen, 0 failures", reads.Load(), len(seen))
}

func TestRetentionKeepsKAndHonoursGrace(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	clock := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	s.Now = func() time.Time { return clock }
	o := testOpts()
	o.Keep, o.Grace = 2, 10*time.Minute
	var ids []string
	for i := 0; i < 4; i++ {
		clock = clock.Add(time.Minute)
		r := mustRefresh(t, s, o)
		ids = append(ids, r.Version)
		if i >= 2 && len(r.Deleted) != 0 {
			t.Fatalf("run %d deleted %v inside the grace period", i, r.Deleted)
		}
	}
	// All four still there: the two beyond keep retired less than 10m ago.
	vs, _ := s.List()
	if len(vs) != 4 {
		t.Fatalf("want 4 versions within grace, got %d", len(vs))
	}
	// Retirement times are the switch times (fake clock), not creation times.
	if !vs[0].RetiredAt.Equal(clock.Add(-2 * time.Minute)) {
		t.Fatalf("version 0 retired at %s, want when version 1 replaced it (%s)", vs[0].RetiredAt, clock.Add(-2*time.Minute))
	}
	clock = clock.Add(9 * time.Minute) // v0 retired 11m ago, v1 10m ago... v1 retired exactly 10m ago
	del, def, err := s.Prune(context.Background(), 2, o.Grace, 0)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(del, ",") != ids[0]+","+ids[1] || len(def) != 0 {
		t.Fatalf("deleted %v deferred %v, want %v", del, def, ids[:2])
	}
	// Current is never deleted, even when it is old and outside keep: make two newer
	// versions, roll back to an old one, let every grace period pass.
	long := o
	long.Grace = time.Hour // these runs' own retention deletes nothing
	for i := 0; i < 2; i++ {
		clock = clock.Add(time.Minute)
		ids = append(ids, mustRefresh(t, s, long).Version) // ids[4], ids[5]
	}
	if _, err := s.Rollback(context.Background(), ids[2], 0, Checkpoints{}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(11 * time.Minute)
	del, def, err = s.Prune(context.Background(), 2, o.Grace, 0)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(del, ",") != ids[3] {
		t.Fatalf("deleted %v, want only %s", del, ids[3])
	}
	vs, _ = s.List()
	var left []string
	for _, v := range vs {
		left = append(left, v.ID)
	}
	if strings.Join(left, ",") != strings.Join([]string{ids[2], ids[4], ids[5]}, ",") {
		t.Fatalf("kept %v, want current %s and newest two", left, ids[2])
	}
}

func TestRetentionDeletesIncompleteDirsAfterGrace(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	o := testOpts()
	mustRefresh(t, s, o)
	junk := s.VersionDir("20200101T000000.000Z-junk00")
	os.MkdirAll(junk, 0o755)
	if del, _, _ := s.Prune(context.Background(), 3, time.Hour, 0); len(del) != 0 {
		t.Fatalf("deleted %v within grace", del)
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(junk, old, old)
	if del, _, _ := s.Prune(context.Background(), 3, time.Hour, 0); len(del) != 1 {
		t.Fatalf("incomplete dir past grace should be deleted, deleted %v", del)
	}
}

func TestRollback(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	cp := Checkpoints{Dir: t.TempDir()}
	o := testOpts()
	a := mustRefresh(t, s, o).Version
	b := mustRefresh(t, s, o).Version
	prev, err := s.Rollback(context.Background(), a, 0, cp)
	if err != nil || prev != b || currentID(t, s) != a {
		t.Fatalf("rollback: prev %s err %v current %s", prev, err, currentID(t, s))
	}
	link, _ := os.Readlink(filepath.Join(s.Root, CurrentLink))
	if link != "versions/"+a {
		t.Fatalf("link %q", link)
	}
	st, _ := cp.Load()
	if st.Current != a || !strings.Contains(st.LastEvent, "rollback") {
		t.Fatalf("checkpoint %+v", st)
	}
	// Forward again is allowed too.
	if _, err := s.Rollback(context.Background(), b, 0, cp); err != nil || currentID(t, s) != b {
		t.Fatalf("roll forward: %v", err)
	}
	// Missing: refused, and the message lists what exists.
	_, err = s.Rollback(context.Background(), "20200101T000000.000Z-000000", 0, cp)
	var re *RollbackError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "no such version") ||
		!strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b+" (current)") {
		t.Fatalf("missing version: %v", err)
	}
	// Incomplete: refused.
	inc := "20200101T000000.000Z-111111"
	os.MkdirAll(s.VersionDir(inc), 0o755)
	if _, err := s.Rollback(context.Background(), inc, 0, cp); err == nil || !strings.Contains(err.Error(), "manifest.json missing") {
		t.Fatalf("incomplete version: %v", err)
	}
	// Corrupt: refused.
	os.WriteFile(filepath.Join(s.VersionDir(a), "shard-0000.f32"), make([]byte, 32*4*50), 0o644)
	if _, err := s.Rollback(context.Background(), a, 0, cp); !errors.Is(err, ErrCorrupt) && !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("corrupt version: %v", err)
	}
	if _, err := s.Rollback(context.Background(), "../etc", 0, cp); err == nil || !strings.Contains(err.Error(), "--to") {
		t.Fatalf("bad id: %v", err)
	}
	if currentID(t, s) != b {
		t.Fatal("refused rollbacks must not move current")
	}
}

func TestLockPreventsOverlap(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	l, err := s.Lock(ctx, 0, "test-holder")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Refresh(ctx, testOpts(), 0)
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("want LockedError, got %v", err)
	}
	if le.Holder.PID != os.Getpid() || le.Holder.Command != "test-holder" || !strings.Contains(err.Error(), "test-holder") {
		t.Fatalf("holder not reported: %v", err)
	}
	if _, err := s.Rollback(ctx, "x", 0, Checkpoints{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("rollback while locked: %v", err)
	}
	// A bounded wait gives up.
	t0 := time.Now()
	if _, err := s.Refresh(ctx, testOpts(), 150*time.Millisecond); !errors.Is(err, ErrLocked) || time.Since(t0) < 150*time.Millisecond {
		t.Fatalf("bounded wait: %v after %s", err, time.Since(t0))
	}
	// A waiting refresh runs once the holder lets go, and not before.
	done := make(chan error, 1)
	go func() { _, err := s.Refresh(ctx, testOpts(), -1); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("refresh ran while the lock was held: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if _, _, err := s.ResolveCurrent(); !errors.Is(err, ErrNoCurrent) {
		t.Fatal("nothing may be written while the lock is held")
	}
	l.Unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("waiting refresh never ran")
	}
	// Waiting stops when the context ends.
	l, _ = s.Lock(ctx, 0, "again")
	defer l.Unlock()
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := s.Refresh(cctx, testOpts(), -1); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want deadline exceeded, got %v", err)
	}
}

func TestWriteErrExplainsReadOnlyVolume(t *testing.T) {
	t.Parallel()
	err := writeErr(&os.PathError{Op: "mkdir", Path: "/data/embeddings/versions", Err: syscall.EROFS})
	if !errors.Is(err, syscall.EROFS) || !strings.Contains(err.Error(), "mounted read-only here") {
		t.Fatalf("got %v", err)
	}
}

func TestIndexLinesAreWhatEncodingJSONWrites(t *testing.T) {
	t.Parallel()
	type line struct {
		ID     string `json:"id"`
		Row    int    `json:"row"`
		Shard  int    `json:"shard"`
		Source string `json:"source"`
	}
	for _, id := range []string{"doc-000001", "notes/ünïcode.md", `a "quoted" \ path`, "tab\there", "<tag>&amp;", ""} {
		want, _ := json.Marshal(line{ID: id, Row: 7, Shard: 3, Source: "input"})
		if got := string(appendIndexLine(nil, id, 7, 3, "input")); got != string(want)+"\n" {
			t.Errorf("id %q: got %s, want %s", id, got, want)
		}
	}
}
