package volumeresize

import (
	"math/big"
	"strings"
	"testing"
)

func TestParseBytes(t *testing.T) {
	exa := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	for _, c := range []struct {
		in   string
		want string // decimal bytes
	}{
		{"0", "0"},
		{"1", "1"},
		{"+5", "5"},
		{"123456789", "123456789"},
		{"1Ki", "1024"},
		{"1Mi", "1048576"},
		{"1Gi", "1073741824"},
		{"2Ti", "2199023255552"},
		{"1Pi", "1125899906842624"},
		{"1Ei", "1152921504606846976"},
		{"8Ei", "9223372036854775808"}, // beyond int64: exact all the same
		{"1k", "1000"},
		{"1M", "1000000"},
		{"5G", "5000000000"},
		{"1T", "1000000000000"},
		{"1P", "1000000000000000"},
		{"1E", exa.String()},
		{"1.5Gi", "1610612736"},
		{".5Ki", "512"},
		{"5.", "5"},
		{"0.1Ki", "103"}, // 102.4 rounds up
		{"1500m", "2"},   // 1.5 bytes round up
		{"1000m", "1"},
		{"1000000u", "1"},
		{"1n", "1"},
		{"1e9", "1000000000"},
		{"1E9", "1000000000"},
		{"2.5e3", "2500"},
		{"1e+3", "1000"},
		{"15e-1", "2"},
		{"007Mi", "7340032"},
	} {
		got, err := ParseBytes(c.in)
		if err != nil {
			t.Errorf("ParseBytes(%q): %v", c.in, err)
			continue
		}
		if got.String() != c.want {
			t.Errorf("ParseBytes(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestParseBytesRefusesWhatIsNotASize(t *testing.T) {
	for _, c := range []struct{ in, why string }{
		{"", "no number"},
		{"Gi", "no number"},
		{".", "no number"},
		{"-1Gi", "negative"},
		{"1GB", "unknown suffix"},
		{"1gi", "unknown suffix"},
		{"1K", "unknown suffix"},
		{"1 Gi", "unknown suffix"},
		{"1Gi ", "unknown suffix"},
		{"1.2.3", "unknown suffix"},
		{"0x10", "unknown suffix"},
		{"1e", "an exponent is"},
		{"1e3Gi", "an exponent is"},
		{"1e999999999", "exponent beyond"},
		{"1e-65", "exponent beyond"},
	} {
		got, err := ParseBytes(c.in)
		if err == nil {
			t.Errorf("ParseBytes(%q) = %s, want an error", c.in, got)
			continue
		}
		if !strings.Contains(err.Error(), c.why) || !strings.Contains(err.Error(), "is not a storage size") {
			t.Errorf("ParseBytes(%q): %v, want it to say %q", c.in, err, c.why)
		}
	}
}
