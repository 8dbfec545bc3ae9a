package volumeresize

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// quantityVector is one entry of testdata/quantities.json: the storage-size grammar's test
// vectors, which the Pulumi program's parser (components/kubeapi/quantity.ts) is tested
// with too, so both read a size the same way. A valid quantity has its bytes (decimal,
// exact); an invalid one says why.
type quantityVector struct {
	Quantity string `json:"quantity"`
	Bytes    string `json:"bytes"`
	Invalid  string `json:"invalid"`
}

func quantityVectors(t *testing.T) []quantityVector {
	t.Helper()
	b, err := os.ReadFile("testdata/quantities.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []quantityVector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatalf("testdata/quantities.json: %v", err)
	}
	if len(vs) < 40 {
		t.Fatalf("only %d vectors", len(vs))
	}
	return vs
}

func TestParseBytes(t *testing.T) {
	for _, c := range quantityVectors(t) {
		if c.Bytes == "" {
			continue
		}
		got, err := ParseBytes(c.Quantity)
		if err != nil {
			t.Errorf("ParseBytes(%q): %v", c.Quantity, err)
			continue
		}
		if got.String() != c.Bytes {
			t.Errorf("ParseBytes(%q) = %s, want %s", c.Quantity, got, c.Bytes)
		}
	}
}

func TestParseBytesRefusesWhatIsNotASize(t *testing.T) {
	for _, c := range quantityVectors(t) {
		if c.Invalid == "" {
			continue
		}
		got, err := ParseBytes(c.Quantity)
		if err == nil {
			t.Errorf("ParseBytes(%q) = %s, want an error", c.Quantity, got)
			continue
		}
		if !strings.Contains(err.Error(), c.Invalid) || !strings.Contains(err.Error(), "is not a storage size") {
			t.Errorf("ParseBytes(%q): %v, want it to say %q", c.Quantity, err, c.Invalid)
		}
	}
}

func TestQuantityVectorsAreEachValidOrInvalid(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range quantityVectors(t) {
		if (c.Bytes == "") == (c.Invalid == "") {
			t.Errorf("%q: give either bytes or why it is invalid", c.Quantity)
		}
		if seen[c.Quantity] {
			t.Errorf("%q is listed twice", c.Quantity)
		}
		seen[c.Quantity] = true
	}
}
