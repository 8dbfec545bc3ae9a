package main

import (
	"fmt"
	"io"
)

func cmdPrune(args []string, stdout, stderr io.Writer) int {
	f := newFlags("prune", stderr)
	f.withRetention()
	wait := f.Duration("wait", 0, "if a refresh is running, wait up to this long (0 = refuse at once)")
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "prune")
	}
	keep, grace, err := f.retention()
	if err != nil {
		return fail(stderr, "prune", err)
	}
	ctx, cancel := signalContext()
	defer cancel()
	del, def, err := f.store(stderr).Prune(ctx, keep, grace, *wait)
	if err != nil {
		return fail(stderr, "prune", err)
	}
	fmt.Fprintf(stdout, "deleted: %s; kept until grace ends: %s\n", listOrNone(del), listOrNone(def))
	return exitOK
}
