package schedule

import (
	"encoding/json"
	"os"
	"testing"
)

// vector is one entry of testdata/vectors.json, the schedule grammar's test vectors.
// The Pulumi program's configuration check reads the same file (test/schedule.spec.ts),
// so the two parsers accept exactly the same schedules.
type vector struct {
	Schedule string `json:"schedule"`
	Valid    bool   `json:"valid"`
	Why      string `json:"why"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatalf("testdata/vectors.json: %v", err)
	}
	seen := map[string]bool{}
	for _, v := range vs {
		if v.Why == "" {
			t.Errorf("vector %q says no why", v.Schedule)
		}
		if seen[v.Schedule] {
			t.Errorf("vector %q appears twice", v.Schedule)
		}
		seen[v.Schedule] = true
	}
	return vs
}

func TestVectors(t *testing.T) {
	vs := loadVectors(t)
	for _, v := range vs {
		s, err := Parse(v.Schedule)
		switch {
		case v.Valid && err != nil:
			t.Errorf("Parse(%q) (%s): want valid, got %v", v.Schedule, v.Why, err)
		case !v.Valid && err == nil:
			t.Errorf("Parse(%q) (%s): want an error, got %q", v.Schedule, v.Why, s)
		case v.Valid && s.Next(mustTime(t, "2026-11-24 18:47")).IsZero():
			t.Errorf("Parse(%q) (%s): valid but never runs", v.Schedule, v.Why)
		}
	}
	if len(vs) < 100 {
		t.Fatalf("only %d vectors", len(vs))
	}
}
