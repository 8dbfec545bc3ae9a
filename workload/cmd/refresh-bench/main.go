// Command refresh-bench measures what a refresh costs on this machine's disk, against the
// disk's own sequential write speed: a full refresh and a partly changed one (time,
// MB/s, bytes written), the space each kept version takes, and how soon readers see a
// new version, and what one readiness check costs. bench/refresh builds it and the refresher
// and runs it; see there.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"agent-storage/workload/internal/store"
)

type config struct {
	refresher string
	dir       string
	sizeMB    int
	rounds    int
	dim       int
	shards    int
	change    float64
	readers   int
	keep      int
}

func main() {
	c := config{}
	flag.StringVar(&c.refresher, "refresher", "", "the refresher `BINARY` to measure (required)")
	flag.StringVar(&c.dir, "dir", "", "scratch `DIR` on the disk to measure (default: a new folder under $TMPDIR)")
	flag.IntVar(&c.sizeMB, "size-mb", envInt("REFRESH_BENCH_SIZE_MB", 1024), "embeddings per version in `MiB` (env REFRESH_BENCH_SIZE_MB)")
	flag.IntVar(&c.rounds, "rounds", 3, "rounds of each measurement; medians are reported")
	flag.IntVar(&c.dim, "dim", 384, "embedding dimension")
	flag.IntVar(&c.shards, "shards", 100, "shards per version")
	flag.Float64Var(&c.change, "change-fraction", 0.05, "fraction of the shards the partly changed refresh regenerates")
	flag.IntVar(&c.readers, "readers", 4, "reader goroutines following current (the reader's code path) during the refreshes")
	flag.IntVar(&c.keep, "keep", 3, "versions kept by the full refreshes")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "refresh-bench:", err)
		os.Exit(1)
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func run(c config) error {
	if c.refresher == "" {
		return errors.New("--refresher is required")
	}
	if c.sizeMB < 1 || c.rounds < 1 || c.shards < 1 || c.change <= 0 || c.change > 1 {
		return errors.New("--size-mb, --rounds and --shards must be positive, --change-fraction in (0, 1]")
	}
	if c.dir == "" {
		d, err := os.MkdirTemp("", "refresh-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		c.dir = d
	}
	docs := c.sizeMB << 20 / (c.dim * 4)
	if docs < c.shards {
		return fmt.Errorf("--size-mb %d makes %d docs, fewer than --shards %d", c.sizeMB, docs, c.shards)
	}
	fmt.Fprintf(os.Stderr, "refresh-bench: %d MiB per version (%d docs x %d dims, %d shards) in %s, %d rounds\n",
		c.sizeMB, docs, c.dim, c.shards, c.dir, c.rounds)

	var ddRates []float64
	for i := 0; i < c.rounds; i++ {
		r, err := ddRate(c.dir, c.sizeMB)
		if err != nil {
			return err
		}
		ddRates = append(ddRates, r)
	}
	dd := median(ddRates)

	common := []string{"--docs", strconv.Itoa(docs), "--dim", strconv.Itoa(c.dim), "--shards", strconv.Itoa(c.shards), "--grace", "0"}

	// Full refreshes: every shard new (no --seed), as after a model change.
	full := filepath.Join(c.dir, "full")
	fw := newWatch(full, c.readers)
	var fullRuns []refreshRun
	for i := 0; i < c.rounds; i++ {
		r, err := refresh(c.refresher, full, append(common, "--keep", strconv.Itoa(c.keep)), fw)
		if err != nil {
			return err
		}
		fullRuns = append(fullRuns, r)
	}
	fw.stop()
	oneVersion, err := du(store.New(full).VersionDir(fullRuns[len(fullRuns)-1].version))
	if err != nil {
		return err
	}
	fullDu, _ := du(full)
	os.RemoveAll(full)

	// Partly changed refreshes: a base version, then rounds that regenerate a fraction of
	// the shards. Every version is kept, so each round's growth is what one more kept
	// version costs.
	part := filepath.Join(c.dir, "changed")
	seedArgs := append(common, "--seed", "1", "--keep", strconv.Itoa(c.rounds+1))
	pw := newWatch(part, c.readers)
	if _, err := refresh(c.refresher, part, seedArgs, pw); err != nil {
		return err
	}
	base, err := du(part)
	if err != nil {
		return err
	}
	var partRuns []refreshRun
	var growth []float64
	prev := base
	for i := 0; i < c.rounds; i++ {
		r, err := refresh(c.refresher, part, append(seedArgs, "--change-fraction", strconv.FormatFloat(c.change, 'f', -1, 64)), pw)
		if err != nil {
			return err
		}
		partRuns = append(partRuns, r)
		now, err := du(part)
		if err != nil {
			return err
		}
		growth = append(growth, float64(now-prev))
		prev = now
	}
	pw.stop()
	total := prev
	os.RemoveAll(part)

	// Refreshes with nothing changed: every shard is made and hashed, nothing is
	// written. Their time is the floor the vectors set, whatever the disk.
	same := filepath.Join(c.dir, "same")
	sameArgs := append(common, "--seed", "1", "--keep", "2")
	var sameRuns []refreshRun
	for i := 0; i <= c.rounds; i++ {
		r, err := refresh(c.refresher, same, sameArgs, nil)
		if err != nil {
			return err
		}
		if i > 0 {
			sameRuns = append(sameRuns, r)
		}
	}
	// What one readiness check costs on this version: the generator's exec probe and the
	// readers' cheap tick check sizes only; a full check hashes every file.
	var probes []probeCost
	for _, checksums := range []bool{false, true} {
		pc, err := probe(c.refresher, same, checksums, c.rounds)
		if err != nil {
			return err
		}
		probes = append(probes, pc)
	}
	os.RemoveAll(same)

	printTable(c, dd, ddRates, fullRuns, oneVersion, fullDu, partRuns, sameRuns, base, growth, total, append(fw.results(), pw.results()...))
	printProbes(probes)
	return nil
}

// probeCost is one kind of readiness check, medians over the rounds.
type probeCost struct {
	checksums bool
	seconds   float64 // wall time of `refresher ready`, process start included
	cpu       float64 // its user + system seconds
	bytes     int64   // what the check reads of the version's files (the verifier's own count)
	files     int
}

// probe runs `refresher ready` as a probe does, rounds times, and measures the same check
// in-process to count the bytes it reads.
func probe(bin, emb string, checksums bool, rounds int) (probeCost, error) {
	pc := probeCost{checksums: checksums}
	var walls, cpus []float64
	for i := 0; i < rounds; i++ {
		cmd := exec.Command(bin, "ready", "--embeddings", emb, "--checksums="+strconv.FormatBool(checksums))
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return pc, fmt.Errorf("refresher ready: %v: %s", err, out)
		}
		walls = append(walls, time.Since(start).Seconds())
		cpus = append(cpus, (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds())
	}
	pc.seconds, pc.cpu = median(walls), median(cpus)
	s := store.New(emb)
	id, dir, err := s.ResolveCurrent()
	if err != nil {
		return pc, err
	}
	_, st, err := store.Verify(dir, id, checksums)
	if err != nil {
		return pc, err
	}
	pc.files = st.Files
	if checksums {
		pc.bytes = st.Bytes
	} else if fi, err := os.Stat(filepath.Join(dir, store.ManifestName)); err == nil {
		pc.bytes = fi.Size() // sizes come from stat; only the manifest is read
	}
	return pc, nil
}

func printProbes(probes []probeCost) {
	fmt.Printf("\n| readiness check on one version (`refresher ready`, page cache warm) | wall | CPU | bytes read |\n|---|---|---|---|\n")
	for _, p := range probes {
		what := "sizes only (`--checksums=false`: the generator's probe, the readers' tick)"
		if p.checksums {
			what = "every file hashed (`refresher ready`, the probe without the query API)"
		}
		fmt.Printf("| %s | %.0f ms | %.0f ms | %.3f MB (%d files) |\n", what, p.seconds*1000, p.cpu*1000, mb(float64(p.bytes)), p.files)
	}
}

// ddRate is dd's sequential write speed in MB/s, with the data fsynced before dd ends.
func ddRate(dir string, sizeMB int) (float64, error) {
	out := filepath.Join(dir, "dd.bin")
	defer os.Remove(out)
	start := time.Now()
	b, err := exec.Command("dd", "if=/dev/zero", "of="+out, "bs=1M", "count="+strconv.Itoa(sizeMB), "conv=fsync").CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("dd: %v: %s", err, b)
	}
	return float64(sizeMB<<20) / 1e6 / time.Since(start).Seconds(), nil
}

type refreshRun struct {
	version         string
	seconds         float64
	cpu             float64 // user + system seconds of the refresher process
	written, reused int64
	total           int64
	publishedAt     time.Time
}

var (
	resultLine = regexp.MustCompile(`refreshed: current -> (\S+) .*, (\d+) bytes \((\d+) written, (\d+) unchanged and shared\)`)
	switchLine = regexp.MustCompile(`^(\S+) refresh (\S+): current \S+ -> (\S+)$`)
)

// refresh runs one `refresher refresh` and reads what it did from its output. The
// publish time is the refresher's own log line, written right after the switch.
func refresh(bin, emb string, args []string, w *watch) (refreshRun, error) {
	cmd := exec.Command(bin, append([]string{"refresh", "--embeddings", emb}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return refreshRun{}, fmt.Errorf("refresher refresh: %v\n%s", err, stderr.String())
	}
	r := refreshRun{seconds: time.Since(start).Seconds(),
		cpu: (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()}
	m := resultLine.FindStringSubmatch(stdout.String())
	if m == nil {
		return r, fmt.Errorf("cannot read the refresher's result: %s", stdout.String())
	}
	r.version = m[1]
	r.total, _ = strconv.ParseInt(m[2], 10, 64)
	r.written, _ = strconv.ParseInt(m[3], 10, 64)
	r.reused, _ = strconv.ParseInt(m[4], 10, 64)
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		if s := switchLine.FindStringSubmatch(sc.Text()); s != nil && s[3] == r.version {
			r.publishedAt, _ = time.Parse("2006-01-02T15:04:05.000Z", s[1])
		}
	}
	if w != nil {
		w.publish(r.version, r.publishedAt)
		// The verifying reader reads the whole version; the next refresh waits for it,
		// so that read is not timed as part of that refresh.
		w.waitVerified(r.version, time.Minute)
	}
	return r, nil
}

// du is the disk space a tree takes (each hard-linked file once), in bytes.
func du(path string) (int64, error) {
	b, err := exec.Command("du", "-s", "--block-size=1", path).Output()
	if err != nil {
		return 0, fmt.Errorf("du %s: %v", path, err)
	}
	return strconv.ParseInt(strings.Fields(string(b))[0], 10, 64)
}

// watch runs readers that follow current as inference pods do (store.ResolveCurrent,
// then store.Verify with checksums), recording when each first saw each version.
type watch struct {
	mu          sync.Mutex
	seen        map[string][]time.Time // version -> when each reader first resolved it
	verified    map[string]time.Time   // version -> when reader 0 finished verifying it
	publishedAt map[string]time.Time
	done        chan struct{}
	wg          sync.WaitGroup
}

func newWatch(root string, readers int) *watch {
	w := &watch{seen: map[string][]time.Time{}, verified: map[string]time.Time{}, publishedAt: map[string]time.Time{}, done: make(chan struct{})}
	for i := 0; i < readers; i++ {
		w.wg.Add(1)
		go w.reader(store.New(root), i == 0)
	}
	return w
}

func (w *watch) reader(s *store.Store, verifies bool) {
	defer w.wg.Done()
	last := ""
	for {
		select {
		case <-w.done:
			return
		case <-time.After(time.Millisecond):
		}
		id, dir, err := s.ResolveCurrent()
		if err != nil || id == last {
			continue
		}
		at := time.Now()
		last = id
		w.mu.Lock()
		w.seen[id] = append(w.seen[id], at)
		w.mu.Unlock()
		if verifies {
			if _, _, err := store.Verify(dir, id, true); err == nil {
				w.mu.Lock()
				w.verified[id] = time.Now()
				w.mu.Unlock()
			}
		}
	}
}

func (w *watch) publish(id string, at time.Time) {
	w.mu.Lock()
	w.publishedAt[id] = at
	w.mu.Unlock()
}

func (w *watch) stop() { close(w.done); w.wg.Wait() }

// waitVerified waits until the verifying reader has read version id whole, or timeout.
func (w *watch) waitVerified(id string, timeout time.Duration) {
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		w.mu.Lock()
		_, ok := w.verified[id]
		w.mu.Unlock()
		if ok {
			return
		}
	}
}

// latency is one version's switch as the readers saw it.
type latency struct{ allSeen, verified time.Duration }

// results gives, per published version every reader saw, the time from publish until
// the last reader resolved it, and until the verifying reader had read it whole.
func (w *watch) results() []latency {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []latency
	for id, pub := range w.publishedAt {
		seen := w.seen[id]
		v, ok := w.verified[id]
		if pub.IsZero() || len(seen) == 0 || !ok {
			continue
		}
		lastSeen := seen[0]
		for _, t := range seen {
			if t.After(lastSeen) {
				lastSeen = t
			}
		}
		out = append(out, latency{max(lastSeen.Sub(pub), 0), max(v.Sub(pub), 0)})
	}
	return out
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return math.NaN()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianOf(runs []refreshRun, f func(refreshRun) float64) float64 {
	var xs []float64
	for _, r := range runs {
		xs = append(xs, f(r))
	}
	return median(xs)
}

func mb(n float64) float64 { return n / 1e6 }

func okMark(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

func printTable(c config, dd float64, ddRates []float64, full []refreshRun, one, fullDu int64, part, same []refreshRun, base int64, growth []float64, total int64, lat []latency) {
	fullSecs := medianOf(full, func(r refreshRun) float64 { return r.seconds })
	fullRate := medianOf(full, func(r refreshRun) float64 { return mb(float64(r.written)) / r.seconds })
	fullCPU := medianOf(full, func(r refreshRun) float64 { return r.cpu })
	partSecs := medianOf(part, func(r refreshRun) float64 { return r.seconds })
	partCPU := medianOf(part, func(r refreshRun) float64 { return r.cpu })
	partWritten := medianOf(part, func(r refreshRun) float64 { return float64(r.written) })
	partTotal := float64(part[0].total)
	perVersion := median(growth) / float64(base)
	// A version's directory, manifest and the blocks they round up to come on top of
	// its changed shards.
	slack := 64 << 10 / float64(base)
	var seen, verified []float64
	for _, l := range lat {
		seen = append(seen, l.allSeen.Seconds()*1000)
		verified = append(verified, l.verified.Seconds()*1000)
	}
	ms := func(xs []float64) string {
		if len(xs) == 0 {
			return "-"
		}
		v := median(xs)
		if v < 1 {
			return "< 1 ms"
		}
		return fmt.Sprintf("%.0f ms", v)
	}
	fmt.Printf("refresh benchmark: %d MiB per version (%d dims, %d shards), %d rounds, medians; %s\n\n",
		c.sizeMB, c.dim, c.shards, c.rounds, time.Now().UTC().Format(time.RFC3339))
	fmt.Println("| measure | value | target | met |")
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| disk sequential write (dd bs=1M conv=fsync) | %.0f MB/s (runs %s) | | |\n", dd, list(ddRates, "%.0f"))
	fmt.Printf("| full refresh (every shard new, keep %d) | %.2f s (%.2f s CPU), %.0f MB/s = %.2f x dd | >= 0.50 x dd | %s |\n",
		c.keep, fullSecs, fullCPU, fullRate, fullRate/dd, okMark(fullRate/dd >= 0.5))
	fmt.Printf("| %.0f%%-changed refresh | %.2f s (%.2f s CPU), %.1f MB written of %.1f MB (%.1f%%) | | |\n",
		c.change*100, partSecs, partCPU, mb(partWritten), mb(partTotal), 100*partWritten/partTotal)
	fmt.Printf("| refresh with nothing changed (vectors and sha256 only, nothing written) | %.2f s (%.2f s CPU), %.0f MB/s | | |\n",
		medianOf(same, func(r refreshRun) float64 { return r.seconds }), medianOf(same, func(r refreshRun) float64 { return r.cpu }),
		medianOf(same, func(r refreshRun) float64 { return mb(float64(r.total)) / r.seconds }))
	fmt.Printf("| space of one version (du) | %.1f MB | | |\n", mb(float64(base)))
	fmt.Printf("| space per further kept version, %.0f%% changed (du growth / one version) | +%.2f%% (rounds %s) | <= +%.0f%% | %s |\n",
		c.change*100, 100*perVersion, list(growthPct(growth, base), "+%.2f%%"), c.change*100, okMark(perVersion <= c.change+slack))
	fmt.Printf("| %d kept versions, %.0f%% changed each (du) | %.1f MB = %.2f x one version | %.2f x | %s |\n",
		c.rounds+1, c.change*100, mb(float64(total)), float64(total)/float64(base), 1+float64(c.rounds)*c.change,
		okMark(float64(total)/float64(base) <= 1+float64(c.rounds)*(c.change+slack)))
	fmt.Printf("| %d kept versions, every shard new (du) | %.1f MB = %.2f x one version | | |\n", min(c.keep, c.rounds), mb(float64(fullDu)), float64(fullDu)/float64(one))
	fmt.Printf("| readers resolve the new version after publish (%d readers polling every 1 ms; slowest) | %s | | |\n", c.readers, ms(seen))
	fmt.Printf("| a reader has read and verified the new version (sha256 of every file) after publish | %s | | |\n", ms(verified))
	fmt.Println()
	fmt.Println("Publish is the refresher's log line right after the rename over current (millisecond")
	fmt.Println("timestamps). Space targets allow 64 KiB per version for its directory and manifest.")
	fmt.Println("CPU is the refresher's user + system time: every refresh makes (and hashes) every shard's")
	fmt.Println("vectors, changed or not, and writes only the changed ones.")
}

func growthPct(g []float64, base int64) []float64 {
	var out []float64
	for _, x := range g {
		out = append(out, 100*x/float64(base))
	}
	return out
}

func list(xs []float64, format string) string {
	var parts []string
	for _, x := range xs {
		parts = append(parts, fmt.Sprintf(format, x))
	}
	return strings.Join(parts, ", ")
}
