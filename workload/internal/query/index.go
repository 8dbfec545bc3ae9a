// Package query answers nearest-neighbour queries over one embeddings version held in
// memory: loaded whole, verified against its manifest before it is used, searched by
// brute-force cosine similarity, and swapped atomically for a newer version.
package query

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"agent-storage/workload/internal/embed"
	"agent-storage/workload/internal/store"
)

// Index is one version's vectors, row-major, with the document id of every row. It is
// never modified after it is built, so any number of queries may read it at once.
type Index struct {
	Version string
	Dim     int
	ids     []string
	vecs    []float32
	norms   []float32
}

// Result is one neighbour: a document and its cosine similarity to the query.
type Result struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
}

// ErrBadQuery marks queries that cannot be answered as asked (wrong dimension, no
// words, zero vector).
var ErrBadQuery = errors.New("bad query")

// New builds an index from vectors given row by row (len(vecs) == len(ids)*dim).
func New(version string, dim int, ids []string, vecs []float32) (*Index, error) {
	if dim <= 0 || len(vecs) != len(ids)*dim {
		return nil, fmt.Errorf("%d values for %d ids of %d dims", len(vecs), len(ids), dim)
	}
	ix := &Index{Version: version, Dim: dim, ids: ids, vecs: vecs, norms: make([]float32, len(ids))}
	for r := range ids {
		ix.norms[r] = float32(math.Sqrt(float64(dot(vecs[r*dim:(r+1)*dim], vecs[r*dim:(r+1)*dim]))))
	}
	return ix, nil
}

// FromLoaded builds the index of a version store.Load read and verified. The manifest
// lists shards in shard order, and docs.jsonl names each (shard, row).
func FromLoaded(l *store.Loaded) (*Index, error) {
	m := l.Manifest
	starts := make([]int, len(l.Shards)+1)
	vecs := make([]float32, 0, m.Docs*m.Dim)
	for sh, b := range l.Shards {
		vecs = append(vecs, embed.DecodeLE(b)...)
		starts[sh+1] = len(vecs) / m.Dim
	}
	ids := make([]string, m.Docs)
	for _, d := range l.Docs {
		if d.Shard < 0 || d.Shard >= len(l.Shards) || d.Row < 0 || starts[d.Shard]+d.Row >= starts[d.Shard+1] {
			return nil, fmt.Errorf("%w: %s: %s names shard %d row %d, which does not exist", store.ErrCorrupt, m.Version, store.DocsIndexName, d.Shard, d.Row)
		}
		ids[starts[d.Shard]+d.Row] = d.ID
	}
	return New(m.Version, m.Dim, ids, vecs)
}

// Load reads, verifies and indexes the version id in dir.
func Load(dir, id string) (*Index, error) {
	l, err := store.Load(dir, id)
	if err != nil {
		return nil, err
	}
	return FromLoaded(l)
}

// Len is the number of documents.
func (ix *Index) Len() int { return len(ix.ids) }

// Embed turns text into a query vector the way the generator embeds input documents.
func (ix *Index) Embed(text string) []float32 { return embed.Hashed(text, ix.Dim) }

// Search returns the k documents most similar to q by cosine similarity, best first
// (ties by row order). k is capped at the number of documents.
func (ix *Index) Search(q []float32, k int) ([]Result, error) {
	if len(q) != ix.Dim {
		return nil, fmt.Errorf("%w: vector has %d dims, version %s has %d", ErrBadQuery, len(q), ix.Version, ix.Dim)
	}
	qn := float32(math.Sqrt(float64(dot(q, q))))
	if qn == 0 {
		return nil, fmt.Errorf("%w: the query vector is zero (a text needs at least one word)", ErrBadQuery)
	}
	if k > len(ix.ids) {
		k = len(ix.ids)
	}
	if k <= 0 {
		return []Result{}, nil
	}
	h := make(topK, 0, k)
	for r := range ix.ids {
		var s float64
		if n := ix.norms[r]; n != 0 {
			s = float64(dot(q, ix.vecs[r*ix.Dim:(r+1)*ix.Dim])) / (float64(qn) * float64(n))
		}
		if len(h) < k {
			heap.Push(&h, hit{s, r})
		} else if worse(h[0], hit{s, r}) {
			h[0] = hit{s, r}
			heap.Fix(&h, 0)
		}
	}
	out := make([]Result, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		x := heap.Pop(&h).(hit)
		out[i] = Result{ID: ix.ids[x.row], Score: x.score}
	}
	return out, nil
}

// dot is the inner loop of every query; four accumulators let the CPU overlap the adds.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

type hit struct {
	score float64
	row   int
}

// worse orders hits: lower score first, and among equal scores the later row.
func worse(a, b hit) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	return a.row > b.row
}

// topK is a min-heap of the best hits so far, the worst on top.
type topK []hit

func (h topK) Len() int           { return len(h) }
func (h topK) Less(i, j int) bool { return worse(h[i], h[j]) }
func (h topK) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *topK) Push(x any)        { *h = append(*h, x.(hit)) }
func (h *topK) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Holder holds the index being served. Queries take the index once and use it to the
// end, so a swap never changes a version under a query in progress.
type Holder struct {
	cur      atomic.Pointer[Index]
	draining atomic.Bool
}

// Drain marks the server as going away: it still answers, but /readyz fails so the
// Service stops choosing it, and every answer closes its connection so clients holding
// one open reconnect through the Service to a reader that stays.
func (h *Holder) Drain() { h.draining.Store(true) }

// Draining reports whether Drain was called.
func (h *Holder) Draining() bool { return h.draining.Load() }

// Current is the index being served, or nil before the first one loaded.
func (h *Holder) Current() *Index { return h.cur.Load() }

// Sync makes the holder serve the version s's current link names. It loads and verifies
// that version first; on any error the index already held keeps answering. It reports
// whether the served version changed.
func (h *Holder) Sync(s *store.Store) (bool, error) {
	id, dir, err := s.ResolveCurrent()
	if err != nil {
		return false, err
	}
	if cur := h.cur.Load(); cur != nil && cur.Version == id {
		return false, nil
	}
	ix, err := Load(dir, id)
	if err != nil {
		return false, err
	}
	h.Serve(ix)
	return true, nil
}

// Serve makes ix the index queries use from now on.
func (h *Holder) Serve(ix *Index) { h.cur.Store(ix) }
