package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"agent-storage/workload/internal/store"
)

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

func cmdCurrent(args []string, stdout, stderr io.Writer) int {
	f := newFlags("current", stderr)
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "current")
	}
	id, _, err := store.New(*f.embeddings).ResolveCurrent()
	if err != nil {
		return fail(stderr, "current", err)
	}
	fmt.Fprintln(stdout, id)
	return exitOK
}

func cmdList(args []string, stdout, stderr io.Writer) int {
	f := newFlags("list", stderr)
	asJSON := f.Bool("json", false, "print JSON")
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "list")
	}
	s := store.New(*f.embeddings)
	vs, err := s.List()
	if err != nil {
		return fail(stderr, "list", err)
	}
	if p := s.Pending(); len(p) > 0 {
		fmt.Fprintf(stderr, "in progress or left over by an interrupted run (never read; the next refresh removes leftovers): %s\n", strings.Join(p, ", "))
	}
	if *asJSON {
		if vs == nil {
			vs = []store.VersionInfo{}
		}
		b, _ := json.MarshalIndent(vs, "", "  ")
		fmt.Fprintln(stdout, string(b))
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tCREATED\tDOCS\tDIM\tSTATE")
	for _, v := range vs {
		state := "complete"
		if v.Unreadable {
			state = "UNREADABLE, kept: " + v.Problem
		} else if !v.Complete {
			state = "INCOMPLETE: " + v.Problem
		}
		if v.Current {
			state += ", current"
		}
		created, docs, dim := "-", "-", "-"
		if v.Manifest != nil {
			created = v.CreatedAt.UTC().Format(time.RFC3339)
			docs, dim = fmt.Sprint(v.Manifest.Docs), fmt.Sprint(v.Manifest.Dim)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.ID, created, docs, dim, state)
	}
	tw.Flush()
	if len(vs) == 0 {
		fmt.Fprintln(stderr, "no versions yet")
	}
	return exitOK
}

func cmdVerify(args []string, stdout, stderr io.Writer) int {
	f := newFlags("verify", stderr)
	version := f.String("version", "current", "`VERSION` to verify, or current")
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "verify")
	}
	s := store.New(*f.embeddings)
	id, dir := *version, ""
	if id == "current" {
		var err error
		if id, dir, err = s.ResolveCurrent(); err != nil {
			return fail(stderr, "verify", err)
		}
	} else {
		if !store.ValidID(id) {
			return fail(stderr, "verify", usagef("--version: %q is not a version id", id))
		}
		dir = s.VersionDir(id)
	}
	m, st, err := store.Verify(dir, id, true)
	if err != nil {
		return fail(stderr, "verify", err)
	}
	fmt.Fprintf(stdout, "ok: %s: %d files, %d bytes, sha256 verified; %d docs x %d dims, created %s\n",
		id, st.Files, st.Bytes, m.Docs, m.Dim, m.CreatedAt.UTC().Format(time.RFC3339))
	return exitOK
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

func cmdStatus(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("status", stderr)
	path := fs.envString("status-file", envStatusFile, defaultStatusFile, "reader status `FILE` written by serve")
	if err := fs.Parse(args); err != nil {
		return helpOr(err, stderr, "status")
	}
	b, err := os.ReadFile(*path)
	if err != nil {
		return fail(stderr, "status", fmt.Errorf("%w (is refresher serve running here?)", err))
	}
	stdout.Write(b)
	return exitOK
}
