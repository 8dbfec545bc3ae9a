package store

import (
	"bufio"
	bytespkg "bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// DocsIndexName is the file of a version that names the document of every shard row.
const DocsIndexName = "docs.jsonl"

// DocEntry is one line of docs.jsonl.
type DocEntry struct {
	ID     string `json:"id"`
	Row    int    `json:"row"`
	Shard  int    `json:"shard"`
	Source string `json:"source"`
}

// Loaded is a whole version read into memory and verified.
type Loaded struct {
	Manifest *Manifest
	// Shards holds each shard's bytes (little-endian float32), in shard order.
	Shards [][]byte
	Docs   []DocEntry
}

// Load reads every file of the version in dir into memory and checks it as Verify does
// (sizes, sha256, shard bytes against docs x dim). The checks run on the bytes that are
// returned, so what a caller uses is exactly what was verified, even if a file changed
// on disk between two reads.
func Load(dir, id string) (*Loaded, error) {
	m, err := ReadManifest(dir, id)
	if err != nil {
		return nil, err
	}
	l := &Loaded{Manifest: m}
	var index []byte
	var shardBytes int64
	for _, f := range m.Files {
		if !ValidID(f.Name) {
			return nil, fmt.Errorf("%w: %s: bad file name %q in manifest", ErrCorrupt, id, f.Name)
		}
		b, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w: %s: %s missing", ErrPartial, id, f.Name)
			}
			return nil, fmt.Errorf("%s: %s: %w", id, f.Name, err)
		}
		if int64(len(b)) != f.Size {
			return nil, fmt.Errorf("%w: %s: %s has %d bytes, manifest says %d", ErrPartial, id, f.Name, len(b), f.Size)
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != f.SHA256 {
			return nil, fmt.Errorf("%w: %s: %s sha256 %s, manifest says %s", ErrCorrupt, id, f.Name, short(hex.EncodeToString(sum[:])), short(f.SHA256))
		}
		switch {
		case f.Rows > 0:
			if int64(f.Rows)*int64(m.Dim)*4 != f.Size {
				return nil, fmt.Errorf("%w: %s: %s has %d bytes for %d rows of %d dims", ErrCorrupt, id, f.Name, f.Size, f.Rows, m.Dim)
			}
			shardBytes += f.Size
			l.Shards = append(l.Shards, b)
		case f.Name == DocsIndexName:
			index = b
		}
	}
	if want := int64(m.Docs) * int64(m.Dim) * 4; shardBytes != want {
		return nil, fmt.Errorf("%w: %s: shards hold %d bytes, %d docs x %d dims x 4 need %d", ErrCorrupt, id, shardBytes, m.Docs, m.Dim, want)
	}
	if index == nil {
		return nil, fmt.Errorf("%w: %s: manifest lists no %s", ErrCorrupt, id, DocsIndexName)
	}
	sc := bufio.NewScanner(bytespkg.NewReader(index))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var d DocEntry
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			return nil, fmt.Errorf("%w: %s: %s line %d: %v", ErrCorrupt, id, DocsIndexName, len(l.Docs)+1, err)
		}
		l.Docs = append(l.Docs, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %s: %v", ErrCorrupt, id, DocsIndexName, err)
	}
	if len(l.Docs) != m.Docs {
		return nil, fmt.Errorf("%w: %s: %s names %d docs, manifest says %d", ErrCorrupt, id, DocsIndexName, len(l.Docs), m.Docs)
	}
	return l, nil
}
