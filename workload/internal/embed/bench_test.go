package embed

import (
	"crypto/sha256"
	"testing"
)

// BenchmarkSynthShard makes, encodes and hashes one shard's worth of synthetic vectors
// at the refresh benchmark's dimension: the CPU work of a refresh per shard.
func BenchmarkSynthShard(b *testing.B) { benchShard(b, true) }

// BenchmarkSynthVectors is BenchmarkSynthShard without the hashing.
func BenchmarkSynthVectors(b *testing.B) { benchShard(b, false) }

func benchShard(b *testing.B, hash bool) {
	const docs, dim = 2048, 384
	g := NewSynth(42, dim)
	buf := make([]byte, 0, docs*dim*4)
	var scratch []float32
	b.SetBytes(docs * dim * 4)
	for i := 0; i < b.N; i++ {
		buf = buf[:0]
		for d := 0; d < docs; d++ {
			buf, scratch = g.AppendLE(buf, scratch, d)
		}
		if hash {
			sha256.Sum256(buf)
		}
	}
}
