// Command ociarchive writes a single-layer container image from a root file system folder,
// as one tar that is both an OCI image layout (oci-layout, index.json, blobs/sha256/...) and
// a Docker archive (manifest.json with RepoTags), so `ctr images import`, `docker load` and
// `kind load image-archive` all accept it. No daemon, no registry.
//
// The image and the layout are made by go-containerregistry; this command only decides what
// goes into the layer. The layer is reproducible: entries are sorted, owned by root (0:0)
// unless -chown names a path, and carry one fixed time, so the same inputs give the same
// image digest.
//
//	ociarchive -rootfs DIR -name localhost/x/y:tag -out image.tar \
//	  [-user 65532:65532] [-entrypoint '["/bin/sh"]'] [-cmd '[]'] [-env K=V]... [-workdir /] \
//	  [-label K=V]... [-chown PATH=UID:GID]...
//
// Prints "NAME sha256:<manifest digest>", the digest containerd lists for the image.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var o options
	var entrypoint, cmd string
	var envs, labels, chowns multiFlag
	flag.StringVar(&o.rootfs, "rootfs", "", "root file system folder (required)")
	flag.StringVar(&o.name, "name", "", "image reference, e.g. localhost/agent-storage/workload:0.1.0 (required)")
	out := flag.String("out", "", "archive to write (required)")
	flag.StringVar(&o.user, "user", "", "config User, e.g. 65532:65532")
	flag.StringVar(&entrypoint, "entrypoint", "", "config Entrypoint as a JSON array")
	flag.StringVar(&cmd, "cmd", "", "config Cmd as a JSON array")
	flag.StringVar(&o.workdir, "workdir", "", "config WorkingDir")
	flag.Var(&envs, "env", "config Env entry K=V (repeatable)")
	flag.Var(&labels, "label", "config label K=V (repeatable)")
	flag.Var(&chowns, "chown", "PATH=UID:GID ownership for one entry in the layer (repeatable)")
	flag.Parse()
	if o.rootfs == "" || o.name == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	digest, err := parseAndWrite(&o, entrypoint, cmd, envs, labels, chowns, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ociarchive:", err)
		os.Exit(1)
	}
	fmt.Printf("%s %s\n", o.name, digest)
}

func parseAndWrite(o *options, entrypoint, cmd string, envs, labels, chowns []string, out string) (string, error) {
	var err error
	if o.entrypoint, err = jsonArray("-entrypoint", entrypoint); err != nil {
		return "", err
	}
	if o.cmd, err = jsonArray("-cmd", cmd); err != nil {
		return "", err
	}
	o.env = envs
	if o.labels, err = keyValues("-label", labels); err != nil {
		return "", err
	}
	if o.owners, err = parseChowns(chowns); err != nil {
		return "", err
	}
	d, err := writeArchive(*o, out)
	if err != nil {
		return "", err
	}
	return d.String(), nil
}

func jsonArray(flagName, s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var a []string
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return nil, fmt.Errorf("%s %q is not a JSON array of strings: %w", flagName, s, err)
	}
	return a, nil
}

func keyValues(flagName string, kvs []string) (map[string]string, error) {
	if len(kvs) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s %q: want KEY=VALUE", flagName, kv)
		}
		m[k] = v
	}
	return m, nil
}

func parseChowns(chowns []string) (map[string]owner, error) {
	owners := map[string]owner{}
	for _, c := range chowns {
		i := strings.LastIndex(c, "=")
		var o owner
		if i <= 0 {
			return nil, fmt.Errorf("-chown %q: want PATH=UID:GID", c)
		}
		if _, err := fmt.Sscanf(c[i+1:], "%d:%d", &o.uid, &o.gid); err != nil {
			return nil, fmt.Errorf("-chown %q: want PATH=UID:GID", c)
		}
		owners[c[:i]] = o
	}
	return owners, nil
}
