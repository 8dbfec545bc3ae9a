package query

import (
	"fmt"
	"math/rand/v2"

	"agent-storage/workload/internal/embed"
)

// RandomCorpus is docs unit vectors of dim random normal components, always the same ones:
// the corpus BenchmarkQuery and cmd/query-bench measure the index on.
func RandomCorpus(docs, dim int) (ids []string, vecs []float32) {
	r := rand.New(rand.NewPCG(1, 2))
	ids = make([]string, docs)
	vecs = make([]float32, docs*dim)
	for i := range ids {
		ids[i] = fmt.Sprintf("doc-%06d", i)
		row := vecs[i*dim : (i+1)*dim]
		for j := range row {
			row[j] = float32(r.NormFloat64())
		}
		embed.Normalize(row)
	}
	return ids, vecs
}
