package store

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const testBlock = 4096

// usage is what the tree under root takes on a file system of testBlock blocks.
func usage(t *testing.T, root string) int64 {
	t.Helper()
	var n int64
	seen := map[uint64]bool{} // a file with several hard links takes its blocks once
	err := filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			n += testBlock
		} else if d.Type().IsRegular() {
			fi, err := d.Info()
			if err != nil {
				return err
			}
			if ino := fi.Sys().(*syscall.Stat_t).Ino; !seen[ino] {
				seen[ino] = true
				n += (fi.Size() + testBlock - 1) / testBlock * testBlock
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// smallVolume makes the store's file system hold capacity bytes, of which the files
// under the root use what they use: a claim of that size, as the refresher sees it.
func smallVolume(t *testing.T, s *Store, capacity int64) {
	s.sys.statfs = func(string) (space, error) {
		return space{Total: capacity, Free: capacity - usage(t, s.Root), Block: testBlock}, nil
	}
}

// A claim too small for keep versions and the one being written fails every refresh up
// front with one line that says how many bytes are needed and which setting to change,
// instead of running out of space half-way.
func TestRefreshRefusesAVolumeTooSmallForKeepPlusOne(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	o := testOpts() // keep 3
	first := mustRefresh(t, s, o).Version
	one := usage(t, s.VersionDir(first))
	capacity := 3*one + one/2 // three versions fit, four do not
	smallVolume(t, s, capacity)

	_, err := s.Refresh(context.Background(), o, 0)
	if err == nil {
		t.Fatal("a refresh that needs 4 versions' room on a volume for 3.5 succeeded")
	}
	msg := err.Error()
	for _, want := range []string{
		strconv.FormatInt(4*one, 10) + " bytes", strconv.FormatInt(capacity, 10),
		"agent-storage:embeddingsSize", "agent-storage:keepVersions", "to 2",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	if vs, _ := s.List(); len(vs) != 1 || currentID(t, s) != first || len(leftovers(t, s)) != 0 {
		t.Errorf("the refused refresh left %d versions, current %s, leftovers %v", len(vs), currentID(t, s), leftovers(t, s))
	}
	// Keeping two, the same volume is big enough.
	o.Keep = 2
	mustRefresh(t, s, o)
}

// Retired versions within their grace period hold space too. When they leave too little
// for the next version, the refresh says so in one line; once their grace has passed,
// the next refresh deletes them before it writes, so keep+1 versions' room is enough
// even with keep 1.
func TestRefreshMakesRoomBeforeWriting(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	clock := fakeClock(s)
	o := testOpts()
	o.Keep, o.Grace = 1, time.Hour
	first := mustRefresh(t, s, o).Version
	one := usage(t, s.VersionDir(first))
	smallVolume(t, s, 2*one+one/2)

	*clock = clock.Add(time.Minute)
	second := mustRefresh(t, s, o).Version // first is retired, within its grace
	*clock = clock.Add(time.Minute)
	_, err := s.Refresh(context.Background(), o, 0)
	if err == nil || !strings.Contains(err.Error(), "grace") || !strings.Contains(err.Error(), "free") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("want a one-line error about free space held within the grace period, got %v", err)
	}
	if currentID(t, s) != second || len(leftovers(t, s)) != 0 {
		t.Fatalf("current %s, leftovers %v", currentID(t, s), leftovers(t, s))
	}
	*clock = clock.Add(time.Hour)
	r := mustRefresh(t, s, o)
	if !exists(t, s, second) || exists(t, s, first) || strings.Join(r.Deleted, ",") != first {
		t.Fatalf("deleted %v; want the first version deleted to make room, the second kept in its grace", r.Deleted)
	}
}

func TestWriteErrExplainsFullVolume(t *testing.T) {
	t.Parallel()
	err := writeErr(&os.PathError{Op: "write", Path: "/data/embeddings/versions/.tmp-x/shard-0000.f32", Err: syscall.ENOSPC})
	if !strings.Contains(err.Error(), "agent-storage:embeddingsSize") || !strings.Contains(err.Error(), "agent-storage:keepVersions") {
		t.Fatalf("got %v", err)
	}
}
