package corpus

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/andybalholm/cascadia"
	"gopkg.in/yaml.v3"
)

// ManifestName is the manifest's file name inside a corpus directory.
const ManifestName = "sources.yaml"

// furnitureYAML holds the generic page-furniture rules every document gets.
// They are data, not code, so a new kind of boilerplate is one line of YAML.
//
//go:embed furniture.yaml
var furnitureYAML []byte

// cleaning is a set of furniture rules. The same shape is used by the
// embedded furniture.yaml, by sources.yaml's `defaults:` and by each
// document entry, and the three are combined.
type cleaning struct {
	HTMLPrune    []string `yaml:"html_prune"`    // CSS selectors removed before HTML extraction
	EndAt        []string `yaml:"end_at"`        // a block matching ends the article (it is dropped too)
	DropSections []string `yaml:"drop_sections"` // headings whose whole section is dropped
	DropLines    []string `yaml:"drop_lines"`    // single blocks dropped wherever they are
}

// source is one document entry of sources.yaml.
type source struct {
	ID        string `yaml:"id"`
	Title     string `yaml:"title"`
	Publisher string `yaml:"publisher"`
	URL       string `yaml:"url"`
	Reviewed  string `yaml:"reviewed"`
	// ReviewEvery is how many months after Reviewed the document is due
	// for review again (0: no schedule).
	ReviewEvery int `yaml:"review_every"`
	// StartAfter drops everything up to and including the first block
	// matching it (a service header above the article).
	StartAfter string `yaml:"start_after"`
	// EndBefore drops the first block matching it and everything after
	// (a sign-off or link list below the article).
	EndBefore string `yaml:"end_before"`
	cleaning  `yaml:",inline"`
}

// manifest is sources.yaml.
type manifest struct {
	// Ignore lists glob patterns (path.Match, on the file name) of files in
	// the corpus directory that are not documents, e.g. "*.go".
	Ignore []string `yaml:"ignore"`
	// Covers says what the sources cover, in a patient's words, for the
	// reply to a question they do not answer ("cell therapy: CAR-T, stem
	// cell transplants, ..."). Empty: the documents' titles say it.
	Covers    string   `yaml:"covers"`
	Defaults  cleaning `yaml:"defaults"`
	Documents []source `yaml:"documents"`
}

// maxReviewMonths bounds review_every: a schedule longer than ten years is
// a typo (days or weeks written as months).
const maxReviewMonths = 120

// rules is a compiled cleaning set.
type rules struct {
	prune        []pruneRule
	startAfter   *rule
	endBefore    *rule
	endAt        []rule
	dropSections []rule
	dropLines    []rule
}

// rule is one compiled pattern with the name it is reported by when it
// drops a paragraph ("furniture.yaml drop_lines `^share$`"). generic rules
// come from furniture.yaml and are written for web pages nobody here saw:
// they drop only what is shaped like furniture (see clean.go), while a
// manifest's rules are the operator's word and apply as written.
type rule struct {
	re      *regexp.Regexp
	name    string
	generic bool
}

// pruneRule is one html_prune selector.
type pruneRule struct {
	sel  cascadia.Matcher
	name string
}

// decodeStrict decodes YAML rejecting unknown keys, so a typo in a rule name
// is an error instead of a rule silently not applied.
func decodeStrict(data []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty document
		}
		return err
	}
	return nil
}

// parseManifest decodes and validates sources.yaml. Structural problems
// (syntax, unknown keys, bad patterns or dates) make the whole manifest
// unusable; duplicate ids are returned as entry errors beside the entries
// that are fine (the first entry of an id wins).
func parseManifest(data []byte) (*manifest, []error, error) {
	var m manifest
	if err := decodeStrict(data, &m); err != nil {
		return nil, nil, err
	}
	var problems []error
	for _, g := range m.Ignore {
		if _, err := path.Match(g, "x"); err != nil {
			problems = append(problems, fmt.Errorf("ignore pattern %q: %w", g, err))
		}
	}
	if err := m.Defaults.validate(); err != nil {
		problems = append(problems, fmt.Errorf("defaults: %w", err))
	}
	var entryErrs []error
	seen := map[string]bool{}
	docs := m.Documents[:0]
	for i, s := range m.Documents {
		where := fmt.Sprintf("documents[%d] (id %q)", i, s.ID)
		switch {
		case s.ID == "":
			problems = append(problems, fmt.Errorf("%s: id is required", where))
			continue
		case !validID(s.ID):
			problems = append(problems, fmt.Errorf("%s: id must be a file's path below the corpus folder without its extension (folders joined by /)", where))
			continue
		}
		if s.Reviewed != "" {
			if _, err := time.Parse(time.DateOnly, s.Reviewed); err != nil {
				problems = append(problems, fmt.Errorf("%s: reviewed %q is not YYYY-MM-DD", where, s.Reviewed))
			}
		}
		if s.ReviewEvery < 0 || s.ReviewEvery > maxReviewMonths {
			problems = append(problems, fmt.Errorf("%s: review_every %d: want a number of months from 1 to %d (or leave it out)", where, s.ReviewEvery, maxReviewMonths))
		}
		if s.ReviewEvery > 0 && s.Reviewed == "" {
			problems = append(problems, fmt.Errorf("%s: review_every needs reviewed, the date of the last review", where))
		}
		if err := checkURL(s.URL); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", where, err))
		}
		for _, f := range []struct{ name, value string }{{"title", s.Title}, {"publisher", s.Publisher}} {
			if tagOpening.MatchString(f.value) {
				problems = append(problems, fmt.Errorf("%s: %s %q contains markup (a tag): write it as plain text", where, f.name, f.value))
			}
		}
		if err := s.cleaning.validate(); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", where, err))
		}
		for _, p := range []string{s.StartAfter, s.EndBefore} {
			if p == "" {
				continue
			}
			if _, err := compilePattern(p); err != nil {
				problems = append(problems, fmt.Errorf("%s: %w", where, err))
			}
		}
		if seen[s.ID] {
			entryErrs = append(entryErrs, fmt.Errorf("%s: duplicate document id %q in %s (the first entry is used)", where, s.ID, ManifestName))
			continue
		}
		seen[s.ID] = true
		docs = append(docs, s)
	}
	if len(problems) > 0 {
		return nil, nil, errors.Join(problems...)
	}
	m.Documents = docs
	return &m, entryErrs, nil
}

// checkURL accepts an empty url or an absolute http(s) one. The url is
// sent to clients as a link to the source; any other scheme (javascript:,
// data:) or a relative one would be followed in the widget's or a third
// party's page, and quotes or spaces could break out of an attribute.
func checkURL(raw string) error {
	if raw == "" {
		return nil
	}
	bad := fmt.Errorf("url %q is not an http(s) URL (want https://host/path)", raw)
	if strings.ContainsFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune(`"'<>\`+"`", r) }) {
		return bad
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" || u.User != nil {
		return bad
	}
	return nil
}

func (c cleaning) validate() error {
	var errs []error
	for _, sel := range c.HTMLPrune {
		if _, err := cascadia.ParseGroup(sel); err != nil {
			errs = append(errs, fmt.Errorf("html_prune %q: %w", sel, err))
		}
	}
	for _, list := range [][]string{c.EndAt, c.DropSections, c.DropLines} {
		for _, p := range list {
			if _, err := compilePattern(p); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func compilePattern(p string) (*regexp.Regexp, error) {
	re, err := regexp.Compile("(?i)" + p)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", p, err)
	}
	return re, nil
}

// compileRuleList compiles validated patterns, naming each by where it
// was written and which list it is in.
func compileRuleList(origin, list string, ps []string, generic bool) []rule {
	out := make([]rule, 0, len(ps))
	for _, p := range ps {
		re, err := compilePattern(p)
		if err != nil {
			panic(err) // validated before
		}
		out = append(out, rule{re: re, name: fmt.Sprintf("%s %s `%s`", origin, list, p), generic: generic})
	}
	return out
}

// genericFurniture is the embedded furniture.yaml, parsed once.
var genericFurniture = func() cleaning {
	var c cleaning
	if err := decodeStrict(furnitureYAML, &c); err != nil {
		panic(fmt.Sprintf("corpus: embedded furniture.yaml: %v", err))
	}
	if err := c.validate(); err != nil {
		panic(fmt.Sprintf("corpus: embedded furniture.yaml: %v", err))
	}
	return c
}()

// genericRules are the compiled generic rules, shared by every load.
var genericRules = compileCleaning(genericFurniture, "furniture.yaml", true)

func compileCleaning(c cleaning, origin string, generic bool) *rules {
	r := &rules{
		endAt:        compileRuleList(origin, "end_at", c.EndAt, generic),
		dropSections: compileRuleList(origin, "drop_sections", c.DropSections, generic),
		dropLines:    compileRuleList(origin, "drop_lines", c.DropLines, generic),
	}
	for _, sel := range c.HTMLPrune {
		g, err := cascadia.ParseGroup(sel)
		if err != nil {
			panic(err) // validated before
		}
		r.prune = append(r.prune, pruneRule{sel: g, name: fmt.Sprintf("%s html_prune `%s`", origin, sel)})
	}
	return r
}

// with returns r extended by more rules written in origin (r is not
// modified, so compiled rule sets can be shared).
func (r *rules) with(c cleaning, origin string) *rules {
	if len(c.HTMLPrune)+len(c.EndAt)+len(c.DropSections)+len(c.DropLines) == 0 {
		return r
	}
	more := compileCleaning(c, origin, false)
	return &rules{
		prune:        concat(r.prune, more.prune),
		startAfter:   r.startAfter,
		endBefore:    r.endBefore,
		endAt:        concat(r.endAt, more.endAt),
		dropSections: concat(r.dropSections, more.dropSections),
		dropLines:    concat(r.dropLines, more.dropLines),
	}
}

// concat appends b to a copy of a, so a shared rule list is never written.
func concat[T any](a, b []T) []T {
	return append(a[:len(a):len(a)], b...)
}

// withDefaults adds the manifest's corpus-wide rules.
func (r *rules) withDefaults(c cleaning) *rules {
	return r.with(c, ManifestName+" defaults")
}

// forDocument adds a document's own rules to base (generic plus the
// manifest's defaults). All patterns were validated by parseManifest.
func (r *rules) forDocument(s source) *rules {
	origin := fmt.Sprintf("%s %s", ManifestName, s.ID)
	out := r.with(s.cleaning, origin)
	if s.StartAfter == "" && s.EndBefore == "" {
		return out
	}
	cp := *out
	if s.StartAfter != "" {
		cp.startAfter = &compileRuleList(origin, "start_after", []string{s.StartAfter}, false)[0]
	}
	if s.EndBefore != "" {
		cp.endBefore = &compileRuleList(origin, "end_before", []string{s.EndBefore}, false)[0]
	}
	return &cp
}

// compileRules merges the generic, corpus-wide and per-document rules.
func compileRules(defaults cleaning, s source) *rules {
	return genericRules.withDefaults(defaults).forDocument(s)
}

// ignored reports whether a file or folder (by its path relative to the
// corpus directory, with "/") is not a document: hidden ones, the manifest
// itself and what the manifest's ignore globs match, by name or by path.
func (m *manifest) ignored(rel string) bool {
	name := path.Base(rel)
	if strings.HasPrefix(name, ".") || rel == ManifestName {
		return true
	}
	for _, g := range m.Ignore {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
		if ok, _ := path.Match(g, rel); ok {
			return true
		}
	}
	return false
}

// validID reports whether id can name a document: a file's path below the
// corpus directory without its extension, folders joined by "/".
func validID(id string) bool {
	if strings.ContainsRune(id, '\\') || strings.TrimSpace(id) != id {
		return false
	}
	for _, part := range strings.Split(id, "/") {
		if part == "" || part == "." || part == ".." || strings.TrimSpace(part) != part {
			return false
		}
	}
	return true
}
