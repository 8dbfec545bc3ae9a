// Package embed makes the vectors the refresher writes: synthetic embeddings that are
// deterministic from a seed, or a deterministic hash-based ("feature hashing") embedding
// of text documents. Neither needs a model; both give unit-length float32 vectors with
// the structure real embeddings have (documents cluster around topics).
package embed

import (
	"encoding/binary"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"unicode"
)

const topics = 12

// Synthetic returns the vector of document doc for a given seed and dimension. Documents
// are spread over a few topics: each vector is its topic's centroid (standard normal
// coordinates) plus 0.35 times noise (see noise), normalised, so nearest-neighbour
// queries give meaningful answers.
func Synthetic(seed uint64, doc, dim int) []float32 { return NewSynth(seed, dim).Vector(doc) }

// Synth makes the synthetic vectors of one seed and dimension, computing each topic's
// centroid once instead of once per document. Safe for concurrent use.
type Synth struct {
	seed      uint64
	dim       int
	centroids [topics][]float64
}

// NewSynth returns the generator of Synthetic(seed, doc, dim) for every doc.
func NewSynth(seed uint64, dim int) *Synth {
	s := &Synth{seed: seed, dim: dim}
	for t := range s.centroids {
		s.centroids[t] = gaussian(rand.New(rand.NewPCG(seed, uint64(t)+1)), dim)
	}
	return s
}

// Vector is Synthetic(seed, doc, dim).
func (s *Synth) Vector(doc int) []float32 { return s.fill(make([]float32, s.dim), doc) }

// AppendLE appends Vector(doc) to buf as little-endian float32 values, using scratch
// (which it returns, grown to dim) instead of a new vector.
func (s *Synth) AppendLE(buf []byte, scratch []float32, doc int) ([]byte, []float32) {
	if cap(scratch) < s.dim {
		scratch = make([]float32, s.dim)
	}
	v := s.fill(scratch[:s.dim], doc)
	return AppendLE(buf, v), v
}

func (s *Synth) fill(v []float32, doc int) []float32 {
	topic := int(splitmix(s.seed^uint64(doc)*0x9e3779b97f4a7c15) % topics)
	centroid := s.centroids[topic]
	var pcg rand.PCG
	pcg.Seed(s.seed, uint64(doc)+1<<32)
	for i := range v {
		v[i] = float32(centroid[i] + 0.35*noise(pcg.Uint64()))
	}
	Normalize(v)
	return v
}

// noiseScale makes the sum of four uniform 16-bit numbers unit variance: each has
// variance (2^32-1)/12.
var noiseScale = 1 / math.Sqrt(4*(65536*65536-1)/12.0)

// noise turns one random 64-bit number into a value close to a standard normal one: the
// centred sum of its four 16-bit quarters (Irwin-Hall). The exact normal costs several
// times as much, and a refresh makes one per vector coordinate: with it, making the
// vectors, not writing them, set a refresh's pace.
func noise(x uint64) float64 {
	sum := x&0xffff + x>>16&0xffff + x>>32&0xffff + x>>48
	return (float64(sum) - 2*65535) * noiseScale
}

func gaussian(r *rand.Rand, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = r.NormFloat64()
	}
	return out
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Tokens splits text into lower-case words of letters and digits.
func Tokens(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// Hashed embeds text by feature hashing: every word (weight 1) and word pair (weight 0.5)
// adds a signed weight to one coordinate chosen by its FNV-1a hash. Same text, same
// vector; texts sharing words point in similar directions. Text with no words gives the
// zero vector.
func Hashed(text string, dim int) []float32 {
	v := make([]float32, dim)
	toks := Tokens(text)
	add := func(feature string, w float32) {
		h := fnv.New64a()
		io.WriteString(h, feature)
		x := h.Sum64()
		idx := int(x % uint64(dim))
		if x>>63 == 1 {
			w = -w
		}
		v[idx] += w
	}
	for i, t := range toks {
		add(t, 1)
		if i > 0 {
			add(toks[i-1]+" "+t, 0.5)
		}
	}
	Normalize(v)
	return v
}

// Normalize scales v to unit length in place (the zero vector stays zero).
func Normalize(v []float32) {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
}

// Cosine returns the cosine similarity of two vectors of equal length.
func Cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// AppendLE appends v as little-endian float32 values (the shard file format).
func AppendLE(buf []byte, v []float32) []byte {
	for _, x := range v {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
	}
	return buf
}

// DecodeLE reads little-endian float32 values.
func DecodeLE(b []byte) []float32 {
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[i*4:]))
	}
	return out
}
