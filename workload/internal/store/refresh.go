package store

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"agent-storage/workload/internal/atomicfile"
	"agent-storage/workload/internal/embed"
)

// RefreshOptions says what one refresh writes and how it keeps old versions.
type RefreshOptions struct {
	Docs   int // synthetic documents (ignored with InputDir)
	Dim    int // vector dimension
	Shards int // number of shard files
	// Seed makes synthetic vectors deterministic. 0 derives a seed from the version id,
	// so each refresh writes new vectors.
	Seed uint64
	// ChangeFraction (0 to 1, with a Seed) regenerates that fraction of the shards,
	// rounded up, with vectors new to this version, and keeps the others as the Seed
	// makes them: a refresh where only part of the embeddings changed (benchmarks and
	// tests of how little an unchanged shard costs). 0 keeps every shard.
	ChangeFraction float64
	// InputDir, when set, embeds every regular file under it (hash-based embedding)
	// instead of synthetic documents.
	InputDir string
	Keep     int           // complete versions to keep (>= 1)
	Grace    time.Duration // minimum time a retired version stays on disk
	// Checkpoints records progress (optional).
	Checkpoints Checkpoints
	// PauseAfterShard sleeps after each shard (tests and demos: makes a run slow enough to
	// kill half-way).
	PauseAfterShard time.Duration
	// FailAfterShards > 0 makes the run fail after writing that many shards, as a crash
	// would: the temporary directory is left for the next run to clean up.
	FailAfterShards int
	// AfterShard, when set, is called after each shard is written and fsynced (the CLI's
	// --crash-after-shards uses it to SIGKILL itself).
	AfterShard func(written, total int)
}

// Validate checks the options, naming the command-line flag in errors.
func (o RefreshOptions) Validate() error {
	switch {
	case o.InputDir == "" && o.Docs < 1:
		return fmt.Errorf("--docs must be at least 1 (got %d)", o.Docs)
	case o.Dim < 1 || o.Dim > 65536:
		return fmt.Errorf("--dim must be between 1 and 65536 (got %d)", o.Dim)
	case o.Shards < 1:
		return fmt.Errorf("--shards must be at least 1 (got %d)", o.Shards)
	case o.InputDir == "" && o.Shards > o.Docs:
		return fmt.Errorf("--shards (%d) cannot exceed --docs (%d)", o.Shards, o.Docs)
	case o.Keep < 1:
		return fmt.Errorf("--keep must be at least 1 (got %d)", o.Keep)
	case o.Grace < 0:
		return fmt.Errorf("--grace must not be negative (got %s)", o.Grace)
	case o.ChangeFraction < 0 || o.ChangeFraction > 1:
		return fmt.Errorf("--change-fraction must be between 0 and 1 (got %g)", o.ChangeFraction)
	case o.ChangeFraction > 0 && (o.Seed == 0 || o.InputDir != ""):
		return fmt.Errorf("--change-fraction needs --seed (without one, every shard is new anyway) and synthetic docs (not --input)")
	case o.FailAfterShards < 0:
		return fmt.Errorf("--fail-after-shards must not be negative")
	}
	return nil
}

// Result reports a successful refresh.
type Result struct {
	Version   string
	Previous  string
	Manifest  *Manifest
	CleanedUp []string // leftovers of earlier runs removed first
	Deleted   []string // old versions removed by retention
	Deferred  []string // old versions kept until their grace period ends
	// Written is the bytes of files written anew; Reused, those of files that an
	// earlier version already held, linked instead of written.
	Written, Reused int64
	Duration        time.Duration
}

// ErrSimulatedFailure is returned by a run with FailAfterShards.
var ErrSimulatedFailure = errors.New("simulated failure (--fail-after-shards)")

// Refresh takes the lock (waiting up to lockWait, see Lock) and runs one refresh.
func (s *Store) Refresh(ctx context.Context, opts RefreshOptions, lockWait time.Duration) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	l, err := s.Lock(ctx, lockWait, "refresh")
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	return s.RefreshLocked(ctx, opts)
}

type doc struct {
	id, source, text string
}

// RefreshLocked runs one refresh; the caller holds the lock. The protocol:
//
//  1. remove leftovers of interrupted runs (.tmp-*, .del-*, stale temporary links),
//     apply retention, and check that the new version fits (see checkSpace);
//  2. put every file into versions/.tmp-<id>/ as a hard link to the object holding its
//     content, writing (and fsyncing) the object first only if no object holds it yet;
//  3. write manifest.json last, fsync it and the directory;
//  4. rename .tmp-<id> to <id>, fsync versions/;
//  5. make a temporary symlink to versions/<id> and rename(2) it over current, fsync root;
//  6. apply retention, which also deletes the objects no version links to any more.
//
// Until step 5 current is untouched; after it readers see the whole new version.
func (s *Store) RefreshLocked(ctx context.Context, opts RefreshOptions) (res *Result, err error) {
	start := s.now()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	res = &Result{}
	versions := filepath.Join(s.Root, VersionsDir)
	if err := os.MkdirAll(versions, 0o755); err != nil {
		return nil, writeErr(err)
	}
	if res.CleanedUp, err = s.cleanup(); err != nil {
		return nil, fmt.Errorf("remove leftovers: %w", err)
	}
	if len(res.CleanedUp) > 0 {
		s.logf("removed leftovers of earlier runs: %s", strings.Join(res.CleanedUp, ", "))
	}
	// Make room first: what retention would delete after this refresh can go before it,
	// so keep+1 versions' room is enough (with keep 1, the version this refresh replaces
	// is still in its grace period when the next one is written).
	var perr error
	if res.Deleted, _, perr = s.prune(opts.Keep, opts.Grace); perr != nil {
		s.logf("warning: retention: %v", perr)
	}
	prevState, _ := opts.Checkpoints.Load()
	if a := prevState.LastAttempt; a != nil && a.Status == StatusRunning {
		s.logf("previous refresh %s (pid %d) was interrupted after %d of %d shards; current was left on %s",
			a.Version, a.PID, a.ShardsWritten, a.ShardsTotal, orNone(prevState.Current))
	}

	res.Previous, _, _ = s.ResolveCurrent()
	id := s.nextID()
	res.Version = id
	h := fnv.New64a()
	io.WriteString(h, id)
	versionSeed := h.Sum64() | 1
	seed := opts.Seed
	if seed == 0 {
		seed = versionSeed
	}
	docs, source, err := loadDocs(opts)
	if err != nil {
		return nil, err
	}
	shards := opts.Shards
	if shards > len(docs) {
		shards = len(docs)
	}

	host, _ := os.Hostname()
	attempt := &Attempt{Version: id, Status: StatusRunning, StartedAt: start.UTC(), ShardsTotal: shards,
		Docs: len(docs), Dim: opts.Dim, PID: os.Getpid(), Host: host}
	saveAttempt := func() {
		if err := opts.Checkpoints.Update(func(st *State) {
			a := *attempt
			st.LastAttempt = &a
			st.Current, _, _ = s.ResolveCurrent()
			if a.Status == StatusSucceeded {
				st.LastCompleted = &a
				st.LastEvent = fmt.Sprintf("refresh %s succeeded; current %s -> %s", id, orNone(res.Previous), id)
			} else if a.Status != StatusRunning {
				st.LastEvent = fmt.Sprintf("refresh %s %s: %s; current stays %s", id, a.Status, a.Error, orNone(st.Current))
			}
		}); err != nil {
			s.logf("warning: cannot write checkpoint: %v", err)
		}
	}
	saveAttempt()

	tmp := filepath.Join(versions, tmpPrefix+id)
	keepTmp := false
	defer func() {
		if err == nil {
			return
		}
		now := s.now().UTC()
		attempt.EndedAt = &now
		attempt.Error = err.Error()
		attempt.Status = StatusFailed
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			attempt.Status = StatusInterrupted
		}
		if !keepTmp {
			os.RemoveAll(tmp)
		}
		saveAttempt()
	}()

	m := &Manifest{Format: FormatVersion, Version: id, Docs: len(docs), Dim: opts.Dim,
		DType: "float32le", Shards: shards, Seed: seed, Source: source}
	bounds := func(sh int) (lo, hi int) { return sh * len(docs) / shards, (sh + 1) * len(docs) / shards }
	// The index comes first, so that every file's size is known before anything is
	// written. It is sized first (generously: the numbers' digits are bounded): growing
	// tens of MB by appending copied it several times.
	size := 0
	for _, d := range docs {
		size += len(d.id) + len(d.source) + len(`{"id":"","row":,"shard":,"source":""}`+"\n") + 2*len("1000000")
	}
	index := make([]byte, 0, size)
	for sh := 0; sh < shards; sh++ {
		lo, hi := bounds(sh)
		for i := lo; i < hi; i++ {
			index = appendIndexLine(index, docs[i].id, i-lo, sh, docs[i].source)
		}
	}
	if err := s.checkSpace(m.sizes(bounds, index, s.now()), opts.Keep, opts.Grace); err != nil {
		return nil, err
	}
	vs, err := s.List()
	if err != nil {
		return nil, err
	}
	objs, err := s.objects(vs)
	if err != nil {
		return nil, err
	}
	changed := changedShards(opts.ChangeFraction, shards, versionSeed)
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return nil, writeErr(err)
	}
	s.logf("refresh %s: writing %d docs x %d dims in %d shards (%s)", id, len(docs), opts.Dim, shards, source)
	synth := map[bool]*embed.Synth{false: embed.NewSynth(seed, opts.Dim), true: embed.NewSynth(versionSeed, opts.Dim)}
	// Shards are made, hashed and stored as objects a few at a time, ahead of the loop
	// that links them in order: the vectors keep every core busy, and the fsyncs of
	// several objects overlap, so the disk rather than its latency sets the pace. Two
	// more than the cores cover the workers waiting for an fsync.
	workers := runtime.GOMAXPROCS(0) + 2
	// A shard's buffer is reused once the shard is placed: a new one each time would
	// cost a refresh page faults and zeroing for every byte it writes. At most workers+1
	// shards are ahead of the loop placing them, and one is being placed.
	bufs := freeList{free: make(chan []byte, workers+2), size: (len(docs) + shards - 1) / shards * opts.Dim * 4}
	next, stop := ahead(shards, workers, func(sh int) stored {
		lo, hi := bounds(sh)
		buf := bufs.get()
		var scratch []float32
		g := synth[changed[sh]]
		for i := lo; i < hi; i++ {
			if opts.InputDir != "" {
				buf = embed.AppendLE(buf, embed.Hashed(docs[i].text, opts.Dim))
			} else {
				buf, scratch = g.AppendLE(buf, scratch, i)
			}
		}
		return objs.store(buf, sha256.Sum256(buf))
	})
	defer stop()
	for sh := 0; sh < shards; sh++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lo, hi := bounds(sh)
		st := next(sh)
		fe, err := objs.place(tmp, fmt.Sprintf("shard-%04d.f32", sh), st)
		if err != nil {
			return nil, writeErr(err)
		}
		bufs.put(st.data)
		fe.Rows = hi - lo
		m.Files = append(m.Files, fe)
		attempt.ShardsWritten = sh + 1
		saveAttempt()
		if opts.AfterShard != nil {
			opts.AfterShard(sh+1, shards)
		}
		if opts.FailAfterShards > 0 && sh+1 >= opts.FailAfterShards {
			keepTmp = true
			return nil, fmt.Errorf("%w after %d of %d shards; %s left for the next run to clean up",
				ErrSimulatedFailure, sh+1, shards, filepath.Base(tmp))
		}
		if opts.PauseAfterShard > 0 {
			s.logf("refresh %s: shard %d/%d written; pausing %s", id, sh+1, shards, opts.PauseAfterShard)
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(opts.PauseAfterShard):
			}
		}
	}
	fe, err := objs.place(tmp, DocsIndexName, objs.store(index, sha256.Sum256(index)))
	if err != nil {
		return nil, writeErr(err)
	}
	m.Files = append(m.Files, fe)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := objs.sync(); err != nil {
		return nil, err
	}

	// The manifest goes last: its presence is what makes the version complete.
	m.CreatedAt = s.now().UTC()
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := atomicfile.Write(filepath.Join(tmp, ManifestName), append(mb, '\n'), 0o644); err != nil {
		return nil, writeErr(err)
	}
	final := s.VersionDir(id)
	if err := os.Rename(tmp, final); err != nil {
		return nil, writeErr(err)
	}
	if err := atomicfile.SyncDir(versions); err != nil {
		return nil, err
	}
	// Last chance to stop before readers see the new version; a stop here leaves a
	// complete but unused version, which retention treats like any other.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.switchCurrent(id); err != nil {
		return nil, fmt.Errorf("switch current: %w", err)
	}
	res.Manifest = m
	res.Written, res.Reused = objs.Written, objs.Reused
	s.logf("refresh %s: current %s -> %s", id, orNone(res.Previous), id)

	now := s.now().UTC()
	attempt.EndedAt = &now
	attempt.Status = StatusSucceeded
	saveAttempt()

	deleted, deferred, err := s.prune(opts.Keep, opts.Grace)
	res.Deleted, res.Deferred = append(res.Deleted, deleted...), deferred
	if err != nil {
		// The new version is live; a retention problem is reported, not fatal.
		s.logf("warning: retention: %v", err)
		err = nil
	}
	res.Duration = s.now().Sub(start)
	return res, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// nextID returns a new id that sorts after every existing version, even if the clock
// went backwards or the newest version was made on a node whose clock ran ahead.
func (s *Store) nextID() string {
	now := s.now()
	if newest := s.Newest(); newest != "" {
		if t, _ := time.Parse(idLayout, newest[:len(idLayout)]); !now.After(t) {
			now = t.Add(time.Millisecond)
		}
	}
	return NewID(now)
}

// Newest returns the greatest version id under versions/, complete or not ("" if there is
// none). Versions are made one at a time, under the lock, each with an id after every
// existing one (nextID), so id order is the order they were made in, whatever the
// clocks of the nodes that made them said. Manifest times are not: they are only the
// writer's clock.
func (s *Store) Newest() string {
	entries, _ := os.ReadDir(filepath.Join(s.Root, VersionsDir))
	newest := ""
	for _, e := range entries {
		name := e.Name()
		if !ValidID(name) || len(name) < len(idLayout) || name <= newest {
			continue
		}
		if _, err := time.Parse(idLayout, name[:len(idLayout)]); err == nil {
			newest = name
		}
	}
	return newest
}

// ahead runs produce(0..n-1) on up to workers goroutines, at most workers+1 results
// ahead of the caller, which takes them in order with next. stop starts no more and
// waits for those running, so none writes after a failed refresh has released the lock.
func ahead[T any](n, workers int, produce func(int) T) (next func(int) T, stop func()) {
	out := make([]chan T, n)
	for i := range out {
		out[i] = make(chan T, 1)
	}
	tokens := make(chan struct{}, workers+1)
	done := make(chan struct{})
	var running sync.WaitGroup
	running.Add(1)
	go func() {
		defer running.Done()
		for i := 0; i < n; i++ {
			select {
			case tokens <- struct{}{}:
			case <-done:
				return
			}
			running.Add(1)
			go func(i int) { defer running.Done(); out[i] <- produce(i) }(i)
		}
	}()
	next = func(i int) T {
		d := <-out[i]
		<-tokens
		return d
	}
	var once sync.Once
	return next, func() { once.Do(func() { close(done); running.Wait() }) }
}

// freeList holds the shard buffers not in use, each of capacity size.
type freeList struct {
	free chan []byte
	size int
}

func (f *freeList) get() []byte {
	select {
	case b := <-f.free:
		return b[:0]
	default:
		return make([]byte, 0, f.size)
	}
}

// put returns a buffer nothing refers to any more.
func (f *freeList) put(b []byte) {
	if cap(b) != f.size {
		return
	}
	select {
	case f.free <- b:
	default:
	}
}

// appendIndexLine appends one line of docs.jsonl: {"id":…,"row":…,"shard":…,"source":…},
// the fields in the order they have always been written in, so an unchanged index is the
// same file. Strings are JSON-encoded as encoding/json does; a refresh writes a line per
// document, so the plain ones skip its reflection.
func appendIndexLine(b []byte, id string, row, shard int, source string) []byte {
	b = appendJSONString(append(b, `{"id":`...), id)
	b = strconv.AppendInt(append(b, `,"row":`...), int64(row), 10)
	b = strconv.AppendInt(append(b, `,"shard":`...), int64(shard), 10)
	b = appendJSONString(append(b, `,"source":`...), source)
	return append(b, "}\n"...)
}

func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}

// changedShards picks round-up(fraction x shards) shards, a different choice for each
// version seed.
func changedShards(fraction float64, shards int, versionSeed uint64) map[int]bool {
	n := int(math.Ceil(fraction * float64(shards)))
	out := map[int]bool{}
	for _, sh := range rand.New(rand.NewPCG(versionSeed, 0)).Perm(shards)[:n] {
		out[sh] = true
	}
	return out
}

func loadDocs(opts RefreshOptions) ([]doc, string, error) {
	if opts.InputDir == "" {
		// The ids are "doc-%06d", written into one string that each id is a part of: a
		// refresh of a million documents otherwise spends much of its start allocating
		// and scanning a million small strings.
		docs := make([]doc, opts.Docs)
		ids := make([]byte, 0, opts.Docs*len("doc-000000"))
		ends := make([]int, opts.Docs)
		var digits []byte
		for i := range docs {
			digits = strconv.AppendInt(digits[:0], int64(i), 10)
			ids = append(ids, "doc-"...)
			for k := len(digits); k < 6; k++ {
				ids = append(ids, '0')
			}
			ids = append(ids, digits...)
			ends[i] = len(ids)
		}
		all, start := string(ids), 0
		for i := range docs {
			docs[i] = doc{id: all[start:ends[i]], source: "synthetic"}
			start = ends[i]
		}
		return docs, "synthetic", nil
	}
	var docs []doc
	err := filepath.WalkDir(opts.InputDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && path != opts.InputDir {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(opts.InputDir, path)
		docs = append(docs, doc{id: filepath.ToSlash(rel), source: "input", text: string(b)})
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("--input: %w", err)
	}
	if len(docs) == 0 {
		return nil, "", fmt.Errorf("--input %s: no files to embed", opts.InputDir)
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].id < docs[j].id })
	return docs, "input:" + filepath.Base(filepath.Clean(opts.InputDir)), nil
}
