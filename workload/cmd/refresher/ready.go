package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"agent-storage/workload/internal/store"
)

func cmdReady(args []string, stdout, stderr io.Writer) int {
	f := newFlags("ready", stderr)
	checksums := f.Bool("checksums", true, "verify every file's sha256 (false: sizes only)")
	published := f.Bool("published", false, "also require that generate has published current to the status ConfigMap (per --published-file)")
	pubFile := f.String("published-file", defaultPublishedFile, "the `FILE` generate writes after each successful publish")
	cmName := f.envString("status-configmap", envStatusConfigMap, "", "the ConfigMap `NAME` generate publishes to (for the message only)")
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "ready")
	}
	s := store.New(*f.embeddings)
	id, dir, err := s.ResolveCurrent()
	if err == nil {
		_, _, err = store.Verify(dir, id, *checksums)
	}
	if err != nil {
		fmt.Fprintf(stderr, "not ready: %v\n", oneLine(err))
		return exitErr
	}
	if *published {
		// Only a local file: the probe never calls the API server itself.
		p, perr := readPublished(*pubFile)
		if perr != nil || p.Version != id {
			where := "to ConfigMap " + *cmName
			if *cmName == "" {
				where = "(STATUS_CONFIGMAP is not set, so the generator does not publish)"
			}
			shows := ""
			if perr == nil && p.Version != "" {
				shows = " (last published: " + p.Version + ")"
			} else if perr != nil && !errors.Is(perr, fs.ErrNotExist) {
				shows = " (" + oneLine(perr) + ")"
			}
			fmt.Fprintf(stderr, "not ready: version %s not yet published %s%s; see the generator's log\n", id, where, shows)
			return exitErr
		}
		fmt.Fprintf(stdout, "ready: %s (published %s)\n", id, p.PublishedAt)
		return exitOK
	}
	fmt.Fprintf(stdout, "ready: %s\n", id)
	return exitOK
}
