// Package store implements the versioned-directory protocol for the shared embeddings
// volume:
//
//	<root>/
//	  current -> versions/<id>        symlink, replaced atomically with rename(2)
//	  versions/<id>/                   complete versions, manifest.json written last
//	  versions/.tmp-<id>/              a refresh in progress (never read)
//	  versions/.del-<id>/              a version being deleted (never read)
//	  objects/<sha256>                 one file per distinct content; versions' files are
//	                                   hard links to these, so unchanged files are stored once
//	  .current.tmp-<rand>              the new link, just before it is renamed over current
//	  .refresh.lock                    flock(2)ed by the one refresh that may run
//
// Readers resolve current once per read and open every file under the directory it
// names, so a concurrent switch cannot mix two versions in one read.
package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

const (
	VersionsDir   = "versions"
	CurrentLink   = "current"
	ManifestName  = "manifest.json"
	LockName      = ".refresh.lock"
	tmpPrefix     = ".tmp-"
	delPrefix     = ".del-"
	linkTmpPrefix = "." + CurrentLink + ".tmp-" // atomicfile.Symlink's temporary name for current
	// FormatVersion is the manifest format this package writes and reads.
	FormatVersion = 1
	idLayout      = "20060102T150405.000Z"
)

var (
	// ErrNoCurrent: the volume has no current link yet (first deploy, before the first
	// refresh finished).
	ErrNoCurrent = errors.New("no current version yet")
	// ErrPartial: a version lacks its manifest or a file it lists is missing or short.
	// The protocol makes this impossible for anything current points at.
	ErrPartial = errors.New("partial version")
	// ErrCorrupt: a file's checksum or the manifest's content does not match.
	ErrCorrupt = errors.New("corrupt version")
	// ErrNotFound: the version named does not exist.
	ErrNotFound = errors.New("version not found")
)

// Store is an embeddings volume.
type Store struct {
	Root string
	// Now is the clock (tests replace it). Nil means time.Now.
	Now func() time.Time
	// Logf receives progress lines. Nil means silent.
	Logf func(format string, args ...any)
	// sys replaces file-system calls in tests: run as root, a test cannot provoke EACCES
	// with permissions, nor EIO or a small file system without mounting one. Nil members
	// mean the real calls.
	sys sysCalls
}

type sysCalls struct {
	open     func(name string) (*os.File, error)
	readlink func(name string) (string, error)
	chtimes  func(name string, atime, mtime time.Time) error
	statfs   func(path string) (space, error)
	link     func(oldname, newname string) error
}

func (s *Store) open(name string) (*os.File, error) {
	if s.sys.open != nil {
		return s.sys.open(name)
	}
	return os.Open(name)
}

func (s *Store) readlink(name string) (string, error) {
	if s.sys.readlink != nil {
		return s.sys.readlink(name)
	}
	return os.Readlink(name)
}

func (s *Store) chtimes(name string, atime, mtime time.Time) error {
	if s.sys.chtimes != nil {
		return s.sys.chtimes(name, atime, mtime)
	}
	return os.Chtimes(name, atime, mtime)
}

func (s *Store) link(oldname, newname string) error {
	if s.sys.link != nil {
		return s.sys.link(oldname, newname)
	}
	return os.Link(oldname, newname)
}

func (s *Store) statfs() (space, error) {
	if s.sys.statfs != nil {
		return s.sys.statfs(s.Root)
	}
	return statfs(s.Root)
}

// New returns a Store for root.
func New(root string) *Store { return &Store{Root: root} }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
	}
}

// VersionDir is the directory of a complete version.
func (s *Store) VersionDir(id string) string { return filepath.Join(s.Root, VersionsDir, id) }

// FileEntry describes one data file of a version.
type FileEntry struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Rows is the number of vectors in a shard (0 for other files).
	Rows int `json:"rows,omitempty"`
}

// Manifest is written last into a version; its presence marks the version complete.
type Manifest struct {
	Format    int         `json:"format"`
	Version   string      `json:"version"`
	CreatedAt time.Time   `json:"createdAt"`
	Docs      int         `json:"docs"`
	Dim       int         `json:"dim"`
	DType     string      `json:"dtype"`
	Shards    int         `json:"shards"`
	Seed      uint64      `json:"seed"`
	Source    string      `json:"source"`
	Files     []FileEntry `json:"files"`
}

// NewID returns a sortable, unique version id: UTC time to the millisecond plus 6 random
// hex digits, e.g. 20261124T184755.123Z-3fa9c1.
func NewID(t time.Time) string {
	return t.UTC().Format(idLayout) + "-" + randHex(3)
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// ValidID reports whether id can name a version directory (no path separators, not a
// hidden or temporary name).
func ValidID(id string) bool {
	return id != "" && !strings.HasPrefix(id, ".") && !strings.ContainsAny(id, "/\\") && id != ".."
}

// ResolveCurrent reads the current link once and returns the version id and the directory
// to read it from. Callers must open every file under dir, never through "current".
func (s *Store) ResolveCurrent() (id, dir string, err error) {
	target, err := s.readlink(filepath.Join(s.Root, CurrentLink))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, statErr := os.Stat(s.Root); statErr != nil {
				return "", "", fmt.Errorf("embeddings directory: %w", statErr)
			}
			return "", "", ErrNoCurrent
		}
		return "", "", fmt.Errorf("read current link: %w", err)
	}
	dirPart, id := filepath.Split(filepath.Clean(target))
	if filepath.Clean(dirPart) != VersionsDir || !ValidID(id) {
		return "", "", fmt.Errorf("%w: current points at %q, not versions/<id>", ErrCorrupt, target)
	}
	return id, s.VersionDir(id), nil
}

// ReadManifest reads and parses dir/manifest.json and checks it names version id.
func ReadManifest(dir, id string) (*Manifest, error) { return readManifest(os.Open, dir, id) }

func readManifest(open func(string) (*os.File, error), dir, id string) (*Manifest, error) {
	b, err := readAll(open, filepath.Join(dir, ManifestName))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if _, derr := os.Stat(dir); errors.Is(derr, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w: %s: version directory missing", ErrNotFound, id)
			} else if derr != nil {
				return nil, fmt.Errorf("%s: %w", id, derr)
			}
			return nil, fmt.Errorf("%w: %s: manifest.json missing", ErrPartial, id)
		}
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%w: %s: manifest.json: %v", ErrCorrupt, id, err)
	}
	if m.Format != FormatVersion {
		return nil, fmt.Errorf("%w: %s: manifest format %d, want %d", ErrCorrupt, id, m.Format, FormatVersion)
	}
	if m.Version != id {
		return nil, fmt.Errorf("%w: %s: manifest names version %q", ErrCorrupt, id, m.Version)
	}
	return &m, nil
}

// VerifyStats counts what a verification read.
type VerifyStats struct {
	Files int
	Bytes int64
}

// Verify reads the manifest of the version in dir and checks every file's size and
// sha256, and that the shards hold docs*dim float32 values. With checksums false it only
// checks that the files exist with the right sizes.
func Verify(dir, id string, checksums bool) (*Manifest, VerifyStats, error) {
	return verify(os.Open, dir, id, checksums)
}

func verify(open func(string) (*os.File, error), dir, id string, checksums bool) (*Manifest, VerifyStats, error) {
	var st VerifyStats
	m, err := readManifest(open, dir, id)
	if err != nil {
		return nil, st, err
	}
	var shardBytes int64
	for _, f := range m.Files {
		if !ValidID(f.Name) {
			return m, st, fmt.Errorf("%w: %s: bad file name %q in manifest", ErrCorrupt, id, f.Name)
		}
		n, sum, err := readFile(open, filepath.Join(dir, f.Name), checksums)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				if _, derr := os.Stat(dir); errors.Is(derr, fs.ErrNotExist) {
					return m, st, fmt.Errorf("%w: %s was deleted while being read (is --grace longer than the longest read?)", ErrNotFound, id)
				}
				return m, st, fmt.Errorf("%w: %s: %s missing", ErrPartial, id, f.Name)
			}
			return m, st, fmt.Errorf("%s: %s: %w", id, f.Name, err)
		}
		st.Files++
		st.Bytes += n
		if n != f.Size {
			return m, st, fmt.Errorf("%w: %s: %s has %d bytes, manifest says %d", ErrPartial, id, f.Name, n, f.Size)
		}
		if checksums && sum != f.SHA256 {
			return m, st, fmt.Errorf("%w: %s: %s sha256 %s, manifest says %s", ErrCorrupt, id, f.Name, short(sum), short(f.SHA256))
		}
		if f.Rows > 0 {
			shardBytes += f.Size
		}
	}
	if want := int64(m.Docs) * int64(m.Dim) * 4; shardBytes != want {
		return m, st, fmt.Errorf("%w: %s: shards hold %d bytes, %d docs x %d dims x 4 need %d", ErrCorrupt, id, shardBytes, m.Docs, m.Dim, want)
	}
	return m, st, nil
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

func readAll(open func(string) (*os.File, error), path string) ([]byte, error) {
	f, err := open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func readFile(open func(string) (*os.File, error), path string, checksum bool) (int64, string, error) {
	f, err := open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	if !checksum {
		fi, err := f.Stat()
		if err != nil {
			return 0, "", err
		}
		return fi.Size(), "", nil
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return n, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// Read is one verified read of the current version.
type Read struct {
	Version  string
	Manifest *Manifest
	Stats    VerifyStats
}

// ReadCurrent is the reader rule: resolve current once, then verify the manifest and
// every file under the resolved directory.
func (s *Store) ReadCurrent() (*Read, error) {
	id, dir, err := s.ResolveCurrent()
	if err != nil {
		return nil, err
	}
	m, st, err := Verify(dir, id, true)
	if err != nil {
		return &Read{Version: id, Manifest: m, Stats: st}, err
	}
	return &Read{Version: id, Manifest: m, Stats: st}, nil
}

// VersionInfo describes one directory under versions/.
type VersionInfo struct {
	ID       string    `json:"version"`
	Complete bool      `json:"complete"`
	Current  bool      `json:"current"`
	Manifest *Manifest `json:"-"`
	// CreatedAt comes from the manifest (zero when incomplete).
	CreatedAt time.Time `json:"createdAt,omitempty"`
	// RetiredAt is the directory's modification time: the moment it stopped being
	// current (or was created, if it never was). Retention measures grace from it.
	RetiredAt time.Time `json:"retiredAt"`
	// Unreadable: verifying it failed for a reason other than what it holds (an I/O or
	// permission error), so it may be complete; retention never deletes it.
	Unreadable bool   `json:"unreadable,omitempty"`
	Problem    string `json:"problem,omitempty"`
}

// incomplete reports whether a verification error is about what a version holds (a
// piece missing, short or damaged), as opposed to the version not being readable.
func incomplete(err error) bool {
	return errors.Is(err, ErrPartial) || errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotFound)
}

// List returns the version directories (temporary and deleting ones excluded), oldest
// first. Complete means the manifest is valid and every file has the right size
// (checksums are not read; use Verify for that).
func (s *Store) List() ([]VersionInfo, error) {
	entries, err := os.ReadDir(filepath.Join(s.Root, VersionsDir))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	cur, _, _ := s.ResolveCurrent()
	var out []VersionInfo
	for _, e := range entries {
		if !e.IsDir() || !ValidID(e.Name()) {
			continue
		}
		vi := VersionInfo{ID: e.Name(), Current: e.Name() == cur}
		fi, err := e.Info()
		if err == nil {
			vi.RetiredAt = fi.ModTime()
		}
		m, _, verr := verify(s.open, s.VersionDir(e.Name()), e.Name(), false)
		switch {
		case err != nil: // without its time, retention cannot tell its grace
			vi.Unreadable, vi.Problem = true, err.Error()
		case verr == nil:
			vi.Complete = true
		default:
			vi.Unreadable, vi.Problem = !incomplete(verr), verr.Error()
		}
		if m != nil {
			vi.Manifest = m
			vi.CreatedAt = m.CreatedAt
		}
		out = append(out, vi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// Pending lists the temporary and being-deleted directories under versions/ (a refresh
// in progress, or leftovers the next refresh removes).
func (s *Store) Pending() []string {
	entries, _ := os.ReadDir(filepath.Join(s.Root, VersionsDir))
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) || strings.HasPrefix(e.Name(), delPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// Complete returns the ids of complete versions in vs, oldest first.
func Complete(vs []VersionInfo) []string {
	var ids []string
	for _, v := range vs {
		if v.Complete {
			ids = append(ids, v.ID)
		}
	}
	return ids
}
