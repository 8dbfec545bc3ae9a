package store

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"agent-storage/workload/internal/atomicfile"
)

// servedVersion is the version current names: "" when it names none (no link yet, or
// one that does not point into versions/), an error when the link cannot be read, since
// then nobody can tell which version the readers read.
func (s *Store) servedVersion() (string, error) {
	id, _, err := s.ResolveCurrent()
	if errors.Is(err, ErrNoCurrent) || errors.Is(err, ErrCorrupt) {
		return "", nil
	}
	return id, err
}

// switchCurrent points current at versions/<id> atomically: a new symlink under a
// temporary name, renamed over current (rename(2) replaces it in one step), then the
// directory is fsynced. The version being replaced gets its mtime set to now first: that
// is when it stops being served, and retention counts the grace period from it. If that
// fails, nothing is switched.
func (s *Store) switchCurrent(id string) error {
	old, err := s.servedVersion()
	if err != nil {
		return fmt.Errorf("cannot tell which version is current, to mark it retired: %w", err)
	}
	if old == id {
		return nil
	}
	if old != "" {
		now := s.now()
		if err := s.chtimes(s.VersionDir(old), now, now); err != nil && !errors.Is(err, fs.ErrNotExist) {
			// Without the mark the version would look retired since it was made, and the
			// next retention could delete it under the readers still reading it.
			return fmt.Errorf("cannot mark %s as retired now, so current stays on it: %w", old, writeErr(err))
		}
	}
	if err := atomicfile.Symlink(filepath.Join(VersionsDir, id), filepath.Join(s.Root, CurrentLink)); err != nil {
		return writeErr(err)
	}
	return nil
}
