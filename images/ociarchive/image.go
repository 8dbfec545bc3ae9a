package main

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// fixedTime stands for every time in the image (layer entries, config, history), so an
// image depends on its inputs only and rebuilding it gives the same digest.
var fixedTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

type options struct {
	rootfs     string
	name       string
	user       string
	entrypoint []string
	cmd        []string
	workdir    string
	env        []string
	labels     map[string]string
	owners     map[string]owner
}

// buildImage makes the one-layer image from the layer tar at layerPath.
func buildImage(o options, layerPath string) (v1.Image, error) {
	layer, err := tarball.LayerFromFile(layerPath,
		tarball.WithCompressionLevel(gzip.BestCompression),
		tarball.WithMediaType(types.OCILayer),
		// The layout writer and the digest both read the compressed bytes: compress once.
		tarball.WithCompressedCaching)
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.ConfigFile(base, &v1.ConfigFile{
		Created:      v1.Time{Time: fixedTime},
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Config: v1.Config{
			User:       o.user,
			Env:        o.env,
			Entrypoint: o.entrypoint,
			Cmd:        o.cmd,
			WorkingDir: o.workdir,
			Labels:     o.labels,
		},
		RootFS: v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: fixedTime}, CreatedBy: "images/ociarchive " + o.name},
	})
}

// writeArchive writes the image as an OCI layout with a Docker manifest.json beside it, as
// one tar at out (replaced atomically), and returns the image's manifest digest.
func writeArchive(o options, out string) (v1.Hash, error) {
	tag, err := name.NewTag(o.name)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("-name %q is not an image reference: %w", o.name, err)
	}
	work, err := os.MkdirTemp(filepath.Dir(out), ".ociarchive-")
	if err != nil {
		return v1.Hash{}, err
	}
	defer os.RemoveAll(work)

	layerPath := filepath.Join(work, "layer.tar")
	if err := writeLayerTar(o.rootfs, o.owners, layerPath); err != nil {
		return v1.Hash{}, err
	}
	img, err := buildImage(o, layerPath)
	if err != nil {
		return v1.Hash{}, err
	}

	dir := filepath.Join(work, "archive")
	// containerd names the imported image after io.containerd.image.name.
	index := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{
		Add: img,
		Descriptor: v1.Descriptor{
			Annotations: map[string]string{
				"io.containerd.image.name":          o.name,
				"org.opencontainers.image.ref.name": tag.TagStr(),
			},
			Platform: &v1.Platform{Architecture: runtime.GOARCH, OS: "linux"},
		},
	})
	if _, err := layout.Write(dir, index); err != nil {
		return v1.Hash{}, err
	}
	// `docker load` before Docker 25 reads only manifest.json; it points into the same blobs.
	if err := writeDockerManifest(img, o.name, filepath.Join(dir, "manifest.json")); err != nil {
		return v1.Hash{}, err
	}
	tmp := out + ".tmp"
	if err := writeArchiveTar(dir, tmp); err != nil {
		os.Remove(tmp)
		return v1.Hash{}, err
	}
	if err := os.Rename(tmp, out); err != nil {
		return v1.Hash{}, err
	}
	return img.Digest()
}

func writeDockerManifest(img v1.Image, ref, path string) error {
	cfg, err := img.ConfigName()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	d := tarball.Descriptor{Config: blobPath(cfg), RepoTags: []string{ref}}
	for _, l := range layers {
		h, err := l.Digest()
		if err != nil {
			return err
		}
		d.Layers = append(d.Layers, blobPath(h))
	}
	b, err := json.Marshal(tarball.Manifest{d})
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }
