package copyvolume

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"agent-storage/workload/internal/atomicfile"
	"agent-storage/workload/internal/store"
)

// embeddings copies the complete versions and current as the source listed them at the
// start. A generator may refresh and prune the source meanwhile: versions it makes later
// are not copied, and one it deletes before its copy is finished fails the copy.
func (c *copier) embeddings(m *Marker) error {
	src := store.New(c.o.From)
	cur, _, err := src.ResolveCurrent()
	if err != nil && !errors.Is(err, store.ErrNoCurrent) {
		return fmt.Errorf("source: %w", err)
	}
	vs, err := src.List()
	if err != nil {
		return fmt.Errorf("source: listing versions: %w", err)
	}
	ids := store.Complete(vs)
	if cur != "" && !contains(ids, cur) {
		return fmt.Errorf("source %s: current names %s, which is not among its complete versions (%s); check it with `refresher verify --embeddings %s`",
			c.o.From, cur, orNone(strings.Join(ids, ", ")), c.o.From)
	}
	c.o.logf("copying embeddings from %s to %s: %d complete versions (%s), current %s", c.o.From, c.o.To, len(ids), orNone(strings.Join(ids, ", ")), orNone(cur))
	m.Versions, m.Current = ids, cur
	if c.o.afterList != nil {
		c.o.afterList()
	}

	dst := store.New(c.o.To)
	for _, d := range []string{store.VersionsDir, store.ObjectsDir} {
		fi, err := os.Stat(filepath.Join(c.o.From, d))
		if errors.Is(err, fs.ErrNotExist) {
			fi, err = os.Stat(c.o.From)
		}
		if err != nil {
			return fmt.Errorf("source: %w", err)
		}
		if err := c.mkdir(filepath.Join(c.o.To, d), fi); err != nil {
			return fmt.Errorf("destination: %w", err)
		}
	}
	for _, id := range ids {
		if err := c.version(src, dst, id); err != nil {
			return err
		}
	}
	if cur != "" {
		if err := atomicfile.Symlink(filepath.Join(store.VersionsDir, cur), filepath.Join(c.o.To, store.CurrentLink)); err != nil {
			return fmt.Errorf("destination: current: %w", err)
		}
	}
	return nil
}

// version copies one version: its manifest and the files it lists. A file that is a hard
// link of the source's object for its content becomes a link of that object's copy.
func (c *copier) version(src, dst *store.Store, id string) error {
	sdir, ddir := src.VersionDir(id), dst.VersionDir(id)
	vanished := func(err error) error {
		if _, serr := os.Stat(sdir); errors.Is(err, fs.ErrNotExist) && errors.Is(serr, fs.ErrNotExist) {
			return fmt.Errorf("%w: version %s was deleted from %s while being copied (a running generator pruned it); run the copy again", ErrSourceChanged, id, c.o.From)
		}
		return fmt.Errorf("source: version %s: %w", id, err)
	}
	mf, err := store.ReadManifest(sdir, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return vanished(fs.ErrNotExist)
		}
		return fmt.Errorf("source: %w", err)
	}
	fi, err := os.Stat(sdir)
	if err != nil {
		return vanished(err)
	}
	if err := c.mkdir(ddir, fi); err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	for _, f := range mf.Files {
		if !store.ValidID(f.Name) {
			return fmt.Errorf("source: version %s: bad file name %q in its manifest", id, f.Name)
		}
		from, to := filepath.Join(sdir, f.Name), filepath.Join(ddir, f.Name)
		if err := c.versionFile(from, to, f.SHA256); err != nil {
			return vanished(err)
		}
	}
	// The manifest last, as a refresh writes it: a version is complete once it is there.
	if _, err := c.file(filepath.Join(sdir, store.ManifestName), filepath.Join(ddir, store.ManifestName)); err != nil {
		return vanished(err)
	}
	c.o.logf("version %s: %d files", id, len(mf.Files))
	return nil
}

func (c *copier) versionFile(from, to, sum string) error {
	fi, err := os.Lstat(from)
	if err != nil {
		return err
	}
	obj := filepath.Join(c.o.From, store.ObjectsDir, sum)
	ofi, err := os.Lstat(obj)
	if err != nil || !os.SameFile(fi, ofi) || !fi.Mode().IsRegular() {
		// Not shared through an object (written before objects existed, or on a volume
		// that refuses hard links): a file of its own, as in the source.
		_, err := c.file(from, to)
		return err
	}
	if !c.seen(ofi) {
		if _, err := c.file(obj, filepath.Join(c.o.To, store.ObjectsDir, sum)); err != nil {
			return err
		}
	}
	_, err = c.file(from, to) // a link of the object's copy
	return err
}

// verifyEmbeddings checks every copied version's manifest and checksums in the
// destination, and that current names the version the source's did.
func verifyEmbeddings(o Options, m *Marker) error {
	dst := store.New(o.To)
	for _, id := range m.Versions {
		if _, _, err := store.Verify(dst.VersionDir(id), id, true); err != nil {
			return fmt.Errorf("%w: version %s in %s: %v (if the source's own copy fails `refresher verify --version %s` too, the source is damaged)",
				ErrMismatch, id, o.To, err, id)
		}
	}
	cur, _, err := dst.ResolveCurrent()
	switch {
	case m.Current == "" && errors.Is(err, store.ErrNoCurrent):
	case err != nil:
		return fmt.Errorf("%w: current in %s: %v", ErrMismatch, o.To, err)
	case cur != m.Current:
		return fmt.Errorf("%w: current in %s names %s, the source's named %s", ErrMismatch, o.To, cur, orNone(m.Current))
	}
	o.logf("verified %d versions in %s, current %s", len(m.Versions), o.To, orNone(m.Current))
	return nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
