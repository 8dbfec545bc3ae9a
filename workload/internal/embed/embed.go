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
	"math/bits"
	"math/rand/v2"
	"slices"
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
func (s *Synth) Vector(doc int) []float32 {
	v := make([]float32, s.dim)
	scale(v, s.raw(v, doc))
	return v
}

// AppendLE appends Vector(doc) to buf as little-endian float32 values, using scratch
// (which it returns, grown to dim) instead of a new vector. A refresh makes every
// coordinate it writes here, so the vector is normalised as it is encoded, in one pass,
// with exactly the arithmetic of Normalize.
func (s *Synth) AppendLE(buf []byte, scratch []float32, doc int) ([]byte, []float32) {
	if cap(scratch) < s.dim {
		scratch = make([]float32, s.dim)
	}
	v := scratch[:s.dim]
	sum := s.raw(v, doc)
	n := len(buf)
	buf = slices.Grow(buf, 4*len(v))[:n+4*len(v)]
	out := buf[n:]
	if sum == 0 {
		for i, x := range v {
			binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(x))
		}
		return buf, v
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
		binary.LittleEndian.PutUint32(out[4*i:], math.Float32bits(v[i]))
	}
	return buf, v
}

// raw fills v with doc's vector before normalisation and returns the sum of its
// squares, added in the order Normalize adds them, so that scaling by it gives the same
// floats bit for bit. The noise is math/rand/v2's PCG seeded with (seed, doc + 2^32),
// computed here as two interleaved streams of every other number: one PCG step depends
// on the one before, and that chain, not the arithmetic, set the pace.
func (s *Synth) raw(v []float32, doc int) float64 {
	topic := int(splitmix(s.seed^uint64(doc)*0x9e3779b97f4a7c15) % topics)
	centroid := s.centroids[topic][:len(v)]
	a := pcgState{s.seed, uint64(doc) + 1<<32}.step(pcgMul, pcgInc)
	b := a.step(pcgMul, pcgInc)
	var sum float64
	i := 0
	for ; i+1 < len(centroid); i += 2 {
		x := float32(centroid[i] + 0.35*noise(a.output()))
		y := float32(centroid[i+1] + 0.35*noise(b.output()))
		a, b = a.step(pcgMul2, pcgInc2), b.step(pcgMul2, pcgInc2)
		v[i], v[i+1] = x, y
		sum += float64(x) * float64(x)
		sum += float64(y) * float64(y)
	}
	if i < len(centroid) {
		x := float32(centroid[i] + 0.35*noise(a.output()))
		v[i] = x
		sum += float64(x) * float64(x)
	}
	return sum
}

// pcgState is the 128-bit state of math/rand/v2's PCG (a linear congruential generator
// with a DXSM output function).
type pcgState struct{ hi, lo uint64 }

// pcgMul and pcgInc are math/rand/v2's PCG multiplier and increment; pcgMul2 and
// pcgInc2 make two of its steps in one: s*m*m + (m+1)*c.
var (
	pcgMul  = pcgState{2549297995355413924, 4865540595714422341}
	pcgInc  = pcgState{6364136223846793005, 1442695040888963407}
	pcgMul2 = pcgMul.mul(pcgMul)
	pcgInc2 = pcgMul.add(pcgState{0, 1}).mul(pcgInc)
)

func (p pcgState) mul(q pcgState) pcgState {
	hi, lo := bits.Mul64(p.lo, q.lo)
	return pcgState{hi + p.hi*q.lo + p.lo*q.hi, lo}
}

func (p pcgState) add(q pcgState) pcgState {
	lo, c := bits.Add64(p.lo, q.lo, 0)
	hi, _ := bits.Add64(p.hi, q.hi, c)
	return pcgState{hi, lo}
}

func (p pcgState) step(m, c pcgState) pcgState { return p.mul(m).add(c) }

// output is the number PCG.Uint64 returns once it has stepped to p.
func (p pcgState) output() uint64 {
	hi := p.hi
	hi ^= hi >> 32
	hi *= 0xda942042e4dd58b5
	hi ^= hi >> 48
	return hi * (p.lo | 1)
}

// noiseScale makes the sum of four uniform 16-bit numbers unit variance: each has
// variance (2^32-1)/12.
var noiseScale = 1 / math.Sqrt(4*(65536*65536-1)/12.0)

// noise turns one random 64-bit number into a value close to a standard normal one: the
// centred sum of its four 16-bit quarters (Irwin-Hall). The exact normal costs several
// times as much, and a refresh makes one per vector coordinate: with it, making the
// vectors, not writing them, set a refresh's pace.
func noise(x uint64) float64 {
	// The sum is converted as a signed integer (it is far below 2^63, and the centring
	// is exact either way): Go's conversion of an unsigned one costs a branch and more.
	sum := int64(x&0xffff + x>>16&0xffff + x>>32&0xffff + x>>48)
	return float64(sum-2*65535) * noiseScale
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
	scale(v, sum)
}

// scale divides v by the square root of sum, its sum of squares (a zero sum leaves v).
func scale(v []float32, sum float64) {
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
