// Command ociarchive writes a single-layer container image from a root file system folder,
// as one tar that is both an OCI image layout (oci-layout, index.json, blobs/sha256/...) and
// a Docker archive (manifest.json with RepoTags), so `ctr images import`, `docker load` and
// `kind load image-archive` all accept it. No daemon, no registry.
//
// The layer is reproducible: entries are sorted, owned by root (0:0) unless -chown names a
// path, and carry one fixed time, so the same inputs give the same image digest.
//
//	ociarchive -rootfs DIR -name localhost/x/y:tag -out image.tar \
//	  [-user 65532:65532] [-entrypoint '["/bin/sh"]'] [-cmd '[]'] [-env K=V]... [-workdir /]
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

var fixedTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *platform         `json:"platform,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

func main() {
	rootfs := flag.String("rootfs", "", "root file system folder (required)")
	name := flag.String("name", "", "image reference, e.g. localhost/agent-storage/workload:0.1.0 (required)")
	out := flag.String("out", "", "archive to write (required)")
	user := flag.String("user", "", "config User, e.g. 65532:65532")
	entrypoint := flag.String("entrypoint", "", "config Entrypoint as a JSON array")
	cmd := flag.String("cmd", "", "config Cmd as a JSON array")
	workdir := flag.String("workdir", "", "config WorkingDir")
	var envs, chowns multiFlag
	flag.Var(&envs, "env", "config Env entry K=V (repeatable)")
	flag.Var(&chowns, "chown", "PATH=UID:GID ownership for one entry in the layer (repeatable)")
	flag.Parse()
	if *rootfs == "" || *name == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*rootfs, *name, *out, *user, *entrypoint, *cmd, *workdir, envs, chowns); err != nil {
		fmt.Fprintln(os.Stderr, "ociarchive:", err)
		os.Exit(1)
	}
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func layerTar(rootfs string, owners map[string][2]int) ([]byte, error) {
	var paths []string
	err := filepath.WalkDir(rootfs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != rootfs {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		rel, _ := filepath.Rel(rootfs, p)
		rel = filepath.ToSlash(rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return nil, err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return nil, err
		}
		hdr.Name = rel
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		if o, ok := owners["/"+rel]; ok {
			hdr.Uid, hdr.Gid = o[0], o[1]
		}
		hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = fixedTime, time.Time{}, time.Time{}
		hdr.Format = tar.FormatPAX
		hdr.PAXRecords = nil
		hdr.Xattrs = nil //nolint:staticcheck // clear host xattrs
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return nil, err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func jsonArray(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var a []string
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return nil, fmt.Errorf("%q is not a JSON array of strings: %w", s, err)
	}
	return a, nil
}

func run(rootfs, name, out, user, entrypoint, cmd, workdir string, envs, chowns []string) error {
	owners := map[string][2]int{}
	for _, c := range chowns {
		var p string
		var u, g int
		i := strings.LastIndex(c, "=")
		if i < 0 {
			return fmt.Errorf("-chown %q: want PATH=UID:GID", c)
		}
		p = c[:i]
		if _, err := fmt.Sscanf(c[i+1:], "%d:%d", &u, &g); err != nil {
			return fmt.Errorf("-chown %q: want PATH=UID:GID", c)
		}
		owners[p] = [2]int{u, g}
	}
	ep, err := jsonArray(entrypoint)
	if err != nil {
		return err
	}
	cm, err := jsonArray(cmd)
	if err != nil {
		return err
	}
	raw, err := layerTar(rootfs, owners)
	if err != nil {
		return err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.ModTime = time.Time{}
	if _, err := zw.Write(raw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	layer := gz.Bytes()

	tag := "latest"
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		tag = name[i+1:]
	}
	imgCfg := map[string]any{}
	if user != "" {
		imgCfg["User"] = user
	}
	if len(envs) > 0 {
		imgCfg["Env"] = envs
	}
	if ep != nil {
		imgCfg["Entrypoint"] = ep
	}
	if cm != nil {
		imgCfg["Cmd"] = cm
	}
	if workdir != "" {
		imgCfg["WorkingDir"] = workdir
	}
	config, _ := json.Marshal(map[string]any{
		"created":      fixedTime.Format(time.RFC3339),
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"config":       imgCfg,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{"sha256:" + sha(raw)}},
		"history":      []map[string]any{{"created": fixedTime.Format(time.RFC3339), "created_by": "images/ociarchive " + name}},
	})
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        descriptor{MediaType: "application/vnd.oci.image.config.v1+json", Digest: "sha256:" + sha(config), Size: int64(len(config))},
		"layers":        []descriptor{{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: "sha256:" + sha(layer), Size: int64(len(layer))}},
	})
	index, _ := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests": []descriptor{{
			MediaType: "application/vnd.oci.image.manifest.v1+json",
			Digest:    "sha256:" + sha(manifest), Size: int64(len(manifest)),
			Annotations: map[string]string{"io.containerd.image.name": name, "org.opencontainers.image.ref.name": tag},
			Platform:    &platform{Architecture: runtime.GOARCH, OS: "linux"},
		}},
	})
	dockerManifest, _ := json.Marshal([]map[string]any{{
		"Config":   "blobs/sha256/" + sha(config),
		"RepoTags": []string{name},
		"Layers":   []string{"blobs/sha256/" + sha(layer)},
	}})

	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	add := func(n string, b []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(b)), ModTime: fixedTime, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	dir := func(n string) error {
		return tw.WriteHeader(&tar.Header{Name: n, Mode: 0o755, ModTime: fixedTime, Typeflag: tar.TypeDir})
	}
	steps := []func() error{
		func() error { return dir("blobs/") },
		func() error { return dir("blobs/sha256/") },
		func() error { return add("blobs/sha256/"+sha(layer), layer) },
		func() error { return add("blobs/sha256/"+sha(config), config) },
		func() error { return add("blobs/sha256/"+sha(manifest), manifest) },
		func() error { return add("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)) },
		func() error { return add("index.json", index) },
		func() error { return add("manifest.json", dockerManifest) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			f.Close()
			return err
		}
	}
	if err := tw.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	fmt.Printf("%s sha256:%s\n", name, sha(manifest))
	return nil
}
