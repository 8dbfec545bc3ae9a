package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestTheTableHasARowPerRoundAndAMedianRow(t *testing.T) {
	var out strings.Builder
	if err := run(config{docs: 2000, dim: 32, k: 5, rounds: 3, perRound: 20 * time.Millisecond}, &out); err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`(?m)^\s*(\d+|median)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$`).FindAllStringSubmatch(out.String(), -1)
	if len(rows) != 4 || rows[3][1] != "median" {
		t.Fatalf("want 3 rounds and a median:\n%s", out.String())
	}
	for _, r := range rows {
		qps, _ := strconv.ParseFloat(r[2], 64)
		index, _ := strconv.ParseFloat(r[3], 64)
		floor, _ := strconv.ParseFloat(r[4], 64)
		if qps <= 0 || index <= 0 || floor <= 0 {
			t.Errorf("row %q: every figure should be positive", r[0])
		}
		// 2000 x 32 x 4 bytes per query: GB/s is queries/s times that.
		if want := qps * 2000 * 32 * 4 / 1e9; index < want*0.95-0.01 || index > want*1.05+0.01 {
			t.Errorf("row %q: index %.2f GB/s, want %.2f from %.1f queries/s", r[0], index, want, qps)
		}
	}
}

func TestTheFloorSumsEveryValue(t *testing.T) {
	v := make([]float32, 1003) // not a multiple of the 8 accumulators
	for i := range v {
		v[i] = float32(i % 7)
	}
	var want float32
	for _, x := range v {
		want += x
	}
	if got := sum(v); got != want {
		t.Fatalf("sum %v, want %v", got, want)
	}
}

func TestMedianOfEvenAndOddCounts(t *testing.T) {
	q := func(xs ...float64) []figures {
		var fs []figures
		for _, x := range xs {
			fs = append(fs, figures{qps: x})
		}
		return fs
	}
	qps := func(f figures) float64 { return f.qps }
	if m := median(q(5, 1, 3), qps); m != 3 {
		t.Errorf("median of 5 1 3: %v", m)
	}
	if m := median(q(4, 1, 3, 2), qps); m != 2.5 {
		t.Errorf("median of 4 1 3 2: %v", m)
	}
}
