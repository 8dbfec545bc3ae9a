package volumeresize

import (
	"errors"
	"fmt"
	"math/big"
)

// maxExponent bounds the exponent form (1e9): far beyond any storage size, and small
// enough that a hostile 1e999999999 costs nothing.
const maxExponent = 64

// ParseBytes reads a Kubernetes quantity as a storage size in bytes: a number with an
// optional fraction ("1", "1.5", ".5", "5.") and a binary suffix (Ki Mi Gi Ti Pi Ei), a
// decimal one (n u m k M G T P E), or an exponent (1e9, 5E-3). The result is exact; a
// fraction of a byte rounds up, as the API server's own Value does. Anything else, a
// negative size among it, is an error.
func ParseBytes(s string) (*big.Int, error) {
	bad := func(why string) error { return fmt.Errorf("%q is not a storage size: %s", s, why) }
	rest := s
	if rest != "" && rest[0] == '+' {
		rest = rest[1:]
	} else if rest != "" && rest[0] == '-' {
		return nil, bad("negative")
	}
	whole, rest := digits(rest)
	var frac string
	if rest != "" && rest[0] == '.' {
		frac, rest = digits(rest[1:])
	}
	if whole == "" && frac == "" {
		return nil, bad("no number")
	}
	n, _ := new(big.Int).SetString(whole+frac, 10)
	v := new(big.Rat).SetFrac(n, pow(10, len(frac)))

	// "E" alone is exa; "E" with a number after it, an exponent.
	if sfx, ok := suffixes[rest]; ok {
		scale(v, sfx.base, sfx.exp)
	} else if rest[0] == 'e' || rest[0] == 'E' {
		e, err := exponent(rest[1:])
		if err != nil {
			return nil, bad(err.Error())
		}
		scale(v, 10, e)
	} else {
		return nil, bad(fmt.Sprintf("unknown suffix %q (binary Ki Mi Gi Ti Pi Ei, decimal k M G T P E, or an exponent such as e9)", rest))
	}
	// Round a fraction of a byte up.
	q, r := new(big.Int).QuoRem(v.Num(), v.Denom(), new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q, nil
}

// suffixes are the factors the quantity suffixes stand for: base^exp.
var suffixes = map[string]struct{ base, exp int }{
	"":   {10, 0},
	"Ki": {2, 10}, "Mi": {2, 20}, "Gi": {2, 30}, "Ti": {2, 40}, "Pi": {2, 50}, "Ei": {2, 60},
	"n": {10, -9}, "u": {10, -6}, "m": {10, -3},
	"k": {10, 3}, "M": {10, 6}, "G": {10, 9}, "T": {10, 12}, "P": {10, 15}, "E": {10, 18},
}

func digits(s string) (d, rest string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}

func exponent(s string) (int, error) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	d, rest := digits(s)
	if d == "" || rest != "" {
		return 0, errors.New("an exponent is e or E and a whole number, such as e9")
	}
	e := 0
	for _, c := range d {
		e = e*10 + int(c-'0')
		if e > maxExponent {
			return 0, fmt.Errorf("exponent beyond ±%d", maxExponent)
		}
	}
	if neg {
		e = -e
	}
	return e, nil
}

func pow(base, exp int) *big.Int {
	return new(big.Int).Exp(big.NewInt(int64(base)), big.NewInt(int64(exp)), nil)
}

// scale multiplies v by base^e.
func scale(v *big.Rat, base, e int) {
	if e >= 0 {
		v.Mul(v, new(big.Rat).SetInt(pow(base, e)))
	} else {
		v.Quo(v, new(big.Rat).SetInt(pow(base, -e)))
	}
}
