package copyvolume

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// skipTop reports whether a name in a volume's top directory is the volume's, not data:
// mkfs's lost+found, and the marker of a copy the source itself was made by.
func skipTop(rel string) bool { return rel == lostFound || rel == MarkerName }

// tree copies every directory, regular file and symlink under the source, with modes,
// mtimes and hard links. Sockets, devices and fifos are not data: they are skipped with
// a line saying so. Symlinks are copied as they are (their targets are not followed) and
// keep the time of their copy: the standard library cannot set a link's own mtime.
func (c *copier) tree() error {
	c.o.logf("copying files from %s to %s", c.o.From, c.o.To)
	return filepath.WalkDir(c.o.From, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("source: %w", err)
		}
		rel, err := filepath.Rel(c.o.From, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		if skipTop(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		dst := filepath.Join(c.o.To, rel)
		fi, err := d.Info()
		if err != nil {
			return fmt.Errorf("source: %w", err)
		}
		switch mode := fi.Mode(); {
		case mode.IsDir():
			err = c.mkdir(dst, fi)
		case mode.IsRegular():
			_, err = c.file(path, dst)
		case mode&fs.ModeSymlink != 0:
			var target string
			if target, err = os.Readlink(path); err == nil {
				err = os.Symlink(target, dst)
			}
		default:
			c.o.logf("skipping %s: a %s, not data", path, kind(mode))
		}
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%w: %s: %v; run the copy again", ErrSourceChanged, path, err)
			}
			return err
		}
		return nil
	})
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeNamedPipe != 0:
		return "fifo"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// verifyFiles checks that every regular file in the destination has the size and sha256
// of the file at the same path in the source, reading both again.
func verifyFiles(o Options) error {
	n := 0
	err := filepath.WalkDir(o.To, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(o.To, path)
		if err != nil {
			return err
		}
		if skipTop(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		dn, dsum, err := hashFile(path)
		if err != nil {
			return err
		}
		sn, ssum, err := hashFile(filepath.Join(o.From, rel))
		if err != nil {
			return fmt.Errorf("%w: %s: in the source: %v", ErrMismatch, rel, err)
		}
		if dn != sn || dsum != ssum {
			return fmt.Errorf("%w: %s has %d bytes with sha256 %.12s in %s, %d bytes with sha256 %.12s in %s (did the source change during the copy?)",
				ErrMismatch, rel, dn, dsum, o.To, sn, ssum, o.From)
		}
		n++
		return nil
	})
	if err != nil {
		return err
	}
	o.logf("verified %d files in %s against %s", n, o.To, o.From)
	return nil
}
