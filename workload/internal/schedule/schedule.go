// Package schedule parses refresh schedules: the descriptors @hourly, @daily
// (@midnight), @weekly, @monthly, @yearly (@annually), "@every <Go duration>", and
// standard 5-field cron expressions (minute hour day-of-month month day-of-week) with
// "*", lists, ranges, steps, and month and weekday names.
//
// Times are interpreted in the location of the time passed to Next (the refresher
// passes UTC).
package schedule

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule gives the next activation time strictly after t.
type Schedule interface {
	Next(t time.Time) time.Time
	String() string
}

// Every runs at a fixed interval, counted from the previous activation.
type Every struct{ Interval time.Duration }

func (e Every) Next(t time.Time) time.Time { return t.Add(e.Interval) }
func (e Every) String() string             { return "@every " + e.Interval.String() }

// Cron is a parsed 5-field cron expression. Each field is a bit set of allowed values.
type Cron struct {
	spec                          string
	minute, hour, dom, month, dow uint64
	domStar, dowStar              bool
}

func (c *Cron) String() string { return c.spec }

var descriptors = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

type field struct {
	name     string
	min, max int
	names    map[string]int
}

var (
	monthNames = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}
	dowNames = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
	fields   = []field{
		{"minute", 0, 59, nil},
		{"hour", 0, 23, nil},
		{"day-of-month", 1, 31, nil},
		{"month", 1, 12, monthNames},
		{"day-of-week", 0, 7, dowNames}, // 0 and 7 are both Sunday
	}
)

// Parse parses a schedule. An empty spec is an error: callers apply their default.
func Parse(spec string) (Schedule, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return nil, fmt.Errorf("empty schedule")
	}
	if strings.HasPrefix(s, "@every") {
		rest := strings.TrimSpace(strings.TrimPrefix(s, "@every"))
		if rest == "" {
			return nil, fmt.Errorf("schedule %q: @every needs a duration, e.g. \"@every 6h\"", spec)
		}
		d, err := time.ParseDuration(rest)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %v", spec, err)
		}
		if d < time.Second {
			return nil, fmt.Errorf("schedule %q: interval must be at least 1s", spec)
		}
		return Every{Interval: d}, nil
	}
	if strings.HasPrefix(s, "@") {
		expr, ok := descriptors[strings.ToLower(s)]
		if !ok {
			return nil, fmt.Errorf("schedule %q: unknown descriptor (use @hourly, @daily, @weekly, @monthly, @yearly or @every <duration>)", spec)
		}
		c, err := parseCron(expr)
		if err != nil {
			return nil, err
		}
		c.spec = s
		return c, nil
	}
	c, err := parseCron(s)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %v", spec, err)
	}
	return c, nil
}

func parseCron(s string) (*Cron, error) {
	parts := strings.Fields(s)
	if len(parts) != 5 {
		return nil, fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week), got %d", len(parts))
	}
	var sets [5]uint64
	for i, p := range parts {
		set, err := parseField(p, fields[i])
		if err != nil {
			return nil, err
		}
		sets[i] = set
	}
	c := &Cron{spec: strings.Join(parts, " "), minute: sets[0], hour: sets[1], dom: sets[2],
		month: sets[3], dow: sets[4]}
	// Sunday may be written 0 or 7.
	if c.dow&(1<<7) != 0 {
		c.dow |= 1
		c.dow &^= 1 << 7
	}
	c.domStar = parts[2] == "*" || parts[2] == "?"
	c.dowStar = parts[4] == "*" || parts[4] == "?"
	if !c.domStar && c.dowStar && !anyDayPossible(c.dom, c.month) {
		return nil, fmt.Errorf("day-of-month %q never occurs in month %q", parts[2], parts[3])
	}
	return c, nil
}

// anyDayPossible reports whether some allowed day of month exists in some allowed month.
func anyDayPossible(dom, month uint64) bool {
	days := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	for m := 1; m <= 12; m++ {
		if month&(1<<m) == 0 {
			continue
		}
		for d := 1; d <= days[m]; d++ {
			if dom&(1<<d) != 0 {
				return true
			}
		}
	}
	return false
}

func parseField(s string, f field) (uint64, error) {
	var set uint64
	for _, item := range strings.Split(s, ",") {
		if item == "" {
			return 0, fmt.Errorf("%s: empty list item in %q", f.name, s)
		}
		rng, stepStr, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n <= 0 {
				return 0, fmt.Errorf("%s: bad step %q in %q", f.name, stepStr, item)
			}
			step = n
		}
		var lo, hi int
		switch {
		case rng == "*" || rng == "?":
			lo, hi = f.min, f.max
			if f.name == "day-of-week" {
				hi = 6
			}
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = value(a, f); err != nil {
				return 0, err
			}
			if hi, err = value(b, f); err != nil {
				return 0, err
			}
			if lo > hi {
				return 0, fmt.Errorf("%s: range %q runs backwards", f.name, rng)
			}
		default:
			v, err := value(rng, f)
			if err != nil {
				return 0, err
			}
			lo, hi = v, v
			if hasStep { // "a/n" means a through max, every n
				hi = f.max
				if f.name == "day-of-week" {
					hi = 6
				}
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << uint(v)
		}
	}
	return set, nil
}

func value(s string, f field) (int, error) {
	if f.names != nil {
		if v, ok := f.names[strings.ToLower(s)]; ok {
			return v, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %q is not a number", f.name, s)
	}
	if v < f.min || v > f.max {
		return 0, fmt.Errorf("%s: %d out of range %d-%d", f.name, v, f.min, f.max)
	}
	return v, nil
}

func (c *Cron) dayMatches(t time.Time) bool {
	domOK := c.dom&(1<<uint(t.Day())) != 0
	dowOK := c.dow&(1<<uint(t.Weekday())) != 0
	// Vixie cron: when both day fields are restricted, either may match.
	if !c.domStar && !c.dowStar {
		return domOK || dowOK
	}
	return domOK && dowOK
}

// Next returns the first matching minute strictly after t, or the zero time if none
// exists within five years (which Parse makes impossible for valid expressions).
func (c *Cron) Next(t time.Time) time.Time {
	loc := t.Location()
	t = t.Truncate(time.Minute).Add(time.Minute)
	limit := t.AddDate(5, 0, 0)
	for t.Before(limit) {
		if c.month&(1<<uint(t.Month())) == 0 {
			t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, loc)
			continue
		}
		if !c.dayMatches(t) {
			t = time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
			continue
		}
		if c.hour&(1<<uint(t.Hour())) == 0 {
			t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour()+1, 0, 0, 0, loc)
			continue
		}
		if c.minute&(1<<uint(t.Minute())) == 0 {
			t = t.Add(time.Minute)
			continue
		}
		return t
	}
	return time.Time{}
}
