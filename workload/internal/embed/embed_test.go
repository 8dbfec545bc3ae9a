package embed

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func TestSyntheticDeterministicAndUnit(t *testing.T) {
	a := Synthetic(42, 7, 64)
	b := Synthetic(42, 7, 64)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed and doc gave different vectors at %d", i)
		}
	}
	if n := norm(a); math.Abs(n-1) > 1e-5 {
		t.Fatalf("norm %v, want 1", n)
	}
	c := Synthetic(43, 7, 64)
	if Cosine(a, c) > 0.99 {
		t.Fatalf("different seeds gave (almost) the same vector")
	}
	d := Synthetic(42, 8, 64)
	if Cosine(a, d) > 0.9999 {
		t.Fatalf("different docs gave the same vector")
	}
}

func TestSyntheticHasTopics(t *testing.T) {
	// With 12 topics, among 60 docs each doc has a close neighbour (same topic) and a
	// far one (different topic).
	const n, dim = 60, 64
	vs := make([][]float32, n)
	for i := range vs {
		vs[i] = Synthetic(1, i, dim)
	}
	maxSim, minSim := -1.0, 1.0
	for j := 1; j < n; j++ {
		s := Cosine(vs[0], vs[j])
		maxSim = math.Max(maxSim, s)
		minSim = math.Min(minSim, s)
	}
	if maxSim < 0.7 || minSim > 0.5 {
		t.Fatalf("no topic structure: nearest %.2f, farthest %.2f", maxSim, minSim)
	}
}

func TestHashed(t *testing.T) {
	a := Hashed("Kubernetes volumes keep the agent's embeddings.", 128)
	b := Hashed("kubernetes VOLUMES keep the agent's embeddings", 128)
	if Cosine(a, b) < 0.9999 {
		t.Fatalf("same words (case and punctuation aside) should embed the same: %v", Cosine(a, b))
	}
	if n := norm(a); math.Abs(n-1) > 1e-5 {
		t.Fatalf("norm %v", n)
	}
	c := Hashed("Kubernetes volumes keep the agent's checkpoints.", 128)
	d := Hashed("A recipe for lemon cake with poppy seeds", 128)
	if !(Cosine(a, c) > Cosine(a, d)) {
		t.Fatalf("shared words should be closer: sim(a,c)=%.2f sim(a,d)=%.2f", Cosine(a, c), Cosine(a, d))
	}
	if z := Hashed("  ... !!", 16); norm(z) != 0 {
		t.Fatalf("text without words should give the zero vector")
	}
}

func TestLERoundTrip(t *testing.T) {
	v := []float32{0, 1, -1.5, float32(math.Pi)}
	got := DecodeLE(AppendLE(nil, v))
	if len(got) != len(v) {
		t.Fatal(len(got))
	}
	for i := range v {
		if got[i] != v[i] {
			t.Fatalf("%d: %v != %v", i, got[i], v[i])
		}
	}
	if b := AppendLE(nil, []float32{1}); b[3] != 0x3f || b[2] != 0x80 {
		t.Fatalf("not little-endian: % x", b)
	}
}

// reference is how a synthetic vector is defined: its topic's centroid (normal
// coordinates from a generator seeded by the seed and topic) plus 0.35 times noise from
// one seeded by the seed and doc, normalised.
func reference(seed uint64, doc, dim int) []float32 {
	topic := splitmix(seed^uint64(doc)*0x9e3779b97f4a7c15) % topics
	centroid := gaussian(rand.New(rand.NewPCG(seed, topic+1)), dim)
	src := rand.NewPCG(seed, uint64(doc)+1<<32)
	v := make([]float32, dim)
	for i := range v {
		x := src.Uint64()
		var sum float64
		for q := 0; q < 4; q++ {
			sum += float64(x >> (16 * q) & 0xffff)
		}
		v[i] = float32(centroid[i] + 0.35*(sum-2*65535)/math.Sqrt(4*(65536*65536-1)/12.0))
	}
	Normalize(v)
	return v
}

func TestNoiseHasTheMeanAndVarianceOfAStandardNormal(t *testing.T) {
	src := rand.NewPCG(1, 2)
	const n = 200000
	var sum, sq float64
	for i := 0; i < n; i++ {
		x := noise(src.Uint64())
		sum += x
		sq += x * x
	}
	mean := sum / n
	variance := sq/n - mean*mean
	if math.Abs(mean) > 0.01 || math.Abs(variance-1) > 0.02 {
		t.Fatalf("noise mean %.4f, variance %.4f; want 0 and 1", mean, variance)
	}
}

func TestSynthWithItsCachedCentroidsGivesTheDefinedVectors(t *testing.T) {
	g := NewSynth(42, 48)
	for _, doc := range []int{0, 1, 7, 1000} {
		a, want := g.Vector(doc), reference(42, doc, 48)
		for i := range a {
			if a[i] != want[i] {
				t.Fatalf("doc %d differs at %d: %v, want %v", doc, i, a[i], want[i])
			}
		}
		if enc, _ := g.AppendLE(nil, nil, doc); !bytes.Equal(enc, AppendLE(nil, want)) {
			t.Fatalf("doc %d: AppendLE differs from the encoded vector", doc)
		}
	}
}

func TestPCGStepsGiveMathRandsNumbers(t *testing.T) {
	for _, seed := range []pcgState{{0, 0}, {42, 7 + 1<<32}, {^uint64(0), ^uint64(0)}} {
		want := rand.NewPCG(seed.hi, seed.lo)
		one := seed
		two := [2]pcgState{seed.step(pcgMul, pcgInc), seed.step(pcgMul, pcgInc).step(pcgMul, pcgInc)}
		for i := 0; i < 1000; i++ {
			w := want.Uint64()
			one = one.step(pcgMul, pcgInc)
			if got := one.output(); got != w {
				t.Fatalf("seed %v, number %d: one step at a time gave %#x, want %#x", seed, i, got, w)
			}
			if got := two[i%2].output(); got != w {
				t.Fatalf("seed %v, number %d: two interleaved streams gave %#x, want %#x", seed, i, got, w)
			}
			if i%2 == 1 {
				two[0], two[1] = two[0].step(pcgMul2, pcgInc2), two[1].step(pcgMul2, pcgInc2)
			}
		}
	}
}
