package query

import (
	"testing"

	"agent-storage/workload/internal/embed"
)

// BenchmarkQuery scans 100k vectors of 384 dims per query; SetBytes makes the result
// read as the vector bytes scanned per second.
func BenchmarkQuery(b *testing.B) {
	const docs, dim = 100_000, 384
	ids, vecs := RandomCorpus(docs, dim)
	ix, err := New("bench", dim, ids, vecs)
	if err != nil {
		b.Fatal(err)
	}
	q := embed.Synthetic(3, 0, dim)
	b.SetBytes(docs * dim * 4)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ix.Search(q, 10); err != nil {
			b.Fatal(err)
		}
	}
}
