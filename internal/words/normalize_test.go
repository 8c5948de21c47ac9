package words

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"  What is CAR-T?  ", "what is car-t?"},
		{"I have\ta FEVER\n\nsince my infusion ", "i have a fever since my infusion"},
		{"the patient\u2019s own cells", "the patient's own cells"},
		{"\u201cmatched\u201d donor \u201Elow\u201C", `"matched" donor "low"`},
		{"CAR\u2013T and CAR\u2014T and CAR\u2011T, \u22125", "car-t and car-t and car-t, -5"},
		{"\uFF23\uFF21\uFF32\uFF0D\uFF34 cells", "car-t cells"}, // full width
		{"\uFB01nd a donor", "find a donor"},                    // ligature
		{"Y\u030A", "\u1E99"},                                   // composes only once lower case
		{"\u00A0non-breaking\u2003space\u00A0", "non-breaking space"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzNormalize checks the normaliser everything is compared in: it never
// panics, yields valid UTF-8 without leading, trailing or doubled spaces
// and without curly quotes or dashes, and normalising twice changes nothing.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"What is CAR-T?", "  I have\ta FEVER\n\nsince my infusion ", "“Quoted” ‘single’ — dash",
		"ﬁbrosis ＣＡＲ－Ｔ", "\xff\xfe invalid", "İstanbul ǅ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if !utf8.ValidString(n) && utf8.ValidString(s) {
			t.Fatalf("Normalize(%q) = %q: invalid UTF-8", s, n)
		}
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Fatalf("Normalize(%q) = %q: stray spaces", s, n)
		}
		if strings.ContainsAny(n, "“”‘’–—\t\n") {
			t.Fatalf("Normalize(%q) = %q: curly quote, dash or non-space white space left", s, n)
		}
		if utf8.ValidString(s) {
			if again := Normalize(n); again != n {
				t.Fatalf("Normalize not idempotent: %q -> %q -> %q", s, n, again)
			}
		}
	})
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Call ５５５－１２３", "Call 555-123"},
		{"555\u200b123\u200c45\u200d67\u2060", "5551234567"},
		{"jane\u00ad@example.com\ufeff", "jane@example.com"},
		{"07700\u00a0900123", "07700 900123"},
		{"555\u2013123\u2014 4567", "555-123- 4567"},
		{"jane＠ＥＸＡＭＰＬＥ.com", "jane@EXAMPLE.com"},
		{"\u200fRTL mark", "RTL mark"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
