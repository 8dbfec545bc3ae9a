package query

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The paths Handler serves.
const (
	PathQuery   = "/query"
	PathHealthz = "/healthz"
	PathReadyz  = "/readyz"
	PathMetrics = "/metrics"
)

// The bounds of "k" in a query.
const (
	DefaultK = 10
	MaxK     = 100
)

// maxBody bounds a query's JSON: a vector of a few thousand floats fits many times over.
const maxBody = 1 << 20

// Request is the body of POST /query: exactly one of Text and Vector.
type Request struct {
	Text   string    `json:"text,omitempty"`
	Vector []float32 `json:"vector,omitempty"`
	K      *int      `json:"k,omitempty"`
}

// Response is the answer of POST /query.
type Response struct {
	Version string   `json:"version"`
	Results []Result `json:"results"`
}

type errorBody struct {
	Error string `json:"error"`
}

// latencyBuckets are the upper bounds, in seconds, of the query latency histogram.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// metrics are counted by hand: three series do not justify a client library and the
// modules it brings.
type metrics struct {
	queries, errors atomic.Int64
	mu              sync.Mutex
	buckets         []int64 // one per latencyBuckets bound; +Inf is count
	count           int64
	sum             float64
}

func (m *metrics) observe(d time.Duration) {
	s := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, le := range latencyBuckets {
		if s <= le {
			m.buckets[i]++
		}
	}
	m.count++
	m.sum += s
}

// Handler serves /query, /healthz, /readyz and /metrics from the index h holds.
func Handler(h *Holder) http.Handler {
	m := &metrics{buckets: make([]int64, len(latencyBuckets))}
	mux := http.NewServeMux()
	mux.HandleFunc(PathQuery, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m.queries.Add(1)
		status, body := answer(h, r)
		if status != http.StatusOK {
			m.errors.Add(1)
		}
		if status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", http.MethodPost)
		}
		writeJSON(w, status, body)
		m.observe(time.Since(start))
	})
	mux.HandleFunc(PathHealthz, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc(PathReadyz, func(w http.ResponseWriter, r *http.Request) {
		if h.Draining() {
			writeJSON(w, http.StatusServiceUnavailable, errorBody{"draining: shutting down"})
			return
		}
		if ix := h.Current(); ix != nil {
			writeJSON(w, http.StatusOK, map[string]any{"version": ix.Version, "docs": ix.Len()})
			return
		}
		writeJSON(w, http.StatusServiceUnavailable, errorBody{"no verified version loaded yet"})
	})
	mux.HandleFunc(PathMetrics, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		writeMetrics(w, m, h.Current())
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.Draining() {
			w.Header().Set("Connection", "close")
		}
		mux.ServeHTTP(w, r)
	})
}

func answer(h *Holder, r *http.Request) (int, any) {
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, errorBody{"use POST"}
	}
	ix := h.Current()
	if ix == nil {
		return http.StatusServiceUnavailable, errorBody{"no verified version loaded yet"}
	}
	var req Request
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return http.StatusBadRequest, errorBody{"body must be JSON {\"text\": \"...\"} or {\"vector\": [...]}, with optional \"k\": " + err.Error()}
	}
	k := DefaultK
	if req.K != nil {
		k = *req.K
	}
	if k < 1 || k > MaxK {
		return http.StatusBadRequest, errorBody{fmt.Sprintf("k must be between 1 and %d (got %d)", MaxK, k)}
	}
	var q []float32
	switch {
	case req.Text != "" && req.Vector != nil:
		return http.StatusBadRequest, errorBody{"give text or vector, not both"}
	case req.Text != "":
		q = ix.Embed(req.Text)
	case req.Vector != nil:
		q = req.Vector
	default:
		return http.StatusBadRequest, errorBody{"give text or vector"}
	}
	res, err := ix.Search(q, k)
	if errors.Is(err, ErrBadQuery) {
		return http.StatusBadRequest, errorBody{err.Error()}
	} else if err != nil {
		return http.StatusInternalServerError, errorBody{err.Error()}
	}
	return http.StatusOK, Response{Version: ix.Version, Results: res}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// labelValue escapes a Prometheus label value.
var labelValue = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// writeMetrics writes the Prometheus text exposition format.
func writeMetrics(w http.ResponseWriter, m *metrics, ix *Index) {
	var b strings.Builder
	fmt.Fprintf(&b, "# HELP refresher_query_requests_total Queries received.\n# TYPE refresher_query_requests_total counter\nrefresher_query_requests_total %d\n", m.queries.Load())
	fmt.Fprintf(&b, "# HELP refresher_query_errors_total Queries answered with an error status.\n# TYPE refresher_query_errors_total counter\nrefresher_query_errors_total %d\n", m.errors.Load())
	b.WriteString("# HELP refresher_query_duration_seconds Time to answer a query.\n# TYPE refresher_query_duration_seconds histogram\n")
	m.mu.Lock()
	for i, le := range latencyBuckets {
		fmt.Fprintf(&b, "refresher_query_duration_seconds_bucket{le=%q} %d\n", strconv.FormatFloat(le, 'g', -1, 64), m.buckets[i])
	}
	fmt.Fprintf(&b, "refresher_query_duration_seconds_bucket{le=\"+Inf\"} %d\n", m.count)
	fmt.Fprintf(&b, "refresher_query_duration_seconds_sum %s\n", strconv.FormatFloat(m.sum, 'g', -1, 64))
	fmt.Fprintf(&b, "refresher_query_duration_seconds_count %d\n", m.count)
	m.mu.Unlock()
	b.WriteString("# HELP refresher_query_index_docs Documents in the served version, labelled by its id.\n# TYPE refresher_query_index_docs gauge\n")
	if ix != nil {
		fmt.Fprintf(&b, "refresher_query_index_docs{version=\"%s\"} %d\n", labelValue.Replace(ix.Version), ix.Len())
	}
	w.Write([]byte(b.String()))
}
