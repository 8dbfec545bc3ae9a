package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"agent-storage/workload/internal/atomicfile"
)

// Prune applies retention under the lock: see prune.
func (s *Store) Prune(ctx context.Context, keep int, grace, lockWait time.Duration) (deleted, deferred []string, err error) {
	if keep < 1 {
		return nil, nil, fmt.Errorf("--keep must be at least 1 (got %d)", keep)
	}
	l, err := s.Lock(ctx, lockWait, "prune")
	if err != nil {
		return nil, nil, err
	}
	defer l.Unlock()
	if _, err := s.cleanup(); err != nil {
		return nil, nil, err
	}
	return s.prune(keep, grace)
}

// prune keeps current and the newest keep complete versions, and every version it
// could not read (returning an error that names them): an I/O or permission error says
// nothing about whether a version is complete. Every other version directory (older
// complete ones, and incomplete ones) is deleted once it has been retired for longer
// than grace: its mtime, set when it stopped being current, is older than now-grace. A
// reader that resolved current just before a switch therefore has grace to finish.
// Deletion renames the directory to .del-<id> first, so a half-deleted version never
// looks like a version. Then the objects no version links to any more are deleted (see
// collectObjects).
func (s *Store) prune(keep int, grace time.Duration) (deleted, deferred []string, err error) {
	vs, err := s.List()
	if err != nil {
		return nil, nil, err
	}
	cur, err := s.servedVersion()
	if err != nil {
		return nil, nil, fmt.Errorf("deleted nothing: cannot tell which version is current, and readers read it whatever its age: %w", err)
	}
	keepSet := map[string]bool{}
	if cur != "" {
		keepSet[cur] = true
	}
	complete := Complete(vs)
	for i := len(complete) - 1; i >= 0 && len(complete)-i <= keep; i-- {
		keepSet[complete[i]] = true
	}
	now := s.now()
	var unreadable []string
	for _, v := range vs {
		if keepSet[v.ID] {
			continue
		}
		if v.Unreadable {
			unreadable = append(unreadable, v.Problem)
			continue
		}
		if age := now.Sub(v.RetiredAt); age < grace {
			deferred = append(deferred, v.ID)
			s.logf("retention: keeping %s for %s more (grace %s)", v.ID, (grace - age).Round(time.Second), grace)
			continue
		}
		del := filepath.Join(s.Root, VersionsDir, delPrefix+v.ID)
		if err := os.Rename(s.VersionDir(v.ID), del); err != nil {
			return deleted, deferred, writeErr(err)
		}
		if err := os.RemoveAll(del); err != nil {
			return deleted, deferred, writeErr(err)
		}
		deleted = append(deleted, v.ID)
		s.logf("retention: deleted %s", v.ID)
	}
	if len(deleted) > 0 {
		if err := atomicfile.SyncDir(filepath.Join(s.Root, VersionsDir)); err != nil {
			return deleted, deferred, err
		}
	}
	// The files of the versions just deleted (and of a crashed run's leftovers, removed
	// before) may have been the last links to some objects.
	if n, freed, err := s.collectObjects(); err != nil {
		return deleted, deferred, fmt.Errorf("remove objects no version holds: %w", err)
	} else if n > 0 {
		s.logf("retention: removed %d object(s) no version holds (%d bytes)", n, freed)
	}
	if len(unreadable) > 0 {
		return deleted, deferred, fmt.Errorf("kept %d version(s) that could not be read and may be complete (check the volume): %s",
			len(unreadable), strings.Join(unreadable, "; "))
	}
	return deleted, deferred, nil
}
