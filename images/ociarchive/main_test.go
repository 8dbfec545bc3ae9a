package main

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

const testRef = "localhost/agent-storage/test:0.2.0"

// makeRootfs lays out a small root file system whose entries all carry mtime.
func makeRootfs(t *testing.T, mtime time.Time, hello string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "rootfs")
	for _, d := range []string{"bin", "tmp", "home/nonroot"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "bin/hello"), []byte(hello), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("hello", filepath.Join(root, "bin/sh")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"bin/hello", "bin", "tmp", "home/nonroot", "home"} {
		if err := os.Chtimes(filepath.Join(root, p), mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func testOptions(rootfs string) options {
	return options{
		rootfs:     rootfs,
		name:       testRef,
		user:       "65532:65532",
		entrypoint: []string{"/bin/sh"},
		cmd:        []string{"-c", "true"},
		workdir:    "/",
		env:        []string{"PATH=/bin", "HOME=/tmp"},
		labels:     map[string]string{"io.agent-storage.component": "test"},
		owners:     map[string]owner{"/home/nonroot": {65532, 65532}},
	}
}

func write(t *testing.T, o options) (string, v1.Hash) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "image.tar")
	d, err := writeArchive(o, out)
	if err != nil {
		t.Fatal(err)
	}
	return out, d
}

// untar extracts the archive into a new folder, so it can be opened as an OCI layout.
func untar(t *testing.T, archive string) string {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return dir
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDockerArchiveSideLoadsBackWithTheConfigAsked(t *testing.T) {
	o := testOptions(makeRootfs(t, time.Now(), "hello"))
	out, _ := write(t, o)
	img, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatalf("go-containerregistry cannot read the archive as a Docker archive: %v", err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("image read back does not validate (digests, sizes, diff IDs): %v", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	want := v1.Config{
		User: o.user, Entrypoint: o.entrypoint, Cmd: o.cmd, WorkingDir: o.workdir,
		Env: o.env, Labels: o.labels,
	}
	if !reflect.DeepEqual(cf.Config, want) {
		t.Errorf("config = %+v; want %+v", cf.Config, want)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform = %s/%s; want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
	}
	if !cf.Created.Time.Equal(fixedTime) {
		t.Errorf("created = %v; want the fixed time %v", cf.Created.Time, fixedTime)
	}
	var manifest tarball.Manifest
	readJSON(t, filepath.Join(untar(t, out), "manifest.json"), &manifest)
	if len(manifest) != 1 || !reflect.DeepEqual(manifest[0].RepoTags, []string{testRef}) {
		t.Errorf("manifest.json = %+v; want one image tagged %s", manifest, testRef)
	}
}

func TestOCILayoutSideNamesTheImageForContainerd(t *testing.T) {
	out, digest := write(t, testOptions(makeRootfs(t, time.Now(), "hello")))
	dir := untar(t, out)
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("go-containerregistry cannot read the archive as an OCI layout: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("index.json lists %d manifests; want 1", len(im.Manifests))
	}
	desc := im.Manifests[0]
	if desc.Digest != digest {
		t.Errorf("index.json points at %s; the command reported %s", desc.Digest, digest)
	}
	wantAnn := map[string]string{"io.containerd.image.name": testRef, "org.opencontainers.image.ref.name": "0.2.0"}
	if !reflect.DeepEqual(desc.Annotations, wantAnn) {
		t.Errorf("annotations = %v; want %v", desc.Annotations, wantAnn)
	}
	if desc.Platform == nil || desc.Platform.OS != "linux" || desc.Platform.Architecture != runtime.GOARCH {
		t.Errorf("platform = %+v; want linux/%s", desc.Platform, runtime.GOARCH)
	}
	img, err := idx.Image(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("image in the layout does not validate: %v", err)
	}
	// Both sides share one config blob, so docker and containerd see the same image.
	var manifest tarball.Manifest
	readJSON(t, filepath.Join(dir, "manifest.json"), &manifest)
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	if manifest[0].Config != "blobs/sha256/"+cfg.Hex {
		t.Errorf("manifest.json config %s; the OCI manifest's is %s", manifest[0].Config, cfg)
	}
}

func TestEveryBlobIsNamedByTheDigestOfItsContent(t *testing.T) {
	out, _ := write(t, testOptions(makeRootfs(t, time.Now(), "hello")))
	dir := untar(t, out)
	blobs, err := os.ReadDir(filepath.Join(dir, "blobs/sha256"))
	if err != nil {
		t.Fatal(err)
	}
	if len(blobs) != 3 {
		t.Errorf("%d blobs; want 3 (manifest, config, layer)", len(blobs))
	}
	for _, b := range blobs {
		content, err := os.ReadFile(filepath.Join(dir, "blobs/sha256", b.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256Hex(content); got != b.Name() {
			t.Errorf("blob %s has content digest %s", b.Name(), got)
		}
	}
	// The layer's uncompressed digest is the diff ID the config records.
	img, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var manifest tarball.Manifest
	readJSON(t, filepath.Join(dir, "manifest.json"), &manifest)
	gz, err := os.Open(filepath.Join(dir, manifest[0].Layers[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, zr); err != nil {
		t.Fatal(err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); len(cf.RootFS.DiffIDs) != 1 || cf.RootFS.DiffIDs[0].String() != got {
		t.Errorf("diff IDs %v; the layer's uncompressed digest is %s", cf.RootFS.DiffIDs, got)
	}
}

func TestLayerHoldsTheRootfsOwnedByRootExceptChownedPathsAtTheFixedTime(t *testing.T) {
	out, _ := write(t, testOptions(makeRootfs(t, time.Now(), "hello")))
	img, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		wantOwner := 0
		if h.Name == "home/nonroot/" {
			wantOwner = 65532
		}
		if h.Uid != wantOwner || h.Gid != wantOwner || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s owned by %d:%d (%q:%q); want %d:%d without names", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, wantOwner, wantOwner)
		}
		if !h.ModTime.Equal(fixedTime) {
			t.Errorf("%s has mtime %v; want %v", h.Name, h.ModTime, fixedTime)
		}
		switch h.Name {
		case "bin/hello":
			b, _ := io.ReadAll(tr)
			if string(b) != "hello" || h.Mode&0o777 != 0o755 {
				t.Errorf("bin/hello = %q mode %o; want \"hello\" mode 755", b, h.Mode)
			}
		case "bin/sh":
			if h.Typeflag != tar.TypeSymlink || h.Linkname != "hello" {
				t.Errorf("bin/sh: type %c -> %q; want a symlink to hello", h.Typeflag, h.Linkname)
			}
		case "tmp/":
			if h.Mode&0o7777 != 0o1777 {
				t.Errorf("tmp/ mode %o; want 1777", h.Mode)
			}
		}
	}
	want := []string{"bin/", "bin/hello", "bin/sh", "home/", "home/nonroot/", "tmp/"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("layer entries %v; want %v", names, want)
	}
}

func TestSameInputsGiveTheSameDigestAndTheSameBytes(t *testing.T) {
	out1, d1 := write(t, testOptions(makeRootfs(t, time.Now(), "hello")))
	out2, d2 := write(t, testOptions(makeRootfs(t, time.Now().Add(-48*time.Hour), "hello")))
	if d1 != d2 {
		t.Errorf("two builds of the same inputs (files of other mtimes) gave %s and %s", d1, d2)
	}
	b1, _ := os.ReadFile(out1)
	b2, _ := os.ReadFile(out2)
	if sha256Hex(b1) != sha256Hex(b2) {
		t.Error("two builds of the same inputs wrote different archives")
	}
	_, d3 := write(t, testOptions(makeRootfs(t, time.Now(), "hellO")))
	if d3 == d1 {
		t.Errorf("a changed file kept the digest %s", d1)
	}
}

func TestWritingReplacesTheArchiveAndLeavesNoWorkFilesBehind(t *testing.T) {
	o := testOptions(makeRootfs(t, time.Now(), "hello"))
	dir := t.TempDir()
	out := filepath.Join(dir, "image.tar")
	if err := os.WriteFile(out, []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := writeArchive(o, out); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "image.tar" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %v; want only image.tar", names)
	}
	if _, err := tarball.ImageFromPath(out, nil); err != nil {
		t.Errorf("the stale archive was not replaced: %v", err)
	}
}

func TestBadFlagValuesAreRefusedNamingTheFlag(t *testing.T) {
	rootfs := makeRootfs(t, time.Now(), "hello")
	cases := []struct {
		flag            string
		entrypoint, cmd string
		labels, chowns  []string
		name            string
	}{
		{flag: "-entrypoint", entrypoint: "/bin/sh"},
		{flag: "-cmd", cmd: `["a",`},
		{flag: "-label", labels: []string{"no-equals"}},
		{flag: "-chown", chowns: []string{"/home=abc"}},
		{flag: "-name", name: "Not A Reference"},
	}
	for _, c := range cases {
		o := options{rootfs: rootfs, name: testRef}
		if c.name != "" {
			o.name = c.name
		}
		out := filepath.Join(t.TempDir(), "image.tar")
		_, err := parseAndWrite(&o, c.entrypoint, c.cmd, nil, c.labels, c.chowns, out)
		if err == nil || !strings.Contains(err.Error(), c.flag) {
			t.Errorf("%s: error %v; want one naming %s", c.flag, err, c.flag)
		}
		if _, statErr := os.Stat(out); statErr == nil {
			t.Errorf("%s: an archive was written despite the error", c.flag)
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
