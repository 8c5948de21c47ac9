package transcript

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cellchat/cellchat/internal/words"
)

// Address parts: letters and digits of any script, as internationalised
// addresses (jané@exämple.com) have them.
const (
	emailLocal = `[\p{L}\p{M}\p{N}._%+\-]+`
	emailLabel = `[\p{L}\p{M}\p{N}\-]+`
	// An "at" or "dot" written out to get past address filters: in
	// brackets ([at], (dot)) or as a word between spaces.
	spelledAt  = `(?:\s*[\[\(\{<]\s*at\s*[\]\)\}>]\s*|\s+at\s+)`
	spelledDot = `(?:\s*[\[\(\{<]\s*dot\s*[\]\)\}>]\s*|\s+dot\s+|\.)`
	// Domain endings accepted after a written-out "at": the common ones,
	// since a free ending would take "look at the dot on" for an address.
	spelledTLD = `(?:com|org|net|edu|gov|mil|info|biz|io|co|uk|us|ca|au|nz|ie|de|fr|nl|dk|se|no|fi|es|it|ch|be|at|pl|pt|in|jp|cn|ru|br|mx|me|health)`
)

var (
	emailRe   = regexp.MustCompile(emailLocal + `\s?@\s?` + emailLabel + `(?:\.` + emailLabel + `)*\.\p{L}{2,}`)
	spelledRe = regexp.MustCompile(`(?i)` + emailLocal + spelledAt + emailLabel + `(?:` + spelledDot + emailLabel + `)*` + spelledDot + spelledTLD + `\b`)
	// A written-out "dot" or a bracketed "at": what tells an address from
	// "treated at mayoclinic.org".
	obfuscated = regexp.MustCompile(`(?i)[\[\(\{<]\s*at\s*[\]\)\}>]|(?:\s|[\[\(\{<])dot(?:\s|[\]\)\}>])`)

	ssnRe = regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`)
	// A run of digit groups joined by what people put between them:
	// spaces, dots, dashes, slashes, brackets, and spaces around those.
	phoneRe = regexp.MustCompile(`(?:\+\s?)?\(?\d+(?:(?:\s*[.\-/]\s*|\s+|\s*\(\s*|\s*\)\s*)\d+)*`)
	// Medical record, insurance and other ID numbers: a long run of
	// digits, possibly with a letter prefix (e.g. MRN12345678).
	idRe = regexp.MustCompile(`(?i)\b[a-z]{0,3}\d{7,}\b`)
	// Any other run of 7+ digits, e.g. inside a longer token ("pt0012345678x").
	digitsRe = regexp.MustCompile(`\d{7,}`)

	dateRe      = regexp.MustCompile(`^(?:\d{1,2}\s*([./\-])\s*\d{1,2}\s*([./\-])\s*(?:\d{2}|\d{4})|\d{4}\s*([./\-])\s*\d{1,2}\s*([./\-])\s*\d{1,2})$`)
	yearRangeRe = regexp.MustCompile(`^(?:19|20)\d\d\s*[\-/ ]\s*(?:19|20)\d\d$`)
)

// quantityWords after a number make it an amount, not an identifier:
// "2 000 000 cells", "1000000 per kg".
var quantityWords = map[string]bool{
	"cells": true, "cell": true, "copies": true, "per": true, "platelets": true, "units": true,
	"iu": true, "mg": true, "mcg": true, "ml": true, "kg": true, "g": true, "l": true, "ul": true,
	"µl": true, "μl": true, "mm": true, "mm3": true, "dollars": true, "usd": true, "eur": true,
	"euros": true, "pounds": true, "gbp": true, "kr": true, "dkk": true, "people": true, "patients": true,
}

// Redact replaces e-mail addresses, phone numbers and long identifying
// numbers in s with placeholders such as [email], [phone] and [id]. Short
// numbers (ages, doses, years, "CD19"), dates, year ranges and amounts
// ("2 000 000 cells", "$475,000") are kept: questions need them.
//
// Matching runs on s folded (NFKC, format characters dropped), since
// full-width digits or a zero-width space inside a number are how an
// identifier slips past a pattern. A text with something redacted is
// stored folded; one without is stored as written.
func Redact(s string) string {
	folded := words.Fold(s)
	out := redactFolded(folded)
	if out == folded {
		return s
	}
	return out
}

func redactFolded(s string) string {
	s = emailRe.ReplaceAllString(s, "[email]")
	s = spelledRe.ReplaceAllStringFunc(s, func(m string) string {
		if !obfuscated.MatchString(m) {
			return m
		}
		return "[email]"
	})
	s = ssnRe.ReplaceAllString(s, "[id]")
	s = replaceNumbers(s, phoneRe, func(m string) string {
		n := countDigits(m)
		switch {
		case n < 7 || !strings.ContainsAny(m, " ./-()+") || dateRe.MatchString(m) || yearRangeRe.MatchString(m):
			return ""
		case n > 15:
			return "[id]" // longer than any phone number: a card or account
		}
		return "[phone]"
	})
	for _, re := range []*regexp.Regexp{idRe, digitsRe} {
		s = replaceNumbers(s, re, func(string) string { return "[id]" })
	}
	return s
}

// replaceNumbers replaces each match of re by what with returns for it
// ("" keeps it), except amounts.
func replaceNumbers(s string, re *regexp.Regexp, with func(string) string) string {
	var b strings.Builder
	last := 0
	for _, loc := range re.FindAllStringIndex(s, -1) {
		m := s[loc[0]:loc[1]]
		if isAmount(m, s[:loc[0]], s[loc[1]:]) {
			continue
		}
		r := with(m)
		if r == "" {
			continue
		}
		b.WriteString(s[last:loc[0]])
		b.WriteString(r)
		last = loc[1]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// isAmount: a round number (ending in 000, as amounts of cells or money
// are and identifiers seldom are) after a currency sign or before a
// quantity word.
func isAmount(m, before, after string) bool {
	if !strings.HasSuffix(strings.TrimRight(m, " "), "000") {
		return false
	}
	before = strings.TrimRight(before, " ")
	if r, _ := utf8.DecodeLastRuneInString(before); unicode.Is(unicode.Sc, r) {
		return true
	}
	after = strings.TrimLeft(after, " ")
	end := strings.IndexFunc(after, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if end < 0 {
		end = len(after)
	}
	return quantityWords[strings.ToLower(after[:end])]
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
