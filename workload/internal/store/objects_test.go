package store

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// sharingOpts makes versions whose shards are the same unless ChangeFraction says
// otherwise; grace 0 lets retention delete at once.
func sharingOpts() RefreshOptions {
	return RefreshOptions{Docs: 400, Dim: 16, Shards: 20, Seed: 7, Keep: 3}
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// objectNames lists the objects on the volume, sorted; temporary files count too, so a
// leftover shows.
func objectNames(t *testing.T, s *Store) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(s.Root, ObjectsDir))
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// referenced is the sorted set of sha256 the data files of the given versions hold.
func referenced(t *testing.T, s *Store, ids ...string) []string {
	t.Helper()
	set := map[string]bool{}
	for _, id := range ids {
		m, _, err := Verify(s.VersionDir(id), id, true)
		if err != nil {
			t.Fatalf("verify %s: %v", id, err)
		}
		for _, f := range m.Files {
			set[f.SHA256] = true
		}
	}
	out := []string{}
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func dataBytes(m *Manifest) int64 {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return n
}

func TestUnchangedFilesAreLinkedToTheEarlierVersionsBytesNotRewritten(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	clock := fakeClock(s)
	first := mustRefresh(t, s, sharingOpts())
	if first.Written != dataBytes(first.Manifest) || first.Reused != 0 {
		t.Fatalf("first version: written %d, reused %d; want all %d written", first.Written, first.Reused, dataBytes(first.Manifest))
	}
	*clock = clock.Add(time.Minute)
	second := mustRefresh(t, s, sharingOpts())
	if second.Written != 0 || second.Reused != dataBytes(second.Manifest) {
		t.Fatalf("same content again: written %d, reused %d; want nothing written", second.Written, second.Reused)
	}
	for _, f := range second.Manifest.Files {
		a, b := filepath.Join(s.VersionDir(first.Version), f.Name), filepath.Join(s.VersionDir(second.Version), f.Name)
		if inode(t, a) != inode(t, b) {
			t.Errorf("%s: the second version has its own copy, want the first version's file", f.Name)
		}
	}
	if _, _, err := Verify(s.VersionDir(second.Version), second.Version, true); err != nil {
		t.Fatal(err)
	}
}

func TestAChangedFractionWritesOnlyThatFractionOfTheBytes(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	clock := fakeClock(s)
	first := mustRefresh(t, s, sharingOpts())
	o := sharingOpts()
	o.ChangeFraction = 0.05 // one shard of 20
	*clock = clock.Add(time.Minute)
	second := mustRefresh(t, s, o)
	shard := first.Manifest.Files[0].Size
	if second.Written != shard {
		t.Fatalf("written %d bytes, want one shard's %d (total %d)", second.Written, shard, dataBytes(second.Manifest))
	}
	var same, changed int
	for i, f := range second.Manifest.Files {
		if f.SHA256 == first.Manifest.Files[i].SHA256 {
			same++
			if inode(t, filepath.Join(s.VersionDir(first.Version), f.Name)) != inode(t, filepath.Join(s.VersionDir(second.Version), f.Name)) {
				t.Errorf("%s is unchanged but not shared", f.Name)
			}
		} else {
			changed++
		}
	}
	if changed != 1 || same != 20 { // 19 shards and docs.jsonl
		t.Fatalf("changed %d, same %d; want 1 and 20", changed, same)
	}
}

func TestRetentionKeepsTheObjectsOfKeptVersionsAndDeletesTheRest(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	clock := fakeClock(s)
	o := sharingOpts()
	o.ChangeFraction = 0.25
	o.Keep, o.Grace = 2, 0
	var ids []string
	for i := 0; i < 4; i++ {
		*clock = clock.Add(time.Minute)
		ids = append(ids, mustRefresh(t, s, o).Version)
	}
	if exists(t, s, ids[0]) || exists(t, s, ids[1]) {
		t.Fatalf("retention kept %v", ids[:2])
	}
	if got, want := objectNames(t, s), referenced(t, s, ids[2], ids[3]); !reflect.DeepEqual(got, want) {
		t.Fatalf("objects %d, want exactly the %d the two kept versions hold", len(got), len(want))
	}
	o.Keep = 1
	if _, _, err := s.Prune(context.Background(), o.Keep, 0, 0); err != nil {
		t.Fatal(err)
	}
	if got, want := objectNames(t, s), referenced(t, s, ids[3]); !reflect.DeepEqual(got, want) {
		t.Fatalf("after keeping one: objects %d, want the %d current holds", len(got), len(want))
	}
	if _, err := s.ReadCurrent(); err != nil {
		t.Fatalf("current after retention: %v", err)
	}
}

func TestACrashedRefreshLeavesNoPartialObjectAndItsObjectsAreCollected(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	clock := fakeClock(s)
	o := sharingOpts()
	o.Grace = 0
	first := mustRefresh(t, s, o).Version

	// A run that dies after 3 new shards, and a write that died half-way through an object.
	crash := o
	crash.ChangeFraction, crash.FailAfterShards = 1, 3
	*clock = clock.Add(time.Minute)
	if _, err := s.Refresh(context.Background(), crash, 0); err == nil {
		t.Fatal("want the simulated failure")
	}
	partial := filepath.Join(s.Root, ObjectsDir, "."+strings.Repeat("ab", 32)+".tmp-123")
	if err := os.WriteFile(partial, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Objects are written a few shards ahead of the links, so there may be more than 3.
	if n, err := s.VerifyObjects(); err != nil || n < len(referenced(t, s, first))+3 {
		t.Fatalf("after the crash: %d objects verify (%v); want every object complete, the first version's and at least 3 new", n, err)
	}
	if currentID(t, s) != first {
		t.Fatal("the crash moved current")
	}

	*clock = clock.Add(time.Minute)
	next := mustRefresh(t, s, o).Version
	if got, want := objectNames(t, s), referenced(t, s, first, next); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the next refresh: objects %v, want only those kept versions hold %v", got, want)
	}
	if len(leftovers(t, s)) != 0 {
		t.Fatalf("leftovers %v", leftovers(t, s))
	}
}

func TestRollbackToAVersionThatSharesFiles(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	clock := fakeClock(s)
	o := sharingOpts()
	o.ChangeFraction = 0.25
	first := mustRefresh(t, s, o).Version
	*clock = clock.Add(time.Minute)
	second := mustRefresh(t, s, o).Version
	*clock = clock.Add(time.Minute)
	if _, err := s.Rollback(context.Background(), first, 0, Checkpoints{}); err != nil {
		t.Fatal(err)
	}
	rd, err := s.ReadCurrent()
	if err != nil || rd.Version != first {
		t.Fatalf("after rollback read %v, %v; want %s", rd, err, first)
	}
	// Retention keeps current (the older one) and the newest, and every object of both.
	*clock = clock.Add(time.Hour)
	if _, _, err := s.Prune(context.Background(), 1, time.Minute, 0); err != nil {
		t.Fatal(err)
	}
	if got, want := objectNames(t, s), referenced(t, s, first, second); !reflect.DeepEqual(got, want) {
		t.Fatalf("objects %d, want the %d current and the newest hold", len(got), len(want))
	}
	if rd, err := s.ReadCurrent(); err != nil || rd.Version != first {
		t.Fatalf("after retention read %v, %v; want %s", rd, err, first)
	}
}

// writeOldLayout turns a version into what versions were before objects: plain files of
// its own, and no objects on the volume.
func writeOldLayout(t *testing.T, s *Store, id string) {
	t.Helper()
	dir := s.VersionDir(id)
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(filepath.Join(s.Root, ObjectsDir)); err != nil {
		t.Fatal(err)
	}
}

func TestVersionsFromBeforeObjectsAreReadSharedAndPruned(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	clock := fakeClock(s)
	o := sharingOpts()
	o.Keep, o.Grace = 1, 0
	old := mustRefresh(t, s, o).Version
	o.ChangeFraction = 0.25
	writeOldLayout(t, s, old)
	if _, err := s.ReadCurrent(); err != nil {
		t.Fatalf("an old-layout version does not read: %v", err)
	}
	oldInodes := map[string]uint64{}
	m, _, _ := Verify(s.VersionDir(old), old, true)
	for _, f := range m.Files {
		oldInodes[f.SHA256] = inode(t, filepath.Join(s.VersionDir(old), f.Name))
	}

	*clock = clock.Add(time.Minute)
	r := mustRefresh(t, s, o)
	shared := 0
	for _, f := range r.Manifest.Files {
		if ino, ok := oldInodes[f.SHA256]; ok {
			if inode(t, filepath.Join(s.VersionDir(r.Version), f.Name)) != ino {
				t.Errorf("%s is unchanged since the old-layout version but was written again", f.Name)
			}
			shared++
		}
	}
	if shared != 16 || r.Written != dataBytes(r.Manifest)-r.Reused || r.Reused == 0 {
		t.Fatalf("shared %d files (want 15 shards and docs.jsonl), written %d, reused %d", shared, r.Written, r.Reused)
	}
	if exists(t, s, old) {
		t.Fatal("retention (keep 1, grace 0) kept the old-layout version")
	}
	if got, want := objectNames(t, s), referenced(t, s, r.Version); !reflect.DeepEqual(got, want) {
		t.Fatalf("objects %d, want the %d current holds", len(got), len(want))
	}
}

func TestAVolumeWithoutHardLinksGetsWholeVersions(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	clock := fakeClock(s)
	s.sys.link = func(string, string) error { return &os.LinkError{Op: "link", Err: syscall.EPERM} }
	first := mustRefresh(t, s, sharingOpts())
	*clock = clock.Add(time.Minute)
	second := mustRefresh(t, s, sharingOpts())
	if second.Written != dataBytes(second.Manifest) || second.Reused != 0 {
		t.Fatalf("written %d, reused %d; want a whole version written", second.Written, second.Reused)
	}
	for _, id := range []string{first.Version, second.Version} {
		if _, _, err := Verify(s.VersionDir(id), id, true); err != nil {
			t.Fatal(err)
		}
	}
	if got := objectNames(t, s); len(got) != 0 {
		t.Fatalf("objects left on a volume without links: %v", got)
	}
}

func TestAheadGivesResultsInOrderAndStopWaitsForRunningWork(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	finished := 0
	next, stop := ahead(50, 3, func(i int) int {
		time.Sleep(time.Millisecond)
		mu.Lock()
		finished++
		mu.Unlock()
		return i * i
	})
	for i := 0; i < 10; i++ {
		if got := next(i); got != i*i {
			t.Fatalf("result %d is %d, want %d", i, got, i*i)
		}
	}
	stop()
	mu.Lock()
	after := finished
	mu.Unlock()
	time.Sleep(20 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if finished != after || finished > 10+3+1 {
		t.Fatalf("work went on after stop (%d then %d) or ran too far ahead", after, finished)
	}
}
