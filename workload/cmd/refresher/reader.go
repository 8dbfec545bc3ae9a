package main

import (
	"slices"
	"time"

	"agent-storage/workload/internal/query"
	"agent-storage/workload/internal/store"
)

// defaultReverify is how often serve re-reads the whole served version by default.
const defaultReverify = 10 * time.Minute

// reader applies the reader rule (docs/refresh-protocol.md) at a cost per tick that does
// not grow with the version. A version is read and verified whole once, when it becomes
// current; with a query index that one read is the index's load, which keeps the very
// bytes it verified. Between changes a tick resolves current, re-reads the manifest and
// checks that every file it lists is there with its size: enough to see a switch, a
// rollback or a version losing files. Bytes that rot on disk without changing size only
// show when the version is hashed again, every reverify.
type reader struct {
	s *store.Store
	// index is loaded from each newly verified version; nil without a query API.
	index *query.Holder
	// reverify is the time between whole re-reads of the served version; 0: never.
	reverify time.Duration
	// now is the clock (tests replace it). Nil means time.Now.
	now func() time.Time

	verified   *store.Manifest // of the version last verified whole, nil after a failure
	verifiedAt time.Time
}

// check is what one tick found.
type check struct {
	Version  string
	Manifest *store.Manifest
	// Whole: every byte of the version was read and hashed in this tick.
	Whole bool
	Stats store.VerifyStats
}

func (r *reader) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

// tick checks the current version: whole when it is new to this reader or due for
// reverification, else only its manifest and file sizes.
func (r *reader) tick() (check, error) {
	id, dir, err := r.s.ResolveCurrent()
	if err != nil {
		return check{}, err
	}
	if v := r.verified; v != nil && v.Version == id && (r.reverify == 0 || r.clock().Sub(r.verifiedAt) < r.reverify) {
		m, st, err := store.Verify(dir, id, false)
		// A manifest that changed under the same id breaks the protocol; the version
		// is then checked whole rather than trusted on its sizes.
		if err != nil || sameContent(m, v) {
			return check{Version: id, Manifest: m, Stats: st}, err
		}
	}
	c, err := r.whole(id, dir)
	if err != nil {
		r.verified = nil
		return c, err
	}
	r.verified, r.verifiedAt = c.Manifest, r.clock()
	return c, nil
}

// whole reads and hashes every file of the version. The index, when there is one and it
// does not hold this version yet, is built from that same read.
func (r *reader) whole(id, dir string) (check, error) {
	c := check{Version: id, Whole: true}
	if r.index == nil || (r.index.Current() != nil && r.index.Current().Version == id) {
		m, st, err := store.Verify(dir, id, true)
		c.Manifest, c.Stats = m, st
		return c, err
	}
	l, err := store.Load(dir, id)
	if err != nil {
		return c, err
	}
	ix, err := query.FromLoaded(l)
	if err != nil {
		return c, err
	}
	r.index.Serve(ix)
	c.Manifest = l.Manifest
	for _, f := range l.Manifest.Files {
		c.Stats.Files++
		c.Stats.Bytes += f.Size
	}
	return c, nil
}

// sameContent reports whether two manifests of one version describe the same bytes.
func sameContent(a, b *store.Manifest) bool {
	return a.Docs == b.Docs && a.Dim == b.Dim && slices.Equal(a.Files, b.Files)
}
