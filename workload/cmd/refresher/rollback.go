package main

import (
	"fmt"
	"io"
)

func cmdRollback(args []string, stdout, stderr io.Writer) int {
	f := newFlags("rollback", stderr)
	f.withCheckpoints()
	to := f.String("to", "", "`VERSION` to make current (see refresher list)")
	wait := f.Duration("wait", 0, "if a refresh is running, wait up to this long (0 = refuse at once)")
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "rollback")
	}
	if *to == "" {
		return fail(stderr, "rollback", usagef("--to VERSION is required (refresher list shows the kept versions)"))
	}
	s := f.store(stderr)
	ctx, cancel := signalContext()
	defer cancel()
	prev, err := s.Rollback(ctx, *to, *wait, f.cp())
	if err != nil {
		return fail(stderr, "rollback", err)
	}
	if prev == *to {
		fmt.Fprintf(stdout, "current is already %s\n", *to)
		return exitOK
	}
	fmt.Fprintf(stdout, "current: %s -> %s\n", orNone(prev), *to)
	fmt.Fprintln(stdout, "note: the generator's next scheduled refresh makes a new version current again")
	return exitOK
}
