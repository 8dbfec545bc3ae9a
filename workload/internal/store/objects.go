package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"agent-storage/workload/internal/atomicfile"
)

// ObjectsDir holds one file per distinct content a version has held, named by its
// sha256. A version's files are hard links to these objects, so a file unchanged since
// an earlier version takes its disk space once, and readers still open
// versions/<id>/<name> as they always did.
const ObjectsDir = "objects"

// objects writes and reuses content-addressed objects during one refresh.
type objects struct {
	dir string
	// adoptable maps a sha256 to a file of an existing version that is not an object yet
	// (written before objects existed): reusing it first makes it one.
	adoptable map[string]string
	// noLinks: the file system refused a hard link, so the rest of the run writes
	// plain files, as versions were written before objects.
	noLinks atomic.Bool
	logf    func(string, ...any)
	link    func(oldname, newname string) error
	mu      sync.Mutex // guards adoptable and dirty: objects are stored from several goroutines
	// dirty: objects were named since the last fsync of the objects directory.
	dirty bool
	// Written and Reused count the bytes of files written anew and of files linked to
	// an object that already held their content.
	Written, Reused int64
}

func (s *Store) objects(vs []VersionInfo) (*objects, error) {
	o := &objects{dir: filepath.Join(s.Root, ObjectsDir), adoptable: map[string]string{}, logf: s.logf, link: s.link}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return nil, writeErr(err)
	}
	for _, v := range vs {
		if !v.Complete || v.Manifest == nil {
			continue
		}
		for _, f := range v.Manifest.Files {
			if validSum(f.SHA256) && ValidID(f.Name) {
				o.adoptable[f.SHA256] = filepath.Join(s.VersionDir(v.ID), f.Name)
			}
		}
	}
	return o, nil
}

func validSum(sum string) bool {
	if len(sum) != sha256.Size*2 {
		return false
	}
	_, err := hex.DecodeString(sum)
	return err == nil && strings.ToLower(sum) == sum
}

// stored is one file's content, held by an object (unless the volume refuses links).
type stored struct {
	data   []byte
	fe     FileEntry // size and sha256; the name is given when it is placed
	obj    string    // the object's path ("" when there is none)
	reused bool      // the object held this content before
	err    error
}

// store makes an object hold data, whose sha256 is sum: the existing one, or a new one
// written from these bytes, fsynced, then renamed into place, so an object is complete
// under its name whatever the moment of a crash. The names are fsynced once, before the
// manifest (see sync). Safe for concurrent use.
func (o *objects) store(data []byte, sum [sha256.Size]byte) stored {
	st := stored{data: data, fe: FileEntry{Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}}
	if o.noLinks.Load() {
		return st
	}
	obj := filepath.Join(o.dir, st.fe.SHA256)
	st.reused, st.err = o.have(obj, st.fe)
	if st.err == nil && !st.reused {
		st.err = atomicfile.Replace(obj, data, 0o644)
		o.mu.Lock()
		o.dirty = true
		o.mu.Unlock()
	}
	if st.err == nil {
		st.obj = obj
	}
	return st
}

// place makes dir/name a hard link to st's object, or a file of its own where the
// volume refuses links. One goroutine places a version's files, in order.
func (o *objects) place(dir, name string, st stored) (FileEntry, error) {
	fe := st.fe
	fe.Name = name
	if st.err != nil {
		return fe, st.err
	}
	path := filepath.Join(dir, name)
	if st.obj != "" && !o.noLinks.Load() {
		err := o.link(st.obj, path)
		if err == nil {
			if st.reused {
				o.Reused += fe.Size
			} else {
				o.Written += fe.Size
			}
			return fe, nil
		}
		if !linkUnsupported(err) {
			return fe, err
		}
		// The objects written for nothing have no other link: retention removes them.
		o.noLinks.Store(true)
		o.logf("warning: the embeddings volume refuses hard links (%v): writing whole versions, without sharing unchanged files", err)
	}
	o.Written += fe.Size
	return fe, atomicfile.Replace(path, st.data, 0o644)
}

// have reports whether obj holds fe's content, making one from an older version's file
// of that content if there is one. An object exists under its name only once complete,
// so its size is checked, not its bytes (every reader checks those on every read).
func (o *objects) have(obj string, fe FileEntry) (bool, error) {
	fi, err := os.Stat(obj)
	if err == nil {
		return fi.Mode().IsRegular() && fi.Size() == fe.Size, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	o.mu.Lock()
	old, ok := o.adoptable[fe.SHA256]
	delete(o.adoptable, fe.SHA256)
	o.mu.Unlock()
	if !ok {
		return false, nil
	}
	// A file from before objects is read once, in full, before it is shared.
	if n, sum, err := readFile(os.Open, old, true); err != nil || n != fe.Size || sum != fe.SHA256 {
		return false, nil
	}
	tmp := filepath.Join(o.dir, "."+fe.SHA256+".adopt-"+randHex(4))
	if err := o.link(old, tmp); err != nil {
		return false, nil
	}
	if err := os.Rename(tmp, obj); err != nil {
		os.Remove(tmp)
		return false, err
	}
	o.mu.Lock()
	o.dirty = true
	o.mu.Unlock()
	return true, nil
}

// sync makes the names of the objects written so far survive a crash. Losing one would
// cost no data (each version's own link holds its bytes, fsynced before they were
// named), only the sharing: the next refresh would write that content again. The refresh
// calls it once, before the manifest.
func (o *objects) sync() error {
	o.mu.Lock()
	dirty := o.dirty
	o.dirty = false
	o.mu.Unlock()
	if !dirty {
		return nil
	}
	return atomicfile.SyncDir(o.dir)
}

func linkUnsupported(err error) bool {
	return errors.Is(err, syscall.EXDEV) || errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) ||
		errors.Is(err, syscall.EMLINK) || errors.Is(err, syscall.ENOSYS)
}

// collectObjects deletes the objects no version holds any more: an object whose only
// link is its own name. A version's hard link keeps the content whatever happens to the
// object's name, so this can never take bytes from a version, kept or not; it only frees
// what nothing references (the files of deleted versions, and those a crashed refresh
// wrote before its temporary directory was removed). Temporary files of interrupted
// object writes go too. The caller holds the lock.
func (s *Store) collectObjects() (removed int, freed int64, err error) {
	dir := filepath.Join(s.Root, ObjectsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, 0, nil
		}
		return 0, 0, err
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, ".") && !validSum(name) {
			continue // not ours
		}
		fi, err := e.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return removed, freed, err
		}
		if !strings.HasPrefix(name, ".") && links(fi) > 1 {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, freed, writeErr(err)
		}
		removed++
		freed += fi.Size()
	}
	if removed > 0 {
		err = atomicfile.SyncDir(dir)
	}
	return removed, freed, err
}

// links is a file's hard-link count (1 where the file system does not say).
func links(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// VerifyObjects checks that every object's content has the sha256 it is named by. It
// reads every object; a refresh never needs it (readers verify the versions' files), it
// is for tests and for checking a volume by hand.
func (s *Store) VerifyObjects() (int, error) {
	dir := filepath.Join(s.Root, ObjectsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, nil
		}
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if !validSum(e.Name()) {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return n, err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return n, err
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != e.Name() {
			return n, fmt.Errorf("%w: object %s holds content with sha256 %s", ErrCorrupt, short(e.Name()), short(got))
		}
		n++
	}
	return n, nil
}
