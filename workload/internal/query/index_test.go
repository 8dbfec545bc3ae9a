package query

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"agent-storage/workload/internal/embed"
	"agent-storage/workload/internal/store"
)

// handMade is four documents in two dimensions whose cosines to (1, 0) are exact.
func handMade(t *testing.T) *Index {
	t.Helper()
	ix, err := New("v1", 2, []string{"east", "north-east", "north", "west"}, []float32{1, 0, 3, 4, 0, 2, -1, 0})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestSearchReturnsTheKMostSimilarByCosineBestFirst(t *testing.T) {
	ix := handMade(t)
	got, err := ix.Search([]float32{2, 0}, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{{"east", 1}, {"north-east", 0.6}, {"north", 0}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestSearchCapsKAtTheNumberOfDocuments(t *testing.T) {
	got, err := handMade(t).Search([]float32{0, 1}, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []Result{{"north", 1}, {"north-east", 0.8}, {"east", 0}, {"west", 0}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v (equal scores in row order)", got, want)
	}
}

func TestSearchRejectsAVectorOfTheWrongDimensionOrZero(t *testing.T) {
	ix := handMade(t)
	for _, q := range [][]float32{{1, 0, 0}, {0, 0}} {
		if _, err := ix.Search(q, 1); !errors.Is(err, ErrBadQuery) {
			t.Errorf("query %v: got %v, want ErrBadQuery", q, err)
		}
	}
}

func newStore(t *testing.T) *store.Store {
	t.Helper()
	s := store.New(filepath.Join(t.TempDir(), "embeddings"))
	if err := os.Mkdir(s.Root, 0o755); err != nil {
		t.Fatal(err)
	}
	return s
}

func refresh(t *testing.T, s *store.Store, o store.RefreshOptions) string {
	t.Helper()
	if o.Dim == 0 {
		o.Docs, o.Dim, o.Shards = 50, 16, 3
	}
	o.Keep, o.Grace = 5, time.Hour
	r, err := s.Refresh(context.Background(), o, 0)
	if err != nil {
		t.Fatal(err)
	}
	return r.Version
}

func mustSync(t *testing.T, h *Holder, s *store.Store) {
	t.Helper()
	if _, err := h.Sync(s); err != nil {
		t.Fatal(err)
	}
}

func TestALoadedVersionHoldsTheGeneratorsVectorsUnderTheirDocumentIDs(t *testing.T) {
	s := newStore(t)
	id := refresh(t, s, store.RefreshOptions{Docs: 50, Dim: 16, Shards: 3, Seed: 7})
	var h Holder
	mustSync(t, &h, s)
	ix := h.Current()
	if ix.Version != id || ix.Len() != 50 {
		t.Fatalf("serving %s with %d docs, want %s with 50", ix.Version, ix.Len(), id)
	}
	for _, doc := range []int{0, 16, 17, 49} { // first and last rows of shards
		got, err := ix.Search(embed.Synthetic(7, doc, 16), 1)
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("doc-%06d", doc)
		if got[0].ID != want || math.Abs(got[0].Score-1) > 1e-6 {
			t.Errorf("doc %d's own vector finds %v, want %s with score 1", doc, got[0], want)
		}
	}
}

func TestATextQueryIsEmbeddedAsTheGeneratorEmbedsDocuments(t *testing.T) {
	in := t.TempDir()
	texts := map[string]string{
		"cats.txt":   "cats purr and sleep in the sun",
		"boats.txt":  "boats sail across the harbour at dawn",
		"stocks.txt": "stocks fell sharply as markets opened",
	}
	for name, text := range texts {
		if err := os.WriteFile(filepath.Join(in, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := newStore(t)
	refresh(t, s, store.RefreshOptions{Dim: 64, Shards: 2, InputDir: in})
	var h Holder
	mustSync(t, &h, s)
	ix := h.Current()
	for name, text := range texts {
		if !reflect.DeepEqual(ix.Embed(text), embed.Hashed(text, 64)) {
			t.Fatalf("Embed differs from embed.Hashed")
		}
		got, err := ix.Search(ix.Embed(text), 1)
		if err != nil {
			t.Fatal(err)
		}
		if got[0].ID != name || math.Abs(got[0].Score-1) > 1e-6 {
			t.Errorf("text of %s finds %v, want %s with score 1", name, got[0], name)
		}
	}
}

// damage replaces a file of the version with other content. Files are hard links to
// shared objects, so the link is replaced, not written through.
func damage(t *testing.T, s *store.Store, id, name string, content func([]byte) []byte) {
	t.Helper()
	p := filepath.Join(s.VersionDir(id), name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if content != nil {
		if err := os.WriteFile(p, content(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func flipByte(b []byte) []byte { b[len(b)/2] ^= 0xff; return b }
func halve(b []byte) []byte    { return b[:len(b)/2] }

func TestTheOldVersionKeepsAnsweringUntilANewOneVerifies(t *testing.T) {
	s := newStore(t)
	old := refresh(t, s, store.RefreshOptions{})
	var h Holder
	mustSync(t, &h, s)
	bad := refresh(t, s, store.RefreshOptions{})
	damage(t, s, bad, "shard-0001.f32", flipByte)
	changed, err := h.Sync(s)
	if !errors.Is(err, store.ErrCorrupt) || changed {
		t.Fatalf("sync to a corrupt version: changed %v, err %v; want ErrCorrupt", changed, err)
	}
	if got := h.Current().Version; got != old {
		t.Fatalf("serving %s after a failed swap, want the old %s", got, old)
	}
	good := refresh(t, s, store.RefreshOptions{})
	if changed, err := h.Sync(s); err != nil || !changed {
		t.Fatalf("sync to a good version: changed %v, err %v", changed, err)
	}
	if got := h.Current().Version; got != good {
		t.Fatalf("serving %s, want the new %s", got, good)
	}
}

func TestAPartialOrCorruptVersionIsNeverServed(t *testing.T) {
	for _, c := range []struct {
		name    string
		file    string
		content func([]byte) []byte
		want    error
	}{
		{"short shard", "shard-0002.f32", halve, store.ErrPartial},
		{"missing shard", "shard-0000.f32", nil, store.ErrPartial},
		{"missing docs index", store.DocsIndexName, nil, store.ErrPartial},
		{"corrupt docs index", store.DocsIndexName, flipByte, store.ErrCorrupt},
		{"no manifest", store.ManifestName, nil, store.ErrPartial},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newStore(t)
			id := refresh(t, s, store.RefreshOptions{})
			damage(t, s, id, c.file, c.content)
			var h Holder
			if _, err := h.Sync(s); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if h.Current() != nil {
				t.Fatalf("serving %s, a damaged version", h.Current().Version)
			}
		})
	}
}
