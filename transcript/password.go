package transcript

import (
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// PasswordCost is the bcrypt cost of new password hashes; a hash of a
// lower cost is rehashed at this cost on its next successful sign-in.
const PasswordCost = 12

//go:embed commonpasswords.txt
var commonPasswordsText string

// commonPasswords is shipped with the binary: the check must work offline
// and cannot depend on a list fetched at run time.
var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordsText, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	return m
}()

// sequences are runs people type as passwords: in order, or along the
// keyboard; each is checked forwards and backwards.
var sequences = []string{
	"01234567890123456789",
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
	"qwertyuiopasdfghjklzxcvbnm",
	"qwertzuiopasdfghjklyxcvbnm",
	"azertyuiopqsdfghjklmwxcvbn",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
	"zaq1xsw2cde3vfr4bgt5nhy6mju7",
	"1q2w3e4r5t6y7u8i9o0p",
	"qweasdzxc",
	"!@#$%^&*()",
}

// CheckPassword refuses passwords that are easy to guess: too short or
// too long for bcrypt, common ones (also with digits or symbols added),
// repeated characters or patterns, and runs along the keyboard.
func CheckPassword(password string) error {
	if len([]rune(password)) < MinPasswordLength {
		return fmt.Errorf("password too short: at least %d characters", MinPasswordLength)
	}
	if len(password) > 72 {
		return errors.New("password too long: at most 72 bytes (bcrypt)")
	}
	return checkGuessable(password)
}

func checkGuessable(password string) error {
	lower := strings.ToLower(password)
	distinct := map[rune]bool{}
	for _, r := range lower {
		distinct[r] = true
	}
	if len(distinct) < 5 {
		return errors.New("password too easy to guess: it repeats a few characters; use a few unrelated words")
	}
	if unit := repeatedUnit(lower); unit != "" && (len([]rune(unit)) < MinPasswordLength || checkGuessable(unit) != nil) {
		return errors.New("password too easy to guess: it repeats a short pattern; use a few unrelated words")
	}
	for _, seq := range sequences {
		if strings.Contains(seq, lower) || strings.Contains(reverse(seq), lower) {
			return errors.New("password too easy to guess: it is a run of keys or letters; use a few unrelated words")
		}
	}
	for _, c := range commonCandidates(lower) {
		if commonPasswords[c] {
			return errors.New("password too easy to guess: it is a common password; use a few unrelated words")
		}
	}
	return nil
}

// commonCandidates is the password as it might appear in the list: with
// digits and symbols around it removed, spaces removed, and the usual
// letter-for-digit swaps undone.
func commonCandidates(lower string) []string {
	notLetter := func(r rune) bool { return !unicode.IsLetter(r) }
	out := []string{lower, strings.ReplaceAll(lower, " ", "")}
	if core := strings.TrimFunc(lower, notLetter); core != "" {
		out = append(out, core, strings.ReplaceAll(core, " ", ""))
	}
	unleet := strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s", "!", "i")
	for _, c := range out[:len(out):len(out)] {
		u := unleet.Replace(c)
		out = append(out, u, strings.TrimFunc(u, notLetter), strings.ReplaceAll(u, "1", "l"))
	}
	return out
}

// repeatedUnit returns the shortest string that s is two or more copies
// of, or "" if there is none.
func repeatedUnit(s string) string {
	r := []rune(s)
	for n := 1; n <= len(r)/2; n++ {
		if len(r)%n != 0 {
			continue
		}
		if strings.Repeat(string(r[:n]), len(r)/n) == s {
			return string(r[:n])
		}
	}
	return ""
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
