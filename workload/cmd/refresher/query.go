package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"agent-storage/workload/internal/query"
)

func cmdQuery(args []string, stdout, stderr io.Writer) int {
	f := newClientFlags("query", stderr)
	base, k := f.queryTarget("neighbours to return")
	text := f.String("text", "", "query `TEXT`, embedded as the reader embeds documents")
	vectorFile := f.String("vector-file", "", "`FILE` holding the query vector as a JSON array of numbers")
	timeout := f.Duration("timeout", 10*time.Second, "give up after this long")
	if err := f.parse(args); err != nil {
		return helpOr(err, stderr, "query")
	}
	u, req, err := queryArgs(*base, *text, *vectorFile, *k, *timeout)
	if err != nil {
		return fail(stderr, "query", err)
	}
	ctx, cancel := signalContext()
	defer cancel()
	client := &http.Client{Timeout: *timeout}
	status, body, err := query.Post(ctx, client, u, req)
	if err != nil {
		return fail(stderr, "query", fmt.Errorf("%s", oneLine(err)))
	}
	if status != http.StatusOK {
		return fail(stderr, "query", fmt.Errorf("HTTP %d from %s: %s", status, u, query.ErrorMessage(body)))
	}
	stdout.Write(body)
	return exitOK
}

// queryArgs checks query's flags and builds the request, before anything is sent.
func queryArgs(base, text, vectorFile string, k int, timeout time.Duration) (string, query.Request, error) {
	var req query.Request
	if base == "" {
		return "", req, usagef("--url is required (the reader's address, e.g. http://inference:8080)")
	}
	u, err := query.QueryURL(base)
	if err != nil {
		return "", req, usagef("--url: %v", err)
	}
	if (text == "") == (vectorFile == "") {
		return "", req, usagef("give exactly one of --text and --vector-file")
	}
	if k < 1 || k > query.MaxK {
		return "", req, usagef("--k must be between 1 and %d (got %d)", query.MaxK, k)
	}
	if timeout <= 0 {
		return "", req, usagef("--timeout must be positive (got %s)", timeout)
	}
	req.K, req.Text = &k, text
	if vectorFile != "" {
		b, err := os.ReadFile(vectorFile)
		if err != nil {
			return "", req, fmt.Errorf("--vector-file: %w", err)
		}
		if err := json.Unmarshal(b, &req.Vector); err != nil || len(req.Vector) == 0 {
			return "", req, usagef("--vector-file %s: not a non-empty JSON array of numbers", vectorFile)
		}
	}
	return u, req, nil
}
