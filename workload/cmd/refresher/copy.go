package main

import (
	"fmt"
	"io"
	"strings"

	"agent-storage/workload/internal/copyvolume"
)

// Flags of copy, named once for the command and the contract.
const (
	flagCopyFrom   = "from"
	flagCopyTo     = "to"
	flagCopyLayout = "layout"
)

func cmdCopy(args []string, stdout, stderr io.Writer) int {
	f := newClientFlags("copy", stderr)
	from := f.String(flagCopyFrom, "", "source volume `DIR` (read only)")
	to := f.String(flagCopyTo, "", "destination volume `DIR`: empty, or holding an earlier copy's "+copyvolume.MarkerName)
	layout := f.String(flagCopyLayout, "", "what the source holds: `LAYOUT` "+layoutNames(" or "))
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "copy")
	}
	if *from == "" || *to == "" || *layout == "" {
		return fail(stderr, "copy", usagef("--%s, --%s and --%s are required", flagCopyFrom, flagCopyTo, flagCopyLayout))
	}
	l, err := copyvolume.ParseLayout(*layout)
	if err != nil {
		return fail(stderr, "copy", usagef("--%s: %v", flagCopyLayout, err))
	}
	r, err := copyvolume.Copy(copyvolume.Options{From: *from, To: *to, Layout: l, Logf: logger(stderr)})
	if err != nil {
		return fail(stderr, "copy", err)
	}
	what := "copied"
	if r.AlreadyDone {
		what = "already copied"
	}
	detail := "files layout"
	if l == copyvolume.Embeddings {
		detail = fmt.Sprintf("%d versions, current %s", len(r.Versions), orNone(r.Current))
	}
	fmt.Fprintf(stdout, "ok: %s %d files, %d bytes, %d hard links (%s) from %s to %s, verified\n",
		what, r.Files, r.Bytes, r.Links, detail, r.From, *to)
	return exitOK
}

func layoutNames(sep string) string {
	names := make([]string, len(copyvolume.Layouts))
	for i, l := range copyvolume.Layouts {
		names[i] = string(l)
	}
	return strings.Join(names, sep)
}
