// Command query-bench measures how fast one reader's query index answers, against the
// memory floor of the same machine: a query scans every vector, so it can go no faster
// than one plain pass over the same float32 matrix. Each round times queries and then
// plain summing passes over the very slice the index holds, on the same OS thread, so
// both see the same caches, core and memory; medians of the rounds are reported.
// bench/query builds and runs it; see there.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"

	"agent-storage/workload/internal/embed"
	"agent-storage/workload/internal/query"
)

type config struct {
	docs, dim, k, rounds int
	perRound             time.Duration
}

func main() {
	c := config{}
	flag.IntVar(&c.docs, "docs", 100_000, "vectors in the index")
	flag.IntVar(&c.dim, "dim", 384, "dimensions per vector")
	flag.IntVar(&c.k, "k", query.DefaultK, "neighbours per query")
	flag.IntVar(&c.rounds, "rounds", 5, "rounds; medians are reported")
	flag.DurationVar(&c.perRound, "per-round", 2*time.Second, "time spent on each of the two measurements of a round")
	flag.Parse()
	if err := run(c, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "query-bench:", err)
		os.Exit(1)
	}
}

// figures is one round.
type figures struct {
	qps, indexGBs, floorGBs float64
}

func (f figures) ratio() float64 { return f.indexGBs / f.floorGBs }

func run(c config, w io.Writer) error {
	if c.docs < 1 || c.dim < 1 || c.k < 1 || c.k > query.MaxK || c.rounds < 1 || c.perRound <= 0 {
		return fmt.Errorf("--docs, --dim, --rounds and --per-round must be positive, --k between 1 and %d", query.MaxK)
	}
	// One thread for both measurements: the floor is what this core gets from memory.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ids, vecs := query.RandomCorpus(c.docs, c.dim)
	ix, err := query.New("bench", c.dim, ids, vecs)
	if err != nil {
		return err
	}
	queries := make([][]float32, 64)
	for i := range queries {
		queries[i] = embed.Synthetic(7, i, c.dim)
	}
	bytes := float64(c.docs) * float64(c.dim) * 4
	fmt.Fprintf(w, "query-bench: %d vectors x %d dims (%.1f MiB of float32), k %d, %d rounds of %s each, GOMAXPROCS %d, %s/%s\n\n",
		c.docs, c.dim, bytes/(1<<20), c.k, c.rounds, c.perRound, runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "round\tqueries/s\tindex GB/s\tfloor GB/s\tindex/floor\t")
	var rounds []figures
	for r := 1; r <= c.rounds; r++ {
		var searchErr error
		qps := rate(c.perRound, func(i int) {
			if _, err := ix.Search(queries[i%len(queries)], c.k); err != nil {
				searchErr = err
			}
		})
		if searchErr != nil {
			return searchErr
		}
		passes := rate(c.perRound, func(int) { sink += sum(vecs) })
		f := figures{qps: qps, indexGBs: qps * bytes / 1e9, floorGBs: passes * bytes / 1e9}
		rounds = append(rounds, f)
		fmt.Fprintf(tw, "%d\t%.1f\t%.2f\t%.2f\t%.2f\t\n", r, f.qps, f.indexGBs, f.floorGBs, f.ratio())
	}
	m := figures{
		qps:      median(rounds, func(f figures) float64 { return f.qps }),
		indexGBs: median(rounds, func(f figures) float64 { return f.indexGBs }),
		floorGBs: median(rounds, func(f figures) float64 { return f.floorGBs }),
	}
	fmt.Fprintf(tw, "median\t%.1f\t%.2f\t%.2f\t%s\t\n", m.qps, m.indexGBs, m.floorGBs,
		strconv.FormatFloat(median(rounds, figures.ratio), 'f', 2, 64))
	return tw.Flush()
}

// sink keeps the summing passes from being optimised away.
var sink float32

// sum is the floor: every value loaded once and added, with enough independent
// accumulators that the adds keep up with memory rather than wait on each other.
func sum(v []float32) float32 {
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(v); i += 8 {
		s0 += v[i]
		s1 += v[i+1]
		s2 += v[i+2]
		s3 += v[i+3]
		s4 += v[i+4]
		s5 += v[i+5]
		s6 += v[i+6]
		s7 += v[i+7]
	}
	for ; i < len(v); i++ {
		s0 += v[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// rate calls fn with 0, 1, 2, ... for at least d (and at least 3 calls) and returns the
// calls per second.
func rate(d time.Duration, fn func(int)) float64 {
	start := time.Now()
	n := 0
	for ; n < 3 || time.Since(start) < d; n++ {
		fn(n)
	}
	return float64(n) / time.Since(start).Seconds()
}

func median(fs []figures, of func(figures) float64) float64 {
	xs := make([]float64, len(fs))
	for i, f := range fs {
		xs[i] = of(f)
	}
	sort.Float64s(xs)
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}
