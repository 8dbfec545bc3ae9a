package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"agent-storage/workload/internal/copyvolume"
)

// copySource makes an embeddings volume of two versions and a checkpoints directory with
// the refresher's own commands.
func copySource(t *testing.T) (emb, cp string) {
	t.Helper()
	emb, cp = dirs(t)
	for i := 0; i < 2; i++ {
		cli(t, append([]string{"refresh", "--embeddings", emb, "--checkpoints", cp, "--seed", "5"}, small...)...)
	}
	return emb, cp
}

func TestCopyCommand(t *testing.T) {
	t.Run("copies an embeddings volume, prints one ok line, and a second run only verifies", func(t *testing.T) {
		emb, _ := copySource(t)
		to := filepath.Join(t.TempDir(), "new")
		r := cli(t, "copy", "--from", emb, "--to", to, "--layout", "embeddings")
		cur := current(t, emb)
		want := regexp.MustCompile(fmt.Sprintf(`^ok: copied \d+ files, \d+ bytes, \d+ hard links \(2 versions, current %s\) from %s to %s, verified\n$`,
			regexp.QuoteMeta(cur), regexp.QuoteMeta(emb), regexp.QuoteMeta(to)))
		if !want.MatchString(r.stdout) {
			t.Fatalf("stdout %q, want it to match %s", r.stdout, want)
		}
		if got := current(t, to); got != cur {
			t.Fatalf("current of the copy %s, want %s", got, cur)
		}
		cli(t, "verify", "--embeddings", to)
		again := cli(t, "copy", "--from", emb, "--to", to, "--layout", "embeddings")
		if !strings.HasPrefix(again.stdout, "ok: already copied ") || !strings.Contains(again.stderr, "verifying it again") {
			t.Fatalf("second run: %+v", again)
		}
	})

	t.Run("copies the checkpoints volume with the files layout", func(t *testing.T) {
		_, cp := copySource(t)
		to := filepath.Join(t.TempDir(), "new")
		r := cli(t, "copy", "--from", cp, "--to", to, "--layout", "files")
		if !strings.HasPrefix(r.stdout, "ok: copied 1 files, ") || !strings.Contains(r.stdout, "(files layout)") {
			t.Fatalf("stdout %q", r.stdout)
		}
		a, _ := os.ReadFile(filepath.Join(cp, "refresh-state.json"))
		b, _ := os.ReadFile(filepath.Join(to, "refresh-state.json"))
		if len(a) == 0 || string(a) != string(b) {
			t.Fatalf("refresh-state.json: copy %q, source %q", b, a)
		}
	})

	t.Run("exits 1 when the source is damaged", func(t *testing.T) {
		emb, _ := copySource(t)
		shard := filepath.Join(emb, "versions", current(t, emb), "shard-0000.f32")
		b, err := os.ReadFile(shard)
		if err != nil {
			t.Fatal(err)
		}
		b[0] ^= 0xff
		if err := os.WriteFile(shard, b, 0o644); err != nil {
			t.Fatal(err)
		}
		to := filepath.Join(t.TempDir(), "new")
		r := runCLI("copy", "--from", emb, "--to", to, "--layout", "embeddings")
		if r.code != exitErr || !strings.HasPrefix(r.stderr[strings.LastIndex(strings.TrimSuffix(r.stderr, "\n"), "\n")+1:], "refresher copy: the copy does not verify") {
			t.Fatalf("copy of a damaged source: %+v", r)
		}
		if r.stdout != "" {
			t.Fatalf("stdout %q after a failure", r.stdout)
		}
	})

	t.Run("exits 1 naming a destination it did not make", func(t *testing.T) {
		emb, _ := copySource(t)
		to := t.TempDir()
		if err := os.WriteFile(filepath.Join(to, "data"), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := runCLI("copy", "--from", emb, "--to", to, "--layout", "embeddings")
		if r.code != exitErr || !strings.Contains(r.stderr, to) || !strings.Contains(r.stderr, "not made by refresher copy and will not be overwritten") {
			t.Fatalf("copy into a foreign volume: %+v", r)
		}
		if _, err := os.Stat(filepath.Join(to, copyvolume.MarkerName)); err == nil {
			t.Fatal("the refused destination got a marker")
		}
	})

	t.Run("exits 2 on missing flags or an unknown layout", func(t *testing.T) {
		for _, args := range [][]string{{"--from", "a", "--to", "b"}, {"--from", "a", "--to", "b", "--layout", "tar"}} {
			if r := runCLI(append([]string{"copy"}, args...)...); r.code != exitUsage || !strings.Contains(r.stderr, "--layout") {
				t.Errorf("copy %v: %+v", args, r)
			}
		}
	})
}
