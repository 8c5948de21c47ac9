package chat

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzNormalize checks the question normaliser that triage matches on: it
// never panics, yields valid UTF-8 without leading, trailing or doubled
// spaces and without curly quotes, and normalising twice changes nothing.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"What is CAR-T?", "  I have\ta FEVER\n\nsince my infusion ", "“Quoted” ‘single’ — dash",
		"ﬁbrosis ＣＡＲ－Ｔ", "\xff\xfe invalid", "İstanbul ǅ", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := normalize(s)
		if !utf8.ValidString(n) && utf8.ValidString(s) {
			t.Fatalf("normalize(%q) = %q: invalid UTF-8", s, n)
		}
		if strings.HasPrefix(n, " ") || strings.HasSuffix(n, " ") || strings.Contains(n, "  ") {
			t.Fatalf("normalize(%q) = %q: stray spaces", s, n)
		}
		if strings.ContainsAny(n, "“”‘’\t\n") {
			t.Fatalf("normalize(%q) = %q: curly quote or non-space white space left", s, n)
		}
		if utf8.ValidString(s) {
			if again := normalize(n); again != n {
				t.Fatalf("normalize not idempotent: %q -> %q -> %q", s, n, again)
			}
		}
	})
}
