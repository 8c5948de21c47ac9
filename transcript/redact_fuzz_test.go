package transcript

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRedact: redaction never panics, never leaves an e-mail address or a
// run of 9+ digits, keeps valid UTF-8 valid, and is stable when applied twice.
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
		if redactions[0].re.MatchString(out) {
			t.Fatalf("Redact(%q) = %q still holds an e-mail address", s, out)
		}
		run := 0
		for _, c := range out {
			if c >= '0' && c <= '9' {
				run++
				if run >= 9 {
					t.Fatalf("Redact(%q) = %q still holds a long number", s, out)
				}
			} else {
				run = 0
			}
		}
		if again := Redact(out); again != out && !strings.Contains(out, "[") {
			t.Fatalf("Redact not stable: %q -> %q -> %q", s, out, again)
		}
	})
}
