package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The shards (and the document index) of a seeded refresh are the protocol's bytes: readers, the query API and
// the end-to-end suites compare them across versions, and the manifest's checksums name
// them. These sums were taken from the refresher before its vector making was sped up;
// any change to how a vector is made or encoded changes them. The odd dimension covers
// vectors whose length is no multiple of any unrolled loop.
var seededShardSums = []struct {
	opts RefreshOptions
	sums []string
}{
	{RefreshOptions{Docs: 1000, Dim: 384, Shards: 3, Seed: 42}, []string{
		"shard-0000.f32 502190cc17e3d72bd8ab24dd07e1d7f59077c7668b743436edfa273488a57c65",
		"shard-0001.f32 4abf720073ef13c4f53bab36d343c7de32735e7191444c0a224256ec719556c9",
		"shard-0002.f32 a940e1db3b86f4ae42534276ca405ab1725ebb87173fb7714db0b514dade5117",
		"docs.jsonl f01c20dd3d337a67176e788e715934d051a7f8a2d6ca36b5160720b1f3828e63",
	}},
	{RefreshOptions{Docs: 101, Dim: 13, Shards: 2, Seed: 7}, []string{
		"shard-0000.f32 10550cde3c3c43717d115fa146f46eeb7c68b2759cb4e311156cc696bafc2775",
		"shard-0001.f32 06d9049a903a576885ffddff06363c9c3db62f1e1496a3efcb3b5cd3fc4799ce",
		"docs.jsonl 2a11cd5e9164a3d05912ed0ab6f83d56380548a279f270209c6034262c5c5d6f",
	}},
}

func TestSeededRefreshWritesTheSameBytesAsEver(t *testing.T) {
	for _, c := range seededShardSums {
		s := newStore(t)
		o := c.opts
		o.Keep, o.Grace = 1, time.Minute
		r := mustRefresh(t, s, o)
		var got []string
		for _, f := range r.Manifest.Files {
			got = append(got, f.Name+" "+f.SHA256)
		}
		if strings.Join(got, "\n") != strings.Join(c.sums, "\n") {
			t.Errorf("seed %d, dim %d: file sums\n%q\nwant\n%q", o.Seed, o.Dim, got, c.sums)
		}
	}
}

func TestSyntheticDocumentIDsAreSixDigitsOrMore(t *testing.T) {
	docs, _, err := loadDocs(RefreshOptions{Docs: 1000002})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 7, 42, 99999, 100000, 999999, 1000000, 1000001} {
		if want := fmt.Sprintf("doc-%06d", i); docs[i].id != want {
			t.Errorf("doc %d: id %q, want %q", i, docs[i].id, want)
		}
	}
}

// BenchmarkFullRefresh measures a whole refresh with every shard new (as after a model
// change) at the benchmark's dimension: making, encoding and hashing the vectors, and
// writing and fsyncing them. Its CPU profile shows where a refresh's time goes.
func BenchmarkFullRefresh(b *testing.B) {
	const dim, shards, sizeMB = 384, 16, 64
	o := RefreshOptions{Docs: sizeMB << 20 / (dim * 4), Dim: dim, Shards: shards, Keep: 1}
	s := New(b.TempDir())
	b.SetBytes(int64(o.Docs * dim * 4))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := s.Refresh(context.Background(), o, 0); err != nil {
			b.Fatal(err)
		}
	}
}
