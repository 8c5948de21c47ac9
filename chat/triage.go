package chat

import (
	_ "embed"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/cellchat/cellchat/internal/words"
	"gopkg.in/yaml.v3"
)

//go:embed rules.yaml
var defaultRules []byte

// rulesFile is the shape of rules.yaml.
type rulesFile struct {
	Contractions   map[string]string   `yaml:"contractions"`
	Lexicons       map[string][]string `yaml:"lexicons"`
	Order          []Kind              `yaml:"order"`
	Rules          []ruleSpec          `yaml:"rules"`
	Injection      []string            `yaml:"injection"`
	StripPrefix    []string            `yaml:"strip_prefix"`
	SentenceReject []string            `yaml:"sentence_reject"`
	Related        map[string][]string `yaml:"related"`
	Aspect         []string            `yaml:"aspect"`
	DecisionWords  []string            `yaml:"decision_words"`
	AspectWeight   float64             `yaml:"aspect_weight"`
	Messages       map[string]string   `yaml:"messages"`
	// AlarmWords are words whose misspellings triage reads as them, beside
	// those the symptom and state-verb lexicons are written with: the
	// words of the self-harm rules ("suicide", "kill", "life").
	AlarmWords []string `yaml:"alarm_words"`
}

type ruleSpec struct {
	Name       string   `yaml:"name"`
	Kind       Kind     `yaml:"kind"`
	Scope      string   `yaml:"scope"`   // sentence (default) or message
	Message    string   `yaml:"message"` // emergency: key under messages ("emergency."+Message)
	Reply      string   `yaml:"reply"`   // greeting, referral: key under messages (kind+"."+Reply)
	Any        []string `yaml:"any"`
	Unless     []string `yaml:"unless"`
	Overridden []string `yaml:"unless_overridden_by"`
	// Unless the sources say it: a no_answer rule that declines only when
	// the sources do not answer the question ("What email address can I
	// write to?" has an answer in a clinic's own handout).
	UnlessSourcesSay bool `yaml:"unless_sources_say"`
}

// rule is a compiled triage rule.
type rule struct {
	name       string
	kind       Kind
	message    string // key under messages for the reply text
	whole      bool   // match the whole message rather than each sentence
	any        []pattern
	unless     []pattern
	overridden []pattern
	// yields: a no_answer that stands only when the sources do not answer
	// (ruleSpec.UnlessSourcesSay).
	yields bool
}

// rules is the compiled rule set.
type rules struct {
	contractions   map[string]string
	contractionRe  *regexp.Regexp
	contractionsBy []string // the contractions, longest first, when expandContractions can expand them
	ordered        []rule   // in the order they are tried
	injection      []pattern
	stripPrefix    []pattern
	sentenceReject []pattern
	related        map[string][]string // stem -> related stems
	relatedWords   map[string][]string // stem -> related words, as written
	aspect         map[string]bool     // stems of aspect words
	decision       map[string]bool     // words of a decision, left out of a referral's background
	aspectWeight   float64
	messages       map[string]string
	// alarm is the words the symptom and state-verb lexicons are written
	// with: a misspelling of one ("siezure", "collasped", "haveing") is
	// read as that word before the rules are tried.
	alarm []string
}

// loadRules reads the rule file at path, or the built-in rules when path is "".
func loadRules(path string) (*rules, error) {
	data := defaultRules
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read rules: %w", err)
		}
		data = b
	}
	r, err := parseRules(data)
	if err != nil {
		name := path
		if name == "" {
			name = "built-in rules.yaml"
		}
		return nil, fmt.Errorf("rules %s: %w", name, err)
	}
	return r, nil
}

func parseRules(data []byte) (*rules, error) {
	var f rulesFile
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	lex := map[string]string{}
	for name, alts := range f.Lexicons {
		if len(alts) == 0 {
			return nil, fmt.Errorf("lexicon %q is empty", name)
		}
		lex[name] = "(?:" + strings.Join(alts, "|") + ")"
	}
	compile := func(where string, pats []string) ([]pattern, error) {
		var out []pattern
		for _, p := range pats {
			exp, err := expandLexicons(p, lex)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			re, err := regexp.Compile(exp)
			if err != nil {
				return nil, fmt.Errorf("%s: pattern %q: %w", where, p, err)
			}
			out = append(out, newPattern(re))
		}
		return out, nil
	}

	r := &rules{messages: f.Messages, related: map[string][]string{}, relatedWords: map[string][]string{},
		alarm: alarmWords(f.AlarmWords, f.Lexicons["symptom"], f.Lexicons["symptom_event"], f.Lexicons["state_verb"])}
	if len(f.Contractions) > 0 {
		var alts []string
		r.contractions = map[string]string{}
		for from, to := range f.Contractions {
			r.contractions[from] = to
			alts = append(alts, regexp.QuoteMeta(from))
		}
		sort.Slice(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
		r.contractionRe = regexp.MustCompile(`\b(?:` + strings.Join(alts, "|") + `)\b`)
		r.contractionsBy = contractionKeys(r.contractions)
	}

	order := map[Kind]int{}
	for i, k := range f.Order {
		order[k] = i + 1
	}
	byKind := map[Kind][]rule{}
	names := map[string]bool{}
	for i, s := range f.Rules {
		where := fmt.Sprintf("rule %d (%s)", i+1, s.Name)
		if s.Name == "" || names[s.Name] {
			return nil, fmt.Errorf("%s: missing or duplicate name", where)
		}
		names[s.Name] = true
		if order[s.Kind] == 0 {
			return nil, fmt.Errorf("%s: kind %q is not in order %v", where, s.Kind, f.Order)
		}
		if len(s.Any) == 0 {
			return nil, fmt.Errorf("%s: no patterns under any", where)
		}
		ru := rule{name: s.Name, kind: s.Kind, whole: s.Scope == "message", yields: s.UnlessSourcesSay && s.Kind == KindNoAnswer}
		switch s.Scope {
		case "", "sentence", "message":
		default:
			return nil, fmt.Errorf("%s: scope %q is neither sentence nor message", where, s.Scope)
		}
		switch {
		case s.Message != "":
			ru.message = string(s.Kind) + "." + s.Message
		case s.Reply != "":
			ru.message = string(s.Kind) + "." + s.Reply
		}
		if ru.message != "" && f.Messages[ru.message] == "" {
			return nil, fmt.Errorf("%s: no text under messages.%s", where, ru.message)
		}
		var err error
		if ru.any, err = compile(where, s.Any); err != nil {
			return nil, err
		}
		if ru.unless, err = compile(where, s.Unless); err != nil {
			return nil, err
		}
		if ru.overridden, err = compile(where, s.Overridden); err != nil {
			return nil, err
		}
		byKind[s.Kind] = append(byKind[s.Kind], ru)
	}
	for _, k := range f.Order {
		r.ordered = append(r.ordered, byKind[k]...)
	}
	var err error
	if r.injection, err = compile("injection", f.Injection); err != nil {
		return nil, err
	}
	if r.stripPrefix, err = compile("strip_prefix", f.StripPrefix); err != nil {
		return nil, err
	}
	if r.sentenceReject, err = compile("sentence_reject", f.SentenceReject); err != nil {
		return nil, err
	}
	// Two words may share a stem ("come", "came"): merged in the file's
	// sorted order, so every engine searches the same words in one order.
	for _, from := range slices.Sorted(maps.Keys(f.Related)) {
		key := words.Stem(strings.ToLower(from))
		for _, to := range f.Related[from] {
			r.related[key] = append(r.related[key], words.Stem(strings.ToLower(to)))
			r.relatedWords[key] = append(r.relatedWords[key], to)
		}
	}
	r.decision = map[string]bool{}
	for _, w := range f.DecisionWords {
		r.decision[strings.ToLower(w)] = true
	}
	r.aspect = map[string]bool{}
	for _, w := range f.Aspect {
		r.aspect[words.Stem(strings.ToLower(w))] = true
	}
	if f.AspectWeight < 0 || f.AspectWeight > 1 {
		return nil, fmt.Errorf("aspect_weight %v is not within 0..1", f.AspectWeight)
	}
	r.aspectWeight = f.AspectWeight
	for _, key := range []string{"no_answer", "referral.background"} {
		if f.Messages[key] == "" {
			return nil, fmt.Errorf("no text under messages.%s", key)
		}
	}
	return r, nil
}

var lexiconRef = regexp.MustCompile(`\{([a-z_]+)\}`)

// expandLexicons replaces {name} by the lexicon's alternatives. Regexp
// repetition counts such as {0,3} are left alone.
func expandLexicons(p string, lex map[string]string) (string, error) {
	var missing error
	out := lexiconRef.ReplaceAllStringFunc(p, func(m string) string {
		name := m[1 : len(m)-1]
		alt, ok := lex[name]
		if !ok {
			missing = errors.Join(missing, fmt.Errorf("unknown lexicon {%s} in %q", name, p))
			return m
		}
		return alt
	})
	return out, missing
}

// verdict is what triage decided about a question.
type verdict struct {
	rule      *rule // nil: no rule fired, answer from the sources
	injection bool  // the question tries to change the bot's instructions
}

// minAlarmWord is the shortest word of the symptom lexicons a misspelling
// is read as: shorter ones are one letter away from too many others
// ("fits", "fist"). Words listed under alarm_words are taken at any length.
const minAlarmWord = 5

// minMisspelt is the shortest word read as a misspelling ("kil", "lfe"):
// of fewer letters, nearly every string is one edit from some word.
const minMisspelt = 3

// alarmWords returns, sorted (spellAlarm searches them), the listed words
// and those of at least minAlarmWord letters that the symptom patterns are
// written with, each also without a plural "s".
func alarmWords(listed []string, lexicons ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range listed {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	for _, lex := range lexicons {
		for _, p := range lex {
			// \b, \w and \S are regexp syntax, not words.
			for _, w := range regexpWord.FindAllString(regexpEscape.ReplaceAllString(p, " "), -1) {
				for _, v := range []string{w, strings.TrimSuffix(w, "s")} {
					if len(v) >= minAlarmWord && !seen[v] {
						seen[v] = true
						out = append(out, v)
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

var (
	regexpEscape = regexp.MustCompile(`\\[a-zA-Z]`)
	regexpWord   = regexp.MustCompile(`[a-z]+`)
)

// spellAlarm reads a word that is no English word but within one edit of
// exactly one alarm word (two for long words) as that word: "my son is
// having a siezure" is an emergency however it is typed.
func (r *rules) spellAlarm(text string) string {
	return regexpWord.ReplaceAllStringFunc(text, func(w string) string {
		if _, known := slices.BinarySearch(r.alarm, w); known || len(w) < minMisspelt || words.IsEnglish(w) {
			return w
		}
		if a := r.nearestAlarm(w); a != "" {
			return a
		}
		return w
	})
}

// nearestAlarm is the one symptom word within one edit of w (two for
// long words), or "" when there is none or more than one.
func (r *rules) nearestAlarm(w string) string {
	limit := 1
	if len(w) >= 8 {
		limit = 2
	}
	best, bestD, ties := "", limit+1, 0
	for _, a := range r.alarm {
		switch d := words.EditDistance(w, a, limit); {
		case d < bestD:
			best, bestD, ties = a, d, 1
		case d == bestD:
			ties++
		}
	}
	if ties > 1 {
		return ""
	}
	return best
}

// triage applies the rules to a question.
func (r *rules) triage(question string) verdict {
	text := r.spellAlarm(r.prepare(question))
	sentences := clauses(text)
	var v verdict
	for _, re := range r.injection {
		if re.MatchString(text) {
			v.injection = true
			break
		}
	}
	for i := range r.ordered {
		ru := &r.ordered[i]
		if ru.whole {
			if ru.fires(text) {
				v.rule = ru
				return v
			}
			continue
		}
		for _, s := range sentences {
			if ru.fires(s) {
				v.rule = ru
				return v
			}
		}
	}
	return v
}

func (ru *rule) fires(s string) bool {
	if !matchAny(ru.any, s) {
		return false
	}
	if matchAny(ru.unless, s) && !matchAny(ru.overridden, s) {
		return false
	}
	return true
}

func matchAny(res []pattern, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// prepare normalises a question for the rules and expands contractions.
func (r *rules) prepare(question string) string {
	text := words.Normalize(question)
	if r.contractionRe == nil {
		return text
	}
	if r.contractionsBy != nil {
		return r.expandContractions(text)
	}
	return r.contractionRe.ReplaceAllStringFunc(text, func(m string) string { return r.contractions[m] })
}

// contractionKeys returns the contractions longest first, or nil when one
// does not begin and end with an ASCII word character, the only ones
// expandContractions handles like contractionRe.
func contractionKeys(c map[string]string) []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		if k == "" || !isWordByte(k[0]) || !isWordByte(k[len(k)-1]) {
			return nil
		}
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	return keys
}

// isWordByte is \w of Go's regexp: \b is a boundary between such a byte
// and anything else.
func isWordByte(b byte) bool {
	return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}

// expandContractions does what contractionRe.ReplaceAllStringFunc does,
// by one scan over the text: at each start of a word, the longest
// contraction found there that ends at a word boundary is replaced. The
// regexp (an alternation of some thirty words between \b) cost a third of
// triage.
func (r *rules) expandContractions(text string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(text); i++ {
		if !isWordByte(text[i]) || i > 0 && isWordByte(text[i-1]) {
			continue
		}
		for _, k := range r.contractionsBy {
			end := i + len(k)
			if strings.HasPrefix(text[i:], k) && (end == len(text) || !isWordByte(text[end])) {
				if b.Len() == 0 {
					b.Grow(len(text) + 16)
				}
				b.WriteString(text[last:i])
				b.WriteString(r.contractions[k])
				last = end
				i = end - 1
				break
			}
		}
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// clauses cuts normalised text into sentences for the sentence-scoped rules.
func clauses(text string) []string {
	parts := strings.FieldsFunc(text, func(r rune) bool {
		return r == '.' || r == '?' || r == '!' || r == ';' || r == '\n'
	})
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// retrievalQuery strips greetings and filler from the start of a question.
func (r *rules) retrievalQuery(question string) string {
	q := strings.TrimSpace(question)
	for _, re := range r.stripPrefix {
		lower := words.Normalize(q)
		if loc := re.FindStringIndex(lower); loc != nil && loc[0] == 0 && loc[1] < len(lower) {
			// normalize keeps the byte length for ASCII; fall back to the
			// original for anything else.
			if len(lower) == len(q) {
				q = strings.TrimSpace(q[loc[1]:])
			}
		}
	}
	return q
}

// rejectSentence says whether a source sentence is a link, call to action or
// other text that must not be quoted as an answer.
func (r *rules) rejectSentence(lower string) bool {
	return matchAny(r.sentenceReject, lower)
}

// stripInjection removes instructions aimed at the bot ("ignore your
// instructions and") from a question, leaving what it asks about.
func (r *rules) stripInjection(q string) string {
	if !matchAny(r.injection, words.Normalize(q)) {
		return q
	}
	// The patterns match normalised text; the searcher and scorer
	// lower-case anyway.
	q = words.Normalize(q)
	for _, re := range r.injection {
		q = re.ReplaceAllString(q, " ")
	}
	return strings.Join(strings.Fields(q), " ")
}

// withoutDecision drops the words of a decision from a question, leaving
// what it is about: "Can I stop my immunosuppressants?" -> "Can I my
// immunosuppressants?".
func (r *rules) withoutDecision(q string) string {
	var keep []string
	for _, w := range strings.Fields(q) {
		if !r.decision[strings.ToLower(strings.Trim(w, ".,;:!?\"'()"))] {
			keep = append(keep, w)
		}
	}
	return strings.Join(keep, " ")
}
