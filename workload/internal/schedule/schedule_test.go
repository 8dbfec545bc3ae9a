package schedule

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestNext(t *testing.T) {
	// 2026-11-24 is a Tuesday.
	cases := []struct {
		spec, from string
		want       []string // successive activations
	}{
		{"@hourly", "2026-11-24 18:47", []string{"2026-11-24 19:00", "2026-11-24 20:00"}},
		{"@daily", "2026-11-24 18:47", []string{"2026-11-25 00:00", "2026-11-26 00:00"}},
		{"@midnight", "2026-11-24 00:00", []string{"2026-11-25 00:00"}},
		{"@weekly", "2026-11-24 18:47", []string{"2026-11-29 00:00", "2026-12-06 00:00"}},
		{"@WEEKLY", "2026-11-29 00:00", []string{"2026-12-06 00:00"}},
		{"@monthly", "2026-11-24 18:47", []string{"2026-12-01 00:00", "2027-01-01 00:00"}},
		{"@yearly", "2026-11-24 18:47", []string{"2027-01-01 00:00"}},
		{"*/15 * * * *", "2026-11-24 18:47", []string{"2026-11-24 19:00", "2026-11-24 19:15", "2026-11-24 19:30"}},
		{"5,35 9-10 * * *", "2026-11-24 09:30", []string{"2026-11-24 09:35", "2026-11-24 10:05", "2026-11-24 10:35", "2026-11-25 09:05"}},
		{"0 3 * * 1-5", "2026-11-27 04:00", []string{"2026-11-30 03:00", "2026-12-01 03:00"}}, // Fri 04:00 -> Mon
		{"0 3 * * mon-fri", "2026-11-27 04:00", []string{"2026-11-30 03:00"}},
		{"30 2 * * 7", "2026-11-24 00:00", []string{"2026-11-29 02:30"}}, // 7 = Sunday
		{"30 2 * * SUN", "2026-11-24 00:00", []string{"2026-11-29 02:30"}},
		{"0 0 29 2 *", "2026-11-24 00:00", []string{"2028-02-29 00:00"}},
		{"0 12 1 jan,jul *", "2026-11-24 00:00", []string{"2027-01-01 12:00", "2027-07-01 12:00"}},
		{"10-20/5 * * * *", "2026-11-24 18:47", []string{"2026-11-24 19:10", "2026-11-24 19:15", "2026-11-24 19:20", "2026-11-24 20:10"}},
		{"50/5 * * * *", "2026-11-24 18:47", []string{"2026-11-24 18:50", "2026-11-24 18:55", "2026-11-24 19:50"}},
		// Both day fields restricted: either matches (the 1st, or any Friday).
		{"0 0 1 * 5", "2026-11-24 00:00", []string{"2026-11-27 00:00", "2026-12-01 00:00", "2026-12-04 00:00"}},
		{"0 0 31 * *", "2026-11-24 00:00", []string{"2026-12-31 00:00", "2027-01-31 00:00", "2027-03-31 00:00"}},
	}
	for _, c := range cases {
		s, err := Parse(c.spec)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.spec, err)
			continue
		}
		at := mustTime(t, c.from)
		for i, w := range c.want {
			at = s.Next(at)
			if want := mustTime(t, w); !at.Equal(want) {
				t.Errorf("%q from %s, activation %d: got %s, want %s", c.spec, c.from, i+1,
					at.Format("2006-01-02 15:04 Mon"), want.Format("2006-01-02 15:04 Mon"))
				break
			}
		}
	}
}

func TestNextIsStrictlyAfter(t *testing.T) {
	s, _ := Parse("0 * * * *")
	at := mustTime(t, "2026-11-24 19:00").Add(30 * time.Second)
	if got := s.Next(at); !got.Equal(mustTime(t, "2026-11-24 20:00")) {
		t.Fatalf("got %s", got)
	}
	if got := s.Next(mustTime(t, "2026-11-24 19:00")); !got.Equal(mustTime(t, "2026-11-24 20:00")) {
		t.Fatalf("an activation time must not be returned again: got %s", got)
	}
}

func TestEvery(t *testing.T) {
	s, err := Parse("@every 1h30m")
	if err != nil {
		t.Fatal(err)
	}
	from := mustTime(t, "2026-11-24 18:47")
	if got := s.Next(from); !got.Equal(from.Add(90 * time.Minute)) {
		t.Fatalf("got %s", got)
	}
	if s.String() != "@every 1h30m0s" {
		t.Fatalf("String() = %q", s.String())
	}
}

func TestParseErrors(t *testing.T) {
	cases := map[string]string{
		"":             "empty",
		"@fortnightly": "unknown descriptor",
		"@every":       "needs a duration",
		"@every soon":  "invalid duration",
		"@every 10ms":  "shorter than the minimum, 1m0s",
		"@every6h":     "put a space between @every",
		"*/90 * * * *": "selects one value only (for longer intervals use @every)",
		"0 0 * * 7/2":  "selects no value",
		"? * * * *":    "may only stand alone",
		"+5 * * * *":   "not a number",
		"* * * *":      "want 5 fields",
		"* * * * * *":  "want 5 fields",
		"60 * * * *":   "minute: 60 out of range",
		"* 24 * * *":   "hour: 24 out of range",
		"* * 0 * *":    "day-of-month: 0 out of range",
		"* * * 13 *":   "month: 13 out of range",
		"* * * * 8":    "day-of-week: 8 out of range",
		"*/0 * * * *":  "bad step",
		"*/x * * * *":  "bad step",
		"5-1 * * * *":  "runs backwards",
		"1,,2 * * * *": "empty list item",
		"a * * * *":    "not a number",
		"* * * foo *":  "month: \"foo\" is not a number",
		"0 0 30 2 *":   "never occurs",
	}
	for spec, want := range cases {
		_, err := Parse(spec)
		if err == nil {
			t.Errorf("Parse(%q): want error containing %q, got nil", spec, want)
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q): error %q does not contain %q", spec, err, want)
		}
	}
}

func TestStringKeepsSpec(t *testing.T) {
	for _, spec := range []string{"@weekly", "0  3 * *   1"} {
		s, err := Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		if s.String() == "" {
			t.Errorf("String() of %q is empty", spec)
		}
	}
}

// matches is the definition of a cron match, checked minute by minute.
func (c *Cron) matches(t time.Time) bool {
	return c.minute&(1<<uint(t.Minute())) != 0 && c.hour&(1<<uint(t.Hour())) != 0 &&
		c.month&(1<<uint(t.Month())) != 0 && c.dayMatches(t)
}

// Next must agree with a brute-force scan on random expressions.
func TestNextAgreesWithBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(opts ...string) string { return opts[r.IntN(len(opts))] }
	from := time.Date(2026, 11, 24, 18, 47, 0, 0, time.UTC)
	checked := 0
	for i := 0; i < 150; i++ {
		spec := strings.Join([]string{
			pick("*", "0", "*/7", "5,35", "10-20/3", "59"),
			pick("*", "3", "*/5", "9-17", "0,12"),
			pick("*", "*", "1", "15", "28-31", "*/10"),
			pick("*", "*", "2", "jan,jun", "*/4", "11-12"),
			pick("*", "*", "0", "mon-fri", "6,7", "*/3"),
		}, " ")
		s, err := Parse(spec)
		if err != nil {
			continue // e.g. day 31 in February only
		}
		c := s.(*Cron)
		checked++
		at := from
		for k := 0; k < 3; k++ {
			got := c.Next(at)
			want := at.Truncate(time.Minute).Add(time.Minute)
			for limit := want.AddDate(2, 0, 0); !c.matches(want) && want.Before(limit); {
				want = want.Add(time.Minute)
			}
			if !got.Equal(want) {
				t.Fatalf("%q after %s: Next %s, brute force %s", spec, at, got, want)
			}
			at = got
		}
	}
	if checked < 100 {
		t.Fatalf("only %d of 150 random expressions were valid", checked)
	}
}
