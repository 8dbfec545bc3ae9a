// Package schedule parses refresh schedules. The grammar is described in
// docs/refresh-protocol.md ("The generator's schedule"); testdata/vectors.json pins it,
// for this parser and for the Pulumi program's port of it (stacks/schedule.ts), so the
// program accepts exactly the schedules the refresher runs.
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

// MinEvery is the shortest "@every" interval: a minute, cron's own resolution. Every
// refresh rewrites all shards, so shorter intervals would only run them back to back.
const MinEvery = time.Minute

type field struct {
	name     string
	min, max int
	// last is the last value "*" and "a/n" reach: max, except day-of-week, whose 7 only
	// repeats Sunday.
	last  int
	names map[string]int
}

var (
	monthNames = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}
	dowNames = map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
	fields   = []field{
		{"minute", 0, 59, 59, nil},
		{"hour", 0, 23, 23, nil},
		{"day-of-month", 1, 31, 31, nil},
		{"month", 1, 12, 12, monthNames},
		{"day-of-week", 0, 7, 6, dowNames}, // 0 and 7 are both Sunday
	}
)

// blank separates fields. Only spaces and tabs: other white space is not the same set in
// every language that checks a schedule.
func blank(r rune) bool { return r == ' ' || r == '\t' }

// lowerASCII lowers A-Z only, for the same reason: Unicode case mappings differ.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func letter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Parse parses a schedule. An empty spec is an error: callers apply their default.
func Parse(spec string) (Schedule, error) {
	s := strings.TrimFunc(spec, blank)
	if s == "" {
		return nil, fmt.Errorf("empty schedule")
	}
	// "@every6h" is an @every without its space; "@everyday" an unknown descriptor.
	if n := len("@every"); len(s) >= n && lowerASCII(s[:n]) == "@every" && !(len(s) > n && letter(s[n])) {
		return parseEvery(spec, s[n:])
	}
	if strings.HasPrefix(s, "@") {
		expr, ok := descriptors[lowerASCII(s)]
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

func parseEvery(spec, rest string) (Schedule, error) {
	dur := strings.TrimFunc(rest, blank)
	if dur == "" {
		return nil, fmt.Errorf("schedule %q: @every needs a duration, e.g. \"@every 6h\"", spec)
	}
	if !blank(rune(rest[0])) {
		return nil, fmt.Errorf("schedule %q: put a space between @every and its duration, e.g. \"@every 6h\"", spec)
	}
	d, err := time.ParseDuration(dur)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %v", spec, err)
	}
	if d < MinEvery {
		return nil, fmt.Errorf("schedule %q: interval %s is shorter than the minimum, %s", spec, d, MinEvery)
	}
	return Every{Interval: d}, nil
}

func parseCron(s string) (*Cron, error) {
	parts := strings.FieldsFunc(s, blank)
	if len(parts) != 5 {
		return nil, fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week), got %d", len(parts))
	}
	var sets [5]uint64
	for i, p := range parts {
		if p == "?" && (i == 2 || i == 4) { // the Quartz habit: "no particular day"
			p = "*"
		}
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
		if strings.Contains(item, "?") {
			return 0, fmt.Errorf("%s: \"?\" may only stand alone for a whole day-of-month or day-of-week field", f.name)
		}
		rng, stepStr, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if !digits(stepStr) || err != nil || n <= 0 {
				return 0, fmt.Errorf("%s: bad step %q in %q", f.name, stepStr, item)
			}
			// A larger step could never select a second value: "*/90" in minutes is not
			// every 90 minutes but minute 0 of every hour.
			if n > f.last-f.min {
				return 0, fmt.Errorf("%s: step %d in %q is over %d, so it selects one value only (for longer intervals use @every)", f.name, n, item, f.last-f.min)
			}
			step = n
		}
		var lo, hi int
		switch {
		case rng == "*":
			lo, hi = f.min, f.last
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
			if hasStep { // "a/n" means a through the last value, every n
				hi = f.last
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << uint(v)
		}
	}
	if set == 0 { // only "7/n" in day-of-week: 7 is past the last value a step reaches
		return 0, fmt.Errorf("%s: %q selects no value", f.name, s)
	}
	return set, nil
}

// value is a number (decimal digits, no sign) or, in the month and day-of-week fields, a
// three-letter name in any case.
func value(s string, f field) (int, error) {
	if f.names != nil {
		if v, ok := f.names[lowerASCII(s)]; ok {
			return v, nil
		}
	}
	if !digits(s) {
		return 0, fmt.Errorf("%s: %q is not a number", f.name, s)
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < f.min || v > f.max {
		return 0, fmt.Errorf("%s: %s out of range %d-%d", f.name, s, f.min, f.max)
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
