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
	noLinks bool
	logf    func(string, ...any)
	link    func(oldname, newname string) error
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

// put makes dir/name hold data: a hard link to the object with data's sha256, written
// first if no object holds it yet. An object is complete (written from the bytes its
// name is the hash of, fsynced, renamed into place, directory fsynced) before it is
// linked, so a version never references a partial object whatever the moment of a crash.
func (o *objects) put(dir, name string, data []byte) (FileEntry, error) {
	sum := sha256.Sum256(data)
	fe := FileEntry{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
	path := filepath.Join(dir, name)
	if o.noLinks {
		o.Written += fe.Size
		return fe, atomicfile.Write(path, data, 0o644)
	}
	obj := filepath.Join(o.dir, fe.SHA256)
	reused, err := o.have(obj, fe)
	if err != nil {
		return fe, err
	}
	if !reused {
		if err := atomicfile.Write(obj, data, 0o644); err != nil {
			return fe, err
		}
	}
	if err := o.link(obj, path); err != nil {
		if !linkUnsupported(err) {
			return fe, err
		}
		o.noLinks = true
		o.logf("warning: the embeddings volume refuses hard links (%v): writing whole versions, without sharing unchanged files", err)
		os.Remove(obj)
		o.Written += fe.Size
		return fe, atomicfile.Write(path, data, 0o644)
	}
	if reused {
		o.Reused += fe.Size
	} else {
		o.Written += fe.Size
	}
	return fe, nil
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
	old, ok := o.adoptable[fe.SHA256]
	if !ok {
		return false, nil
	}
	delete(o.adoptable, fe.SHA256)
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
	return true, atomicfile.SyncDir(o.dir)
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
