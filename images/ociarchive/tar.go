package main

import (
	"archive/tar"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

type owner struct{ uid, gid int }

// writeLayerTar writes the folder rootfs as the image's layer: every entry owned by 0:0
// unless owners names its path ("/home/nonroot"), the host's user names, xattrs and times
// dropped, one fixed modification time.
func writeLayerTar(rootfs string, owners map[string]owner, path string) error {
	return writeDirTar(rootfs, path, func(rel string, h *tar.Header) {
		h.Uid, h.Gid = 0, 0
		if o, ok := owners["/"+rel]; ok {
			h.Uid, h.Gid = o.uid, o.gid
		}
	})
}

// writeArchiveTar writes the layout folder as the archive the callers load: plain files and
// folders whose modes do not depend on the umask of the machine that wrote them.
func writeArchiveTar(dir, path string) error {
	return writeDirTar(dir, path, func(_ string, h *tar.Header) {
		h.Uid, h.Gid = 0, 0
		if h.Typeflag == tar.TypeDir {
			h.Mode = 0o755
		} else {
			h.Mode = 0o644
		}
	})
}

// writeDirTar writes every entry under dir (not dir itself), sorted by path, into a new
// tar file at path; adjust sets ownership and modes for each header.
func writeDirTar(dir, path string, adjust func(rel string, h *tar.Header)) (err error) {
	var paths []string
	if err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			paths = append(paths, p)
		}
		return nil
	}); err != nil {
		return err
	}
	sort.Strings(paths)

	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	tw := tar.NewWriter(f)
	for _, p := range paths {
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		hdr.Name = rel
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uname, hdr.Gname = "", ""
		hdr.ModTime, hdr.AccessTime, hdr.ChangeTime = fixedTime, time.Time{}, time.Time{}
		hdr.Format = tar.FormatPAX
		hdr.PAXRecords = nil
		hdr.Xattrs = nil //nolint:staticcheck // drop the host's xattrs
		adjust(rel, hdr)
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			src, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, src)
			src.Close()
			if err != nil {
				return err
			}
		}
	}
	return tw.Close()
}
