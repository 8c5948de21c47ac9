package transcript

import "regexp"

// What Redact replaces, most specific first: an e-mail address before the
// digits inside it, a phone number before a bare run of digits.
var redactions = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?i)[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}`), "[email]"},
	// US social security numbers and the like: 3-2-4 digits.
	{regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`), "[id]"},
	// Phone numbers: optional +country code, then groups of digits split by
	// spaces, dots, dashes or brackets, 7 digits or more in all.
	{regexp.MustCompile(`(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{1,4}\)[\s.\-]?)?\d{2,4}(?:[\s.\-]\d{2,4}){1,4}\b`), "[phone]"},
	// Medical record, insurance and other ID numbers: a long run of digits,
	// possibly with a letter prefix (e.g. MRN12345678).
	{regexp.MustCompile(`(?i)\b[a-z]{0,3}\d{7,}\b`), "[id]"},
	// Any other run of 7+ digits, e.g. inside a longer token ("pt0012345678x").
	{regexp.MustCompile(`\d{7,}`), "[id]"},
}

// Redact replaces e-mail addresses, phone numbers and long identifying
// numbers in s with placeholders such as [email], [phone] and [id]. Short
// numbers (ages, doses, years, "CD19") are kept: questions need them.
func Redact(s string) string {
	for _, r := range redactions {
		s = r.re.ReplaceAllStringFunc(s, func(m string) string {
			if r.with == "[phone]" && countDigits(m) < 7 {
				return m
			}
			return r.with
		})
	}
	return s
}

func countDigits(s string) int {
	n := 0
	for _, c := range s {
		if c >= '0' && c <= '9' {
			n++
		}
	}
	return n
}
