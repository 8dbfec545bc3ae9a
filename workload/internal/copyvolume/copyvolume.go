// Package copyvolume copies an agent's data volume to a new, empty volume and proves the
// copy, for moving the data to another namespace or StorageClass. The workloads start on
// the new volume only once the copy succeeded, so a copy is all or nothing: a marker file
// in the destination says "copying" from before the first byte until every byte was
// copied, fsynced and verified, and only then "done". A run that finds "copying" (an
// earlier run died) starts over; one that finds "done" only verifies again; one that
// finds anything else in the destination refuses to touch it.
package copyvolume

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"agent-storage/workload/internal/atomicfile"
)

// Layout says what the source volume holds and so how it is copied and verified.
type Layout string

const (
	// Embeddings: a versioned embeddings volume (internal/store); its complete versions,
	// the objects they share and current are copied, and every version verifies against
	// its manifest in the destination.
	Embeddings Layout = "embeddings"
	// Files: any tree (the checkpoints volume); every directory, regular file and
	// symlink is copied, and every file compared with the source byte for byte.
	Files Layout = "files"
)

// Layouts are the layouts Copy accepts.
var Layouts = []Layout{Embeddings, Files}

// MarkerName is the file in the destination's top directory that records the copy.
const MarkerName = ".agent-storage-copy"

// lostFound is what mkfs leaves in an ext4 volume's top directory: neither data nor a
// reason to call a volume non-empty.
const lostFound = "lost+found"

const (
	StateCopying = "copying"
	StateDone    = "done"
)

var (
	// ErrNotOurs: the destination holds data this package did not write.
	ErrNotOurs = errors.New("it was not made by refresher copy")
	// ErrSourceChanged: the source changed under the copy in a way that makes it
	// incomplete; running the copy again starts over.
	ErrSourceChanged = errors.New("the source changed during the copy")
	// ErrMismatch: the destination does not hold what the source holds.
	ErrMismatch = errors.New("the copy does not verify")
)

// Marker is the content of MarkerName.
type Marker struct {
	State      string     `json:"state"`
	From       string     `json:"from"`
	Layout     Layout     `json:"layout"`
	StartedAt  time.Time  `json:"startedAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	// Files and Bytes count the files written with their content; Links the further
	// names given to a file already written (hard links, as in the source).
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
	Links int   `json:"links"`
	// Versions and Current: the embeddings layout's copied versions and current ("" if
	// the source had none).
	Versions []string `json:"versions,omitempty"`
	Current  string   `json:"current,omitempty"`
}

// Options says what to copy where.
type Options struct {
	From, To string
	Layout   Layout
	// Logf receives progress lines. Nil means silent.
	Logf func(format string, args ...any)
	// afterList runs once the embeddings source is listed, before its first version is
	// copied; beforeVerify between the copy and its verification. Tests change the source
	// there, as a generator running on it would.
	afterList, beforeVerify func()
}

// Result is what a copy did (or, with AlreadyDone, what an earlier run did).
type Result struct {
	Marker
	// AlreadyDone: an earlier run had finished the copy; this one only verified it.
	AlreadyDone bool
}

func (o Options) logf(format string, args ...any) {
	if o.Logf != nil {
		o.Logf(format, args...)
	}
}

// ParseLayout returns the layout named s.
func ParseLayout(s string) (Layout, error) {
	for _, l := range Layouts {
		if string(l) == s {
			return l, nil
		}
	}
	names := make([]string, len(Layouts))
	for i, l := range Layouts {
		names[i] = string(l)
	}
	return "", fmt.Errorf("unknown layout %q (want %s)", s, strings.Join(names, " or "))
}

// Copy copies o.From to o.To in o.Layout and verifies the copy, or verifies an earlier
// run's finished copy again.
func Copy(o Options) (*Result, error) {
	if _, err := ParseLayout(string(o.Layout)); err != nil {
		return nil, err
	}
	if err := checkDirs(o.From, o.To); err != nil {
		return nil, err
	}
	prev, err := prepare(o)
	if err != nil {
		return nil, err
	}
	if prev != nil && prev.State == StateDone {
		o.logf("%s was already copied from %s (finished %s); verifying it again", o.To, prev.From, prev.FinishedAt.UTC().Format(time.RFC3339))
		if err := verify(o, prev); err != nil {
			return nil, err
		}
		return &Result{Marker: *prev, AlreadyDone: true}, nil
	}
	m := &Marker{State: StateCopying, From: o.From, Layout: o.Layout, StartedAt: time.Now().UTC()}
	if err := writeMarker(o.To, m); err != nil {
		return nil, err
	}
	c := newCopier(o)
	switch o.Layout {
	case Embeddings:
		err = c.embeddings(m)
	case Files:
		err = c.tree()
	}
	if err == nil {
		err = c.finish()
	}
	if err != nil {
		return nil, err
	}
	m.Files, m.Bytes, m.Links = c.nfiles, c.bytes, c.links
	if o.beforeVerify != nil {
		o.beforeVerify()
	}
	o.logf("copied %d files, %d bytes, %d hard links; verifying %s", m.Files, m.Bytes, m.Links, o.To)
	if err := verify(o, m); err != nil {
		return nil, err
	}
	done := time.Now().UTC()
	m.State, m.FinishedAt = StateDone, &done
	if err := writeMarker(o.To, m); err != nil {
		return nil, err
	}
	return &Result{Marker: *m}, nil
}

// checkDirs refuses a source that is not a directory, and a source and destination that
// are the same directory or one inside the other.
func checkDirs(from, to string) error {
	fi, err := os.Stat(from)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("source %s is not a directory", from)
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	a, err := realPath(from)
	if err != nil {
		return err
	}
	b, err := realPath(to)
	if err != nil {
		return err
	}
	if a == b || strings.HasPrefix(b, a+string(filepath.Separator)) || strings.HasPrefix(a, b+string(filepath.Separator)) {
		return fmt.Errorf("source %s and destination %s overlap: copy between two separate volumes", from, to)
	}
	return nil
}

func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// prepare checks that the destination may be written and returns the earlier run's
// marker, if any. An unfinished earlier run's files are removed.
func prepare(o Options) (*Marker, error) {
	entries, err := os.ReadDir(o.To)
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	var others []string
	hasMarker := false
	for _, e := range entries {
		switch e.Name() {
		case lostFound:
		case MarkerName:
			hasMarker = true
		default:
			others = append(others, e.Name())
		}
	}
	if !hasMarker {
		if len(others) > 0 {
			return nil, fmt.Errorf("destination %s is not empty (it holds %s) and has no %s: %w and will not be overwritten; give an empty volume",
				o.To, sample(others), MarkerName, ErrNotOurs)
		}
		return nil, nil
	}
	b, err := os.ReadFile(filepath.Join(o.To, MarkerName))
	if err != nil {
		return nil, fmt.Errorf("destination: %w", err)
	}
	var m Marker
	if err := json.Unmarshal(b, &m); err != nil || (m.State != StateCopying && m.State != StateDone) {
		return nil, fmt.Errorf("destination %s has a %s that is not a copy's record (%.200s): %w and will not be overwritten",
			o.To, MarkerName, strings.TrimSpace(string(b)), ErrNotOurs)
	}
	if m.State == StateDone {
		if m.Layout != o.Layout || m.From != o.From {
			return nil, fmt.Errorf("destination %s already holds a finished copy of %s (layout %s), not of %s (layout %s); it will not be overwritten",
				o.To, m.From, m.Layout, o.From, o.Layout)
		}
		if m.FinishedAt == nil {
			return nil, fmt.Errorf("destination %s: %s says done without a finish time: %w and will not be overwritten", o.To, MarkerName, ErrNotOurs)
		}
		return &m, nil
	}
	o.logf("%s holds an unfinished copy (started %s): removing it and starting over", o.To, m.StartedAt.UTC().Format(time.RFC3339))
	for _, name := range others {
		if err := removeAll(filepath.Join(o.To, name)); err != nil {
			return nil, fmt.Errorf("destination: removing the unfinished copy: %w", err)
		}
	}
	return &m, nil
}

// removeAll removes a tree an unfinished copy made. Its directories may already have a
// read-only mode copied from the source, which would stop a process without root from
// emptying them, so they are made writable first.
func removeAll(path string) error {
	filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(path)
}

func sample(names []string) string {
	if len(names) > 3 {
		return strings.Join(names[:3], ", ") + fmt.Sprintf(" and %d more", len(names)-3)
	}
	return strings.Join(names, ", ")
}

func writeMarker(dir string, m *Marker) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, MarkerName), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("destination: writing %s: %w", MarkerName, err)
	}
	return nil
}

func verify(o Options, m *Marker) error {
	switch m.Layout {
	case Embeddings:
		return verifyEmbeddings(o, m)
	case Files:
		return verifyFiles(o)
	}
	return fmt.Errorf("unknown layout %q", m.Layout)
}

// copier writes files into the destination, giving a source inode one inode there.
type copier struct {
	o Options
	// inodes maps a source file's device and inode to its first copy's path.
	inodes map[fileID]string
	// dirs are the directories made, in the order made, with the source's mode and mtime
	// to give them once they are filled.
	dirs []dirMeta
	// nfiles, bytes and links count what was written.
	nfiles int
	bytes  int64
	links  int
}

type fileID struct{ dev, ino uint64 }

type dirMeta struct {
	path  string
	mode  fs.FileMode
	mtime time.Time
}

func newCopier(o Options) *copier { return &copier{o: o, inodes: map[fileID]string{}} }

// seen reports whether a file with fi's inode was copied already.
func (c *copier) seen(fi fs.FileInfo) bool {
	id, _, ok := idOf(fi)
	_, seen := c.inodes[id]
	return ok && seen
}

func idOf(fi fs.FileInfo) (fileID, uint64, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, 1, false
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, uint64(st.Nlink), true
}

// mkdir makes dst; the source directory's mode and mtime are given in finish, after its
// entries are made (making them would change the mtime, and a read-only mode would stop
// them).
func (c *copier) mkdir(dst string, src fs.FileInfo) error {
	if err := os.Mkdir(dst, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	c.dirs = append(c.dirs, dirMeta{dst, src.Mode(), src.ModTime()})
	return nil
}

// file copies the regular file src to dst, or links dst to the copy of a file that is
// the same inode as src. It returns the sha256 of what it wrote ("" for a link).
func (c *copier) file(src, dst string) (string, error) {
	fi, err := os.Lstat(src)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", src)
	}
	id, nlink, ok := idOf(fi)
	if ok && nlink > 1 {
		if first, seen := c.inodes[id]; seen {
			if err := os.Link(first, dst); err != nil {
				return "", err
			}
			c.links++
			return "", nil
		}
	}
	sum, n, err := copyFile(src, dst, fi)
	if err != nil {
		return "", err
	}
	if ok && nlink > 1 {
		c.inodes[id] = dst
	}
	c.nfiles++
	c.bytes += n
	return sum, nil
}

// copyFile writes src's content to the new file dst, fsyncs it, and gives it src's mode
// and mtime.
func copyFile(src, dst string, fi fs.FileInfo) (string, int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Chmod(fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky))
	}
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chtimes(dst, fi.ModTime(), fi.ModTime())
	}
	if err != nil {
		return "", n, fmt.Errorf("copying %s: %w", src, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// finish gives the directories their source mode and mtime, deepest first, and fsyncs
// them, so every name made survives a crash before the marker says done.
func (c *copier) finish() error {
	for i := len(c.dirs) - 1; i >= 0; i-- {
		d := c.dirs[i]
		if err := atomicfile.SyncDir(d.path); err != nil {
			return err
		}
		if err := os.Chmod(d.path, d.mode&(fs.ModePerm|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return err
		}
		if err := os.Chtimes(d.path, d.mtime, d.mtime); err != nil {
			return err
		}
	}
	return atomicfile.SyncDir(c.o.To)
}

// hashFile returns a file's size and sha256.
func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return n, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}
