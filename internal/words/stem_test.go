package words

import "testing"

func TestStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"therapies", "therapi"},
		{"therapy", "therapi"},
		{"cells", "cell"},
		{"conditioning", "conditioning"}, // the treatment, not an illness
		{"conditioned", "conditioning"},
		{"conditions", "condit"},
		{"grown", "grow"}, // wordforms.yaml
		{"growth", "grow"},
		{"storage", "store"},
		{"stored", "store"},
		{"children", "child"},
		{"men", "man"},
		{"donation", "donor"},
		{"cd19", "cd19"}, // digits: left alone
		{"1990s", "1990s"},
		{"cart", "cart"},
		{"don't", "don't"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Stem(tt.in); got != tt.want {
			t.Errorf("Stem(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Stem(tt.in); got != tt.want { // from the cache
			t.Errorf("Stem(%q) again = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Every word form maps to a different word, and its base is not itself a
// form (a chain would make the result depend on the order of lookups).
func TestWordForms(t *testing.T) {
	if len(wordForms) < 20 {
		t.Fatalf("only %d word forms loaded", len(wordForms))
	}
	for form, base := range wordForms {
		if form == base || base == "" {
			t.Errorf("word form %q -> %q", form, base)
		}
		if _, ok := wordForms[base]; ok {
			t.Errorf("word form %q -> %q, which is itself a form", form, base)
		}
		if toks := Tokens(form); len(toks) != 1 || toks[0].Word != form {
			t.Errorf("word form %q is not one word as Tokens gives it: %+v", form, toks)
		}
	}
}
