package transcript

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRedact: redaction never panics, never leaves an e-mail address or a
// run of 9+ digits other than a round amount, keeps valid UTF-8 valid, and is stable when applied twice.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{
		"email me at jane.doe+x@example.co.uk please", "call 555-123-4567", "+44 20 7946 0958", "SSN 123-45-6789",
		"MRN12345678", "CD19 at age 45, 2 mg", "a@b.c", "@@@..", "1-2-3-4-5-6-7-8-9", "((555)) 123 4567", "ünï@cödé.org 𝟙𝟚𝟛𝟜𝟝𝟞𝟟",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Redact(s)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("Redact(%q) = %q: invalid UTF-8", s, out)
		}
		if emailRe.MatchString(out) {
			t.Fatalf("Redact(%q) = %q still holds an e-mail address", s, out)
		}
		// Round amounts ("100000000 cells") are kept on purpose.
		for _, run := range regexp.MustCompile(`\d{9,}`).FindAllString(out, -1) {
			if !strings.HasSuffix(run, "000") {
				t.Fatalf("Redact(%q) = %q still holds a long number", s, out)
			}
		}
		if again := Redact(out); again != out && !strings.Contains(out, "[") {
			t.Fatalf("Redact not stable: %q -> %q -> %q", s, out, again)
		}
	})
}
