package words

import "testing"

func TestIsEnglish(t *testing.T) {
	for w, want := range map[string]bool{
		"liver": true, "saying": true, "multiply": true, "leukaemia": true, "leukemia": true,
		"lukemia": false, "autologus": false, "efects": false, "evry": false, "": false,
	} {
		if got := IsEnglish(w); got != want {
			t.Errorf("IsEnglish(%q) = %v, want %v", w, got, want)
		}
	}
}

func BenchmarkIsEnglish(b *testing.B) {
	IsEnglish("warm")
	for i := 0; i < b.N; i++ {
		IsEnglish("leukaferesis")
	}
}

func TestAmericanSpellings(t *testing.T) {
	for british, american := range map[string]string{
		"leukaemia": "leukemia", "haematopoietic": "hematopoietic", "tumour": "tumor",
		"oedema": "edema", "centre": "center", "specialised": "specialized",
	} {
		found := false
		for _, v := range AmericanSpellings(british) {
			found = found || v == american
		}
		if !found {
			t.Errorf("AmericanSpellings(%q) = %q, lacks %q", british, AmericanSpellings(british), american)
		}
	}
}
