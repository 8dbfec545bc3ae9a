// Package atomicfile replaces files so that a reader sees the old content or the new,
// never a part, and a crash leaves one of the two on disk: write a temporary file beside
// the target, fsync it, rename(2) it over the target, fsync the directory.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// tempSuffix marks the temporary file Write makes beside the target, named
// "." + base + ".tmp-" + random. A crash can leave one behind; it is never read.
const tempSuffix = ".tmp-"

// TempPattern is the os.CreateTemp pattern of path's temporary files.
func TempPattern(path string) string { return "." + filepath.Base(path) + tempSuffix + "*" }

// Write replaces path with data (mode perm) atomically and durably.
func Write(path string, data []byte, perm os.FileMode) error {
	if err := Replace(path, data, perm); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// Replace is Write without the directory's fsync: the content is durable before the
// name appears, but the name may not survive a crash until the caller fsyncs the
// directory (SyncDir), once for many files, before anything depends on them.
func Replace(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, TempPattern(path))
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err := fill(f, data, perm); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

func fill(f *os.File, data []byte, perm os.FileMode) error {
	_, err := f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		if err = f.Sync(); err != nil {
			err = fmt.Errorf("fsync %s: %w", f.Name(), err)
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Symlink points the symbolic link path at target atomically and durably: a new link
// under a temporary name, renamed over path (a reader's readlink gives the old target
// or the new one, never an error), then the directory fsynced.
func Symlink(target, path string) error {
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, strings.TrimSuffix(TempPattern(path), "*")+randomSuffix())
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return SyncDir(dir)
}

func randomSuffix() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// SyncDir fsyncs a directory, so that the renames and links made in it survive a crash.
// File systems that cannot fsync a directory (EINVAL) are taken as having nothing to do.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}
