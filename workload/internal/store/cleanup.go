package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// cleanup removes what interrupted runs leave behind. The caller holds the lock, so
// nothing else is writing them.
func (s *Store) cleanup() ([]string, error) {
	var removed []string
	versions := filepath.Join(s.Root, VersionsDir)
	entries, err := os.ReadDir(versions)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, tmpPrefix) || strings.HasPrefix(n, delPrefix) {
			if err := os.RemoveAll(filepath.Join(versions, n)); err != nil {
				return removed, writeErr(err)
			}
			removed = append(removed, VersionsDir+"/"+n)
		}
	}
	entries, err = os.ReadDir(s.Root)
	if err != nil {
		return removed, err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), linkTmpPrefix) {
			if err := os.Remove(filepath.Join(s.Root, e.Name())); err != nil {
				return removed, writeErr(err)
			}
			removed = append(removed, e.Name())
		}
	}
	return removed, nil
}
