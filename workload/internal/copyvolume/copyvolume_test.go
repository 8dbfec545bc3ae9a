package copyvolume

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"agent-storage/workload/internal/store"
)

// sourceStore makes an embeddings volume with the store's own refresh: three versions
// that share most shards through objects, plus what a live volume also holds and a copy
// must leave behind (the lock, a refresh in progress, a half-made current link, an object
// no version references any more, lost+found).
func sourceStore(t *testing.T) *store.Store {
	t.Helper()
	s := store.New(filepath.Join(t.TempDir(), "src"))
	if err := os.Mkdir(s.Root, 0o755); err != nil {
		t.Fatal(err)
	}
	o := store.RefreshOptions{Docs: 400, Dim: 16, Shards: 20, Seed: 7, Keep: 3, ChangeFraction: 0.25}
	for i := 0; i < 3; i++ {
		if _, err := s.Refresh(context.Background(), o, 0); err != nil {
			t.Fatalf("refresh: %v", err)
		}
	}
	for _, d := range []string{"versions/.tmp-20990101T000000.000Z-aaaaaa", "versions/.del-20000101T000000.000Z-bbbbbb", "lost+found"} {
		mkdir(t, filepath.Join(s.Root, d))
	}
	write(t, filepath.Join(s.Root, "versions/.tmp-20990101T000000.000Z-aaaaaa/shard-0000.f32"), "half a shard")
	write(t, filepath.Join(s.Root, store.ObjectsDir, strings.Repeat("ab", 32)), "an object no version holds")
	if err := os.Symlink("versions/nowhere", filepath.Join(s.Root, ".current.tmp-1234abcd")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Root, store.LockName)); err != nil {
		t.Fatalf("the source should hold the refresh lock file: %v", err)
	}
	return s
}

func mkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func write(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func dest(t *testing.T) string { return filepath.Join(t.TempDir(), "dst") }

func mustCopy(t *testing.T, o Options) *Result {
	t.Helper()
	o.Logf = t.Logf
	r, err := Copy(o)
	if err != nil {
		t.Fatalf("copy: %v", err)
	}
	return r
}

func readMarker(t *testing.T, dir string) Marker {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, MarkerName))
	if err != nil {
		t.Fatal(err)
	}
	var m Marker
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func ino(t *testing.T, p string) uint64 {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// regularFiles lists the regular files under root (relative paths), skipping the marker.
func regularFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && d.Name() != MarkerName {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// shape groups paths by inode: the sorted groups of paths that are one file.
func shape(t *testing.T, root string, paths []string) [][]string {
	t.Helper()
	by := map[uint64][]string{}
	for _, p := range paths {
		i := ino(t, filepath.Join(root, p))
		by[i] = append(by[i], p)
	}
	var out [][]string
	for _, g := range by {
		sort.Strings(g)
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// mtimes records the modification time of every entry under root, the marker included.
func mtimes(t *testing.T, root string) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		out[p] = fi.ModTime()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// flipByte changes one byte of a file in place, keeping its size (and so every hard link
// of it changes too).
func flipByte(t *testing.T, p string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, 0); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, 0); err != nil {
		t.Fatal(err)
	}
}

func TestEmbeddingsCopy(t *testing.T) {
	t.Run("copies the complete versions, verifies them in the destination and points current at the same version", func(t *testing.T) {
		src := sourceStore(t)
		to := dest(t)
		vs, err := src.List()
		if err != nil {
			t.Fatal(err)
		}
		want := store.Complete(vs)
		cur, _, _ := src.ResolveCurrent()
		r := mustCopy(t, Options{From: src.Root, To: to, Layout: Embeddings})

		if !reflect.DeepEqual(r.Versions, want) || len(want) != 3 || r.Current != cur {
			t.Fatalf("copied versions %v current %s, want %v current %s", r.Versions, r.Current, want, cur)
		}
		dst := store.New(to)
		for _, id := range want {
			if _, _, err := store.Verify(dst.VersionDir(id), id, true); err != nil {
				t.Errorf("version %s in the copy: %v", id, err)
			}
		}
		if got, _, err := dst.ResolveCurrent(); err != nil || got != cur {
			t.Errorf("current in the copy = %q, %v; want %s", got, err, cur)
		}
		if target, _ := os.Readlink(filepath.Join(to, store.CurrentLink)); target != filepath.Join(store.VersionsDir, cur) {
			t.Errorf("current -> %q, want the relative %s", target, filepath.Join(store.VersionsDir, cur))
		}
		if m := readMarker(t, to); m.State != StateDone || m.Current != cur || !reflect.DeepEqual(m.Versions, want) || m.FinishedAt == nil {
			t.Errorf("marker %+v, want done with the versions and current copied", m)
		}
	})

	t.Run("keeps the source's hard links, copies only referenced objects and nothing in progress", func(t *testing.T) {
		src := sourceStore(t)
		to := dest(t)
		r := mustCopy(t, Options{From: src.Root, To: to, Layout: Embeddings})

		got := regularFiles(t, to)
		for _, p := range got {
			if strings.Contains(p, ".tmp-") || strings.Contains(p, ".del-") || strings.Contains(p, "lost+found") || p == store.LockName {
				t.Errorf("copied %s, which is not part of a complete version", p)
			}
		}
		var wantPaths []string
		for _, p := range regularFiles(t, src.Root) {
			if strings.HasPrefix(p, store.VersionsDir+"/2") || (strings.HasPrefix(p, store.ObjectsDir+"/") && !strings.Contains(p, "abab")) {
				wantPaths = append(wantPaths, p)
			}
		}
		if !reflect.DeepEqual(got, wantPaths) {
			t.Fatalf("copied files\n%v\nwant\n%v", got, wantPaths)
		}
		srcShape, dstShape := shape(t, src.Root, wantPaths), shape(t, to, got)
		if !reflect.DeepEqual(srcShape, dstShape) {
			t.Fatalf("files sharing an inode differ:\nsource %v\ncopy   %v", srcShape, dstShape)
		}
		if len(dstShape) >= len(got)/2 {
			t.Fatalf("%d inodes for %d files: the versions should share most shards", len(dstShape), len(got))
		}
		if r.Files != len(dstShape) || r.Links != len(got)-len(dstShape) {
			t.Errorf("counted %d files and %d links, want %d and %d", r.Files, r.Links, len(dstShape), len(got)-len(dstShape))
		}
		var bytes int64
		for _, g := range dstShape {
			fi, _ := os.Stat(filepath.Join(to, g[0]))
			bytes += fi.Size()
		}
		if r.Bytes != bytes {
			t.Errorf("counted %d bytes, the copy's distinct files hold %d", r.Bytes, bytes)
		}
	})

	t.Run("gives the version directories the source's mtimes, which retention measures grace from", func(t *testing.T) {
		src := sourceStore(t)
		to := dest(t)
		old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
		vs, _ := src.List()
		if err := os.Chtimes(src.VersionDir(vs[0].ID), old, old); err != nil {
			t.Fatal(err)
		}
		mustCopy(t, Options{From: src.Root, To: to, Layout: Embeddings})
		fi, err := os.Stat(store.New(to).VersionDir(vs[0].ID))
		if err != nil || !fi.ModTime().Equal(old) {
			t.Fatalf("copied version directory's mtime %v (%v), want %v", fi.ModTime(), err, old)
		}
	})

	t.Run("copies a volume with no versions yet as an empty one without current", func(t *testing.T) {
		from := filepath.Join(t.TempDir(), "src")
		mkdir(t, from)
		to := dest(t)
		r := mustCopy(t, Options{From: from, To: to, Layout: Embeddings})
		if len(r.Versions) != 0 || r.Current != "" {
			t.Fatalf("copied %v current %q from an empty volume", r.Versions, r.Current)
		}
		if _, err := os.Lstat(filepath.Join(to, store.CurrentLink)); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("the copy has a current link: %v", err)
		}
	})

	t.Run("fails, not done, when a source file no longer matches its manifest", func(t *testing.T) {
		src := sourceStore(t)
		to := dest(t)
		_, dir, _ := src.ResolveCurrent()
		flipByte(t, filepath.Join(dir, "shard-0003.f32"))
		_, err := Copy(Options{From: src.Root, To: to, Layout: Embeddings, Logf: t.Logf})
		if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "shard-0003.f32") {
			t.Fatalf("copy of a damaged source: %v, want a mismatch naming the shard", err)
		}
		if m := readMarker(t, to); m.State != StateCopying {
			t.Fatalf("marker state %q after a failed copy, want %q", m.State, StateCopying)
		}
	})

	t.Run("fails when a listed version is deleted while the copy runs", func(t *testing.T) {
		src := sourceStore(t)
		to := dest(t)
		vs, _ := src.List()
		gone := vs[0].ID
		_, err := Copy(Options{From: src.Root, To: to, Layout: Embeddings, Logf: t.Logf,
			afterList: func() { os.RemoveAll(src.VersionDir(gone)) }})
		if !errors.Is(err, ErrSourceChanged) || !strings.Contains(err.Error(), gone) {
			t.Fatalf("copy while %s is pruned: %v, want a source-changed error naming it", gone, err)
		}
		if m := readMarker(t, to); m.State != StateCopying {
			t.Fatalf("marker state %q, want %q", m.State, StateCopying)
		}
	})
}

func TestDestination(t *testing.T) {
	t.Run("refuses a non-empty destination without a marker and leaves it untouched", func(t *testing.T) {
		src := sourceStore(t)
		to := dest(t)
		mkdir(t, filepath.Join(to, "versions"))
		write(t, filepath.Join(to, "versions", "precious"), "someone's data")
		before := mtimes(t, to)
		_, err := Copy(Options{From: src.Root, To: to, Layout: Embeddings})
		if !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), to) || !strings.Contains(err.Error(), "will not be overwritten") {
			t.Fatalf("copy into a volume it did not make: %v", err)
		}
		if after := mtimes(t, to); !reflect.DeepEqual(before, after) {
			t.Fatalf("the destination changed:\nbefore %v\nafter  %v", before, after)
		}
		if b, _ := os.ReadFile(filepath.Join(to, "versions", "precious")); string(b) != "someone's data" {
			t.Fatalf("the destination's file holds %q", b)
		}
	})

	t.Run("refuses a marker it did not write", func(t *testing.T) {
		to := dest(t)
		mkdir(t, to)
		write(t, filepath.Join(to, MarkerName), "not json")
		_, err := Copy(Options{From: sourceStore(t).Root, To: to, Layout: Embeddings})
		if !errors.Is(err, ErrNotOurs) {
			t.Fatalf("copy over a foreign marker: %v", err)
		}
	})

	t.Run("takes a destination holding only lost+found as empty and keeps it", func(t *testing.T) {
		to := dest(t)
		mkdir(t, filepath.Join(to, lostFound))
		mustCopy(t, Options{From: sourceStore(t).Root, To: to, Layout: Embeddings})
		if fi, err := os.Stat(filepath.Join(to, lostFound)); err != nil || !fi.IsDir() {
			t.Fatalf("lost+found: %v", err)
		}
	})

	t.Run("a second run after a finished copy verifies it again and rewrites nothing", func(t *testing.T) {
		src := sourceStore(t)
		to := dest(t)
		first := mustCopy(t, Options{From: src.Root, To: to, Layout: Embeddings})
		before := mtimes(t, to)
		time.Sleep(20 * time.Millisecond)
		again := mustCopy(t, Options{From: src.Root, To: to, Layout: Embeddings})
		if !again.AlreadyDone || again.Bytes != first.Bytes || again.Current != first.Current {
			t.Fatalf("second run %+v, want already done with the first run's figures %+v", again, first)
		}
		if after := mtimes(t, to); !reflect.DeepEqual(before, after) {
			t.Fatalf("the second run changed the destination")
		}
	})

	t.Run("a second run after a finished copy fails if the copy was damaged since", func(t *testing.T) {
		src := sourceStore(t)
		to := dest(t)
		r := mustCopy(t, Options{From: src.Root, To: to, Layout: Embeddings})
		flipByte(t, filepath.Join(store.New(to).VersionDir(r.Current), "shard-0000.f32"))
		if _, err := Copy(Options{From: src.Root, To: to, Layout: Embeddings}); !errors.Is(err, ErrMismatch) {
			t.Fatalf("re-verifying a damaged copy: %v", err)
		}
	})

	t.Run("refuses a finished copy of another layout", func(t *testing.T) {
		src := sourceStore(t)
		to := dest(t)
		mustCopy(t, Options{From: src.Root, To: to, Layout: Embeddings})
		if _, err := Copy(Options{From: src.Root, To: to, Layout: Files}); err == nil || !strings.Contains(err.Error(), "will not be overwritten") {
			t.Fatalf("files copy onto a finished embeddings copy: %v", err)
		}
	})

	t.Run("an interrupted copy's leftovers are removed and the copy made whole", func(t *testing.T) {
		src := sourceStore(t)
		to := dest(t)
		vs, _ := src.List()
		mkdir(t, filepath.Join(to, lostFound))
		if err := writeMarker(to, &Marker{State: StateCopying, From: src.Root, Layout: Embeddings, StartedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		partial := store.New(to).VersionDir(vs[1].ID)
		mkdir(t, partial)
		write(t, filepath.Join(partial, "shard-0000.f32"), "the first bytes of a shard")
		mkdir(t, filepath.Join(to, store.ObjectsDir))
		write(t, filepath.Join(to, store.ObjectsDir, strings.Repeat("cd", 32)), "half an object")

		r := mustCopy(t, Options{From: src.Root, To: to, Layout: Embeddings})
		if r.AlreadyDone || len(r.Versions) != 3 {
			t.Fatalf("rerun %+v, want a whole new copy of 3 versions", r)
		}
		if _, _, err := store.Verify(partial, vs[1].ID, true); err != nil {
			t.Fatalf("the version left partial: %v", err)
		}
		if _, err := os.Stat(filepath.Join(to, store.ObjectsDir, strings.Repeat("cd", 32))); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("the interrupted run's object is still there: %v", err)
		}
		if _, err := os.Stat(filepath.Join(to, lostFound)); err != nil {
			t.Fatalf("lost+found: %v", err)
		}
		if m := readMarker(t, to); m.State != StateDone {
			t.Fatalf("marker %q, want done", m.State)
		}
	})

	t.Run("refuses a destination inside the source", func(t *testing.T) {
		src := sourceStore(t)
		if _, err := Copy(Options{From: src.Root, To: filepath.Join(src.Root, "copy"), Layout: Files}); err == nil || !strings.Contains(err.Error(), "overlap") {
			t.Fatalf("copy into itself: %v", err)
		}
	})
}

// fileTree makes a checkpoints-like tree: nested directories with their own modes,
// files with modes and old mtimes, two names of one file, symlinks, a fifo, lost+found.
func fileTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "src")
	mkdir(t, filepath.Join(root, "runs", "a"))
	mkdir(t, filepath.Join(root, lostFound))
	write(t, filepath.Join(root, lostFound, "found"), "fsck's")
	write(t, filepath.Join(root, "refresh-state.json"), `{"current":"v1"}`)
	write(t, filepath.Join(root, "runs", "a", "step-1.bin"), strings.Repeat("x", 5000))
	write(t, filepath.Join(root, "runs", "run.sh"), "#!/bin/sh\n")
	if err := os.Chmod(filepath.Join(root, "runs", "run.sh"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "refresh-state.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(root, "runs", "a", "step-1.bin"), filepath.Join(root, "latest.bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("runs/a/step-1.bin", filepath.Join(root, "latest")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../gone", filepath.Join(root, "runs", "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "runs", "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2021, 6, 7, 8, 9, 10, 0, time.UTC)
	for _, p := range []string{"refresh-state.json", "runs/a/step-1.bin", "runs/run.sh", "runs/a", "runs"} {
		if err := os.Chtimes(filepath.Join(root, p), old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "runs", "a"), 0o750); err != nil {
		t.Fatal(err)
	}
	return root
}

func TestFilesCopy(t *testing.T) {
	t.Run("copies bytes, modes, mtimes, hard links and symlinks, and skips fifos and lost+found", func(t *testing.T) {
		from := fileTree(t)
		to := dest(t)
		r := mustCopy(t, Options{From: from, To: to, Layout: Files})

		want := []string{"latest.bin", "refresh-state.json", "runs/a/step-1.bin", "runs/run.sh"}
		if got := regularFiles(t, to); !reflect.DeepEqual(got, want) {
			t.Fatalf("copied files %v, want %v", got, want)
		}
		for _, p := range append(want, "runs", "runs/a") {
			s, err1 := os.Lstat(filepath.Join(from, p))
			d, err2 := os.Lstat(filepath.Join(to, p))
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if s.Mode() != d.Mode() || !s.ModTime().Equal(d.ModTime()) || s.Size() != d.Size() && !s.IsDir() {
				t.Errorf("%s: copy %v %v %d, source %v %v %d", p, d.Mode(), d.ModTime(), d.Size(), s.Mode(), s.ModTime(), s.Size())
			}
			if !s.IsDir() {
				sb, _ := os.ReadFile(filepath.Join(from, p))
				db, _ := os.ReadFile(filepath.Join(to, p))
				if string(sb) != string(db) {
					t.Errorf("%s: the copy's bytes differ", p)
				}
			}
		}
		if ino(t, filepath.Join(to, "latest.bin")) != ino(t, filepath.Join(to, "runs/a/step-1.bin")) {
			t.Errorf("latest.bin and runs/a/step-1.bin are one file in the source, two in the copy")
		}
		for link, target := range map[string]string{"latest": "runs/a/step-1.bin", "runs/dangling": "../gone"} {
			if got, err := os.Readlink(filepath.Join(to, link)); err != nil || got != target {
				t.Errorf("symlink %s -> %q (%v), want %q", link, got, err, target)
			}
		}
		for _, p := range []string{"runs/pipe", lostFound} {
			if _, err := os.Lstat(filepath.Join(to, p)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s was copied (%v)", p, err)
			}
		}
		if r.Files != 3 || r.Links != 1 || r.Bytes != int64(5000+len(`{"current":"v1"}`)+len("#!/bin/sh\n")) {
			t.Errorf("counted %d files, %d links, %d bytes", r.Files, r.Links, r.Bytes)
		}
		if m := readMarker(t, to); m.State != StateDone || m.Layout != Files {
			t.Errorf("marker %+v", m)
		}
	})

	t.Run("fails, not done, when a file differs from the source at verification", func(t *testing.T) {
		from := fileTree(t)
		to := dest(t)
		_, err := Copy(Options{From: from, To: to, Layout: Files, Logf: t.Logf,
			beforeVerify: func() { flipByte(t, filepath.Join(from, "runs", "run.sh")) }})
		if !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "runs/run.sh") {
			t.Fatalf("verify after the source changed: %v", err)
		}
		if m := readMarker(t, to); m.State != StateCopying {
			t.Fatalf("marker state %q, want %q", m.State, StateCopying)
		}
	})

	t.Run("a second run after a finished copy rewrites nothing", func(t *testing.T) {
		from := fileTree(t)
		to := dest(t)
		mustCopy(t, Options{From: from, To: to, Layout: Files})
		before := mtimes(t, to)
		if r := mustCopy(t, Options{From: from, To: to, Layout: Files}); !r.AlreadyDone {
			t.Fatalf("second run %+v, want already done", r)
		}
		if after := mtimes(t, to); !reflect.DeepEqual(before, after) {
			t.Fatalf("the second run changed the destination")
		}
	})
}
