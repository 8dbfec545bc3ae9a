package store

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"syscall"
	"time"
)

// space is what the file system of the embeddings volume offers this process, in bytes.
type space struct {
	Total, Free int64
	// Block is the allocation unit: a file takes whole blocks.
	Block int64
}

func statfs(path string) (space, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return space{}, err
	}
	b := uint64(st.Frsize)
	if b == 0 {
		b = uint64(st.Bsize)
	}
	// Blocks reserved for root (free but not available) are not the workload's: it runs
	// as another user.
	return space{Total: bytes(st.Blocks-(st.Bfree-st.Bavail), b), Free: bytes(st.Bavail, b), Block: int64(b)}, nil
}

// bytes multiplies without overflowing: EFS reports a file system of 8 EiB.
func bytes(blocks, size uint64) int64 {
	if size != 0 && blocks > math.MaxInt64/size {
		return math.MaxInt64
	}
	return int64(blocks * size)
}

// sizes returns the sizes of the files a version will have: its shards (bounds gives
// each shard's rows), the index, and the manifest, estimated with placeholder checksums
// and a creation time at least as long as the real one.
func (m *Manifest) sizes(bounds func(sh int) (lo, hi int), index []byte, now time.Time) []int64 {
	est := *m
	est.Files = nil
	var sizes []int64
	for sh := 0; sh < m.Shards; sh++ {
		lo, hi := bounds(sh)
		n := int64(hi-lo) * int64(m.Dim) * 4
		sizes = append(sizes, n)
		est.Files = append(est.Files, FileEntry{Name: fmt.Sprintf("shard-%04d.f32", sh), Size: n, SHA256: strings.Repeat("0", 64), Rows: hi - lo})
	}
	sizes = append(sizes, int64(len(index)))
	est.Files = append(est.Files, FileEntry{Name: DocsIndexName, Size: int64(len(index)), SHA256: strings.Repeat("0", 64)})
	est.CreatedAt = time.Date(now.Year(), 12, 31, 23, 59, 59, 999999999, time.UTC)
	mb, _ := json.MarshalIndent(est, "", "  ")
	return append(sizes, int64(len(mb))+1)
}

// checkSpace refuses a refresh that cannot fit, before it writes anything. The volume
// must hold keep complete versions of this one's size plus this one while it is
// written: a smaller claim would only run out of space half-way, refresh after refresh.
// And this one must fit in what is free now (retention has already run).
func (s *Store) checkSpace(files []int64, keep int, grace time.Duration) error {
	sp, err := s.statfs()
	if err != nil {
		s.logf("warning: cannot tell the embeddings volume's free space: %v", err)
		return nil
	}
	block := max(sp.Block, 1)
	one := block // the version's directory
	for _, n := range files {
		one += (n + block - 1) / block * block
	}
	if need := int64(keep+1) * one; need > sp.Total {
		lower := ""
		if fit := sp.Total/one - 1; fit >= 1 {
			lower = fmt.Sprintf(" or lower agent-storage:keepVersions (--keep) to %d", fit)
		}
		return fmt.Errorf("the embeddings volume is too small: %d versions of %d bytes (--keep %d, plus the one being written) need %d bytes (%s), the volume holds %d bytes (%s); raise agent-storage:embeddingsSize above %s%s",
			keep+1, one, keep, need, mib(need), sp.Total, mib(sp.Total), mibCeil(need), lower)
	}
	if one > sp.Free {
		return fmt.Errorf("not enough free space on the embeddings volume: this version needs %d bytes (%s), %d bytes (%s) are free; retired versions stay for the grace period (--grace %s) after they stop being current, so retry after it, raise agent-storage:embeddingsSize or lower agent-storage:keepVersions",
			one, mib(one), sp.Free, mib(sp.Free), grace)
	}
	return nil
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// mibCeil is n rounded up to a Kubernetes quantity in Mi.
func mibCeil(n int64) string { return fmt.Sprintf("%dMi", (n+1<<20-1)>>20) }
