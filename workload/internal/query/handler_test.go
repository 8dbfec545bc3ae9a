package query

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func do(t *testing.T, h http.Handler, method, path, body string) (int, string) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	return w.Code, w.Body.String()
}

func servingHandMade(t *testing.T) http.Handler {
	var h Holder
	h.cur.Store(handMade(t))
	return Handler(&h)
}

func TestHealthzAnswersWhileReadyzWaitsForAVersion(t *testing.T) {
	h := Handler(&Holder{})
	if code, _ := do(t, h, "GET", "/healthz", ""); code != 200 {
		t.Errorf("/healthz: %d, want 200", code)
	}
	if code, _ := do(t, h, "GET", "/readyz", ""); code != 503 {
		t.Errorf("/readyz before a version: %d, want 503", code)
	}
	if code, _ := do(t, h, "POST", "/query", `{"vector":[1,0]}`); code != 503 {
		t.Errorf("/query before a version: %d, want 503", code)
	}
	if code, body := do(t, servingHandMade(t), "GET", "/readyz", ""); code != 200 || !strings.Contains(body, `"v1"`) {
		t.Errorf("/readyz with a version: %d %s, want 200 naming v1", code, body)
	}
}

func TestQueryAnswersWithTheVersionAndScoredResults(t *testing.T) {
	code, body := do(t, servingHandMade(t), "POST", "/query", `{"vector":[0,3],"k":2}`)
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var got Response
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := Response{Version: "v1", Results: []Result{{"north", 1}, {"north-east", 0.8}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestQueryKDefaultsToTenAndMustBeBetweenOneAndAHundred(t *testing.T) {
	ids := make([]string, 150)
	vecs := make([]float32, 150)
	for i := range ids {
		ids[i], vecs[i] = fmt.Sprintf("doc-%d", i), float32(i+1)
	}
	ix, err := New("v", 1, ids, vecs)
	if err != nil {
		t.Fatal(err)
	}
	var holder Holder
	holder.cur.Store(ix)
	h := Handler(&holder)
	count := func(body string) int {
		var r Response
		json.Unmarshal([]byte(body), &r)
		return len(r.Results)
	}
	if code, body := do(t, h, "POST", "/query", `{"vector":[1]}`); code != 200 || count(body) != DefaultK {
		t.Errorf("no k: %d with %d results, want 200 with %d", code, count(body), DefaultK)
	}
	if code, body := do(t, h, "POST", "/query", `{"vector":[1],"k":100}`); code != 200 || count(body) != 100 {
		t.Errorf("k 100: %d with %d results, want 200 with 100", code, count(body))
	}
	for _, k := range []string{"0", "-1", "101"} {
		if code, body := do(t, h, "POST", "/query", `{"vector":[1],"k":`+k+`}`); code != 400 || !strings.Contains(body, "k must be between 1 and 100") {
			t.Errorf("k %s: %d %s, want 400 naming the bounds", k, code, body)
		}
	}
}

func TestQueryRejectsMalformedRequests(t *testing.T) {
	h := servingHandMade(t)
	for _, c := range []struct{ method, body string }{
		{"POST", `not json`},
		{"POST", `{}`},
		{"POST", `{"text":"east","vector":[1,0]}`},
		{"POST", `{"vector":[1,0,0]}`},
		{"POST", `{"text":"!!!"}`},
		{"POST", `{"vector":[1,0],"extra":1}`},
	} {
		if code, body := do(t, h, c.method, "/query", c.body); code != 400 || !strings.Contains(body, `"error"`) {
			t.Errorf("%s %s: %d %s, want 400 with an error", c.method, c.body, code, body)
		}
	}
	if code, _ := do(t, h, "GET", "/query", ""); code != 405 {
		t.Errorf("GET /query: %d, want 405", code)
	}
}

func TestMetricsCountQueriesErrorsLatencyAndTheServedVersion(t *testing.T) {
	h := servingHandMade(t)
	do(t, h, "POST", "/query", `{"vector":[1,0]}`)
	do(t, h, "POST", "/query", `{"text":"east"}`)
	do(t, h, "POST", "/query", `{"vector":[1]}`)
	code, body := do(t, h, "GET", "/metrics", "")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	for _, line := range []string{
		"# TYPE refresher_query_requests_total counter\n",
		"refresher_query_requests_total 3\n",
		"refresher_query_errors_total 1\n",
		"# TYPE refresher_query_duration_seconds histogram\n",
		`refresher_query_duration_seconds_bucket{le="+Inf"} 3` + "\n",
		"refresher_query_duration_seconds_count 3\n",
		`refresher_query_index_docs{version="v1"} 4` + "\n",
	} {
		if !strings.Contains(body, line) {
			t.Errorf("/metrics lacks %q:\n%s", line, body)
		}
	}
}

func TestADrainingServerStillAnswersButFailsReadyzAndClosesConnections(t *testing.T) {
	var h Holder
	h.cur.Store(handMade(t))
	srv := httptest.NewServer(Handler(&h))
	defer srv.Close()
	get := func(path string) *http.Response {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := get("/readyz"); r.StatusCode != 200 || r.Close {
		t.Fatalf("before Drain: /readyz %d, close %v; want 200 on a kept connection", r.StatusCode, r.Close)
	}
	h.Drain()
	if r := get("/readyz"); r.StatusCode != 503 || !r.Close {
		t.Errorf("draining: /readyz %d, close %v; want 503 and the connection closed", r.StatusCode, r.Close)
	}
	resp, err := http.Post(srv.URL+"/query", "application/json", strings.NewReader(`{"vector":[1,0]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !resp.Close {
		t.Errorf("draining: /query %d, close %v; want 200 and the connection closed", resp.StatusCode, resp.Close)
	}
}
