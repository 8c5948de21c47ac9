package words

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func words(toks []Token) []string {
	var out []string
	for _, t := range toks {
		out = append(out, t.Word)
	}
	return out
}

func TestTokensWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"What is CAR-T therapy?", []string{"what", "is", "cart", "therapy"}},
		{"CAR-T, CAR T, CAR–T, CART and car t", []string{"cart", "cart", "cart", "cart", "and", "cart"}},
		{"CAR-Ts and CAR Ts; cars and carts", []string{"cart", "and", "cart", "cart", "and", "cart"}},
		{"CARs bind antigens", []string{"car", "bind", "antigens"}},
		{"CAR T-cell therapy", []string{"cart", "cell", "therapy"}},
		{"CART-cell therapy", []string{"cart", "cell", "therapy"}},
		{"T cells, T-cells, t cell and a T-cell", []string{"tcell", "tcell", "tcell", "and", "tcell"}},
		{"B cells and NK cells, grown ex vivo", []string{"bcell", "and", "nkcell", "grown", "exvivo"}},
		{"a car. T cells", []string{"car", "tcell"}}, // a full stop keeps words apart
		{"CAR -- T", []string{"car"}},                // so do two dashes; "T" alone is dropped
		{"HSCs and HSC’s and HSC's", []string{"hsc", "and", "hsc", "and", "hsc"}},
		{"CD34s, CGTs and ATMPs", []string{"cd34", "cgt", "and", "atmp"}},
		{"the patient\u2019s own cells", []string{"the", "patient", "own", "cells"}},
		{"I don't know, it isn’t clear", []string{"don't", "know", "it", "isn't", "clear"}},
		{"patients' families", []string{"patients", "families"}},
		{"a 1 in 3 chance, type A blood", []string{"1", "in", "3", "chance", "type", "blood"}},
		{"\uFF23\uFF21\uFF32\uFF0D\uFF34 TOXICITIES", []string{"cart", "toxicities"}},
		{"\uFB01brosis and caf\u0065\u0301", []string{"fibrosis", "and", "café"}},
		{"CD19-directed, IL-6", []string{"cd19", "directed", "il", "6"}},
		{"'quoted' -- (bracketed)", []string{"quoted", "bracketed"}},
	}
	for _, tt := range tests {
		if got := words(Tokens(tt.in)); !slices.Equal(got, tt.want) {
			t.Errorf("Tokens(%q) words = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokensOffsetsAndStems(t *testing.T) {
	text := "Patients’ CAR–T cells: HSCs grown ex vivo."
	want := []Token{
		{"patients", "patient", 0, 8},
		{"cart", "cart", 12, 19},
		{"cells", "cell", 20, 25},
		{"hsc", "hsc", 27, 31},
		{"grown", "grow", 32, 37},
		{"exvivo", "exvivo", 38, 45},
	}
	got := Tokens(text)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Tokens(%q)\n got %+v\nwant %+v", text, got, want)
	}
	var surfaces []string
	for _, tk := range got {
		surfaces = append(surfaces, text[tk.Start:tk.End])
	}
	if s := strings.Join(surfaces, "|"); s != "Patients|CAR–T|cells|HSCs|grown|ex vivo" {
		t.Errorf("surfaces %q", s)
	}
}

func TestContentStems(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"What is CAR-T therapy?", []string{"cart", "therapi"}},
		{"Can you tell me about my own cells? My own cells, please.", []string{"own", "cell"}},
		{"What happens after the infusion, not before?", []string{"happen", "after", "infus", "not", "before"}},
		{"cells from another donor, not my own", []string{"cell", "anoth", "donor", "not", "own"}},
		{"Is allogenic the same as allogeneic?", []string{"allogen"}},
		{"Tell me, what is it?", nil},
	}
	for _, tt := range tests {
		if got := ContentStems(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("ContentStems(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzTokens checks the tokeniser on any text: tokens lie in the text, in
// order, without overlap, each with a word and a stem; folding is stable.
func FuzzTokens(f *testing.F) {
	for _, s := range []string{"What is CAR-T therapy?", "T cells, ex vivo; HSCs’ CAR–Ts", "ﬁbrosis ＣＡＲ－Ｔ e\u0301", "don't 'quoted'", "\xff\xfeA B", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		prev := 0
		for _, tk := range Tokens(s) {
			if tk.Start < prev || tk.End <= tk.Start || tk.End > len(s) {
				t.Fatalf("Tokens(%q): bad offsets %+v after %d", s, tk, prev)
			}
			if !utf8.ValidString(s[tk.Start:tk.End]) && utf8.ValidString(s) {
				t.Fatalf("Tokens(%q): %+v cuts a rune", s, tk)
			}
			if tk.Word == "" || tk.Stem == "" {
				t.Fatalf("Tokens(%q): empty word or stem in %+v", s, tk)
			}
			if utf8.ValidString(s) && Normalize(tk.Word) != tk.Word {
				t.Fatalf("Tokens(%q): word %q not normalised", s, tk.Word)
			}
			prev = tk.End
		}
	})
}

// BenchmarkTokens is the analysis of one passage-sized text.
func BenchmarkTokens(b *testing.B) {
	text := strings.Repeat("CAR-T therapy uses the patient’s own T cells, grown ex vivo. HSCs come from a donor. ", 6)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Tokens(text)
	}
}
