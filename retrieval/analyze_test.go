package retrieval

import (
	"context"
	"slices"
	"testing"
)

func TestTerms(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"What is CAR-T therapy?", []string{"cart", "therapi"}},
		{"car t cells", []string{"cart", "cell"}},
		{"CAR T-cell therapy", []string{"cart", "cell", "therapi"}},
		{"T cells", []string{"tcell"}},
		{"CART-cell therapy", []string{"cart", "cell", "therapi"}},
		{"the patient\u2019s own cells", []string{"patient", "own", "cell"}},
		{"allogenic vs allogeneic", []string{"allogen", "vs", "allogen"}},
		{"Ｆｕｌｌｗｉｄｔｈ TOXICITIES", []string{"fullwidth", "toxic"}},
		{"cells from someone else", []string{"cell", "els"}},               // "else" means a donor
		{"Which type of cells is best?", []string{"type", "cell", "best"}}, // furniture stays for retrieval
		{"HSCs and a B cell", []string{"hsc", "bcell"}},
		{"", nil},
	}
	for _, tt := range tests {
		got := terms(tt.in)
		if !slices.Equal(got, tt.want) {
			t.Errorf("terms(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLocalEmbedder(t *testing.T) {
	e := NewLocalEmbedder()
	ctx := context.Background()
	vec := func(s string) []float32 {
		v, err := e.Embed(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(v) != e.Dim {
			t.Fatalf("dimension %d, want %d", len(v), e.Dim)
		}
		return v
	}
	cos := func(a, b []float32) float64 {
		var s float64
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		return s
	}
	a := vec("Allogeneic cell therapy uses cells from a donor.")
	if n := cos(a, a); n < 0.999 || n > 1.001 {
		t.Fatalf("not unit length: %v", n)
	}
	// Deterministic: same text, same vector.
	if !slices.Equal(a, vec("Allogeneic cell therapy uses cells from a donor.")) {
		t.Fatal("same text gave different vectors")
	}
	// A misspelling lands nearer its word than an unrelated word does.
	typo, right, other := vec("allogenic"), vec("allogeneic"), vec("leukapheresis")
	if cos(typo, right) <= cos(typo, other)+0.2 {
		t.Fatalf("cos(allogenic, allogeneic)=%.2f not clearly above cos(allogenic, leukapheresis)=%.2f", cos(typo, right), cos(typo, other))
	}
	// Changing a setting changes the name, so vectors are never mixed.
	f := NewLocalEmbedder()
	f.Dim = 128
	if f.Name() == e.Name() {
		t.Fatal("different dimensions, same name")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := e.Embed(cancelled, "x"); err == nil {
		t.Fatal("embedding with a cancelled context succeeded")
	}
}
