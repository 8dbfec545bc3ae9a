package store

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The shards of a seeded refresh are the protocol's bytes: readers, the query API and
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
	}},
	{RefreshOptions{Docs: 101, Dim: 13, Shards: 2, Seed: 7}, []string{
		"shard-0000.f32 10550cde3c3c43717d115fa146f46eeb7c68b2759cb4e311156cc696bafc2775",
		"shard-0001.f32 06d9049a903a576885ffddff06363c9c3db62f1e1496a3efcb3b5cd3fc4799ce",
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
			if f.Name != DocsIndexName {
				got = append(got, f.Name+" "+f.SHA256)
			}
		}
		if strings.Join(got, "\n") != strings.Join(c.sums, "\n") {
			t.Errorf("seed %d, dim %d: shard sums\n%q\nwant\n%q", o.Seed, o.Dim, got, c.sums)
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
	for b.Loop() {
		if _, err := s.Refresh(context.Background(), o, 0); err != nil {
			b.Fatal(err)
		}
	}
	runtime.KeepAlive(s)
}
