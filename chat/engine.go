package chat

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/internal/words"
	"github.com/cellchat/cellchat/retrieval"
	"github.com/tmc/langchaingo/llms"
)

// Searcher ranks corpus passages for a query; *retrieval.Index is one.
type Searcher interface {
	Search(ctx context.Context, query string, k int) ([]retrieval.Passage, error)
}

// Expander returns the synonyms of the lay terms in a text;
// *retrieval.Lexicon is one.
type Expander interface {
	Expand(text string) []string
}

// Defaults of Config.
const (
	DefaultDisclaimer = "This is general information from patient-education sources, not medical advice. " +
		"Always talk to your doctor or care team about your own situation, and call them or emergency services if you feel unwell."
	DefaultEmergencyNumber = "911 (or your local emergency number)"
	DefaultCrisisLine      = "988, the Suicide & Crisis Lifeline (call or text)"
	DefaultCareTeam        = "your care team's 24-hour phone number"
	// DefaultMinConfidence is the no-answer threshold: below it, the best
	// passage covers too little of the question's weight to answer from.
	// Calibrated by TestCalibrateNoAnswerThreshold, which sweeps it over the
	// questions of the tuning sets that reach retrieval (figures in
	// docs/answers.md). It sits inside the plateau of best balanced
	// accuracy rather than at its lower edge: unseen wording lowers an
	// answerable question's confidence more often than it raises an
	// unanswerable one's.
	DefaultMinConfidence   = 0.5
	DefaultTopK            = 5
	DefaultMaxSentences    = 4
	DefaultHistoryTurns    = 3
	DefaultMaxQuestionLen  = 2000
	DefaultLLMTimeout      = 60 * time.Second
	DefaultLLMStallTimeout = 15 * time.Second
)

// Config configures an Engine. Zero values mean the built-in defaults.
type Config struct {
	Disclaimer    string // consult-your-clinician text on every reply
	CorpusVersion string

	// Chunks are the corpus's passages: the abbreviations they define, and,
	// when the searcher does not report its own (TermCounter), the word
	// statistics that weigh question words (rare words weigh most) and
	// correct misspellings. Without either every word weighs the same.
	Chunks []corpus.Chunk
	// RulesPath replaces the built-in triage rules and lexicons (rules.yaml).
	RulesPath string
	// Lexicon, if set, gives synonyms of lay terms (the retrieval
	// package's corpus/lexicon.yaml): a passage saying "chemotherapy"
	// covers a question saying "chemo". The Engine caches its
	// expansions: it must give the same for the same words all along.
	Lexicon Expander

	TopK int // passages an answer draws on
	// ReportK is how many ranked passages a reply reports in Retrieved;
	// at least TopK, the default. Evaluation asks for 10 (its mrr looks
	// at the top 10); a server keeps TopK, as every reported passage is
	// written to the transcript log.
	ReportK       int
	MinConfidence float64 // no-answer threshold on Reply.Confidence; < 0 answers whatever is found
	MaxSentences  int     // sentences in an extractive answer, 2..5
	HistoryTurns  int     // earlier turns a follow-up may draw on
	// MaxQuestionLen is the longest question accepted, in characters.
	MaxQuestionLen int

	// The emergency message: EmergencyText replaces it whole; otherwise the
	// rules' messages are filled with these.
	EmergencyText   string
	EmergencyNumber string
	CrisisLine      string
	CareTeamPhone   string // e.g. "the transplant unit on 555-0100"

	// Covers is what the sources cover, for the reply to a question they
	// do not answer ("I can help with questions about {covers}"): the
	// corpus manifest's `covers`, else its titles (corpus.Corpus.Topics).
	// Empty: the titles of the Chunks' documents.
	Covers string

	// LLM, when set, generates answers from the retrieved passages (see
	// generate.go); LLMName names it in Reply.Mode ("llm:<name>").
	LLM             llms.Model
	LLMName         string
	LLMTimeout      time.Duration // whole generation
	LLMStallTimeout time.Duration // longest wait for the next streamed token
	// MinSupport is the share of a generated sentence's content words the
	// passages it cites must hold (see support.go), above 0 and at most 1;
	// 0 means DefaultMinSupport.
	MinSupport float64
	// KeepSupported, when some sentences of a generated answer are not
	// supported by their passages, shows the supported ones if they still
	// answer the question, instead of the extractive answer.
	KeepSupported bool

	// Glossary maps abbreviations to what they stand for; a reply spells
	// one out on its first use. Nil: the sources' own (corpus.BuildGlossary
	// of Chunks); empty: none.
	Glossary map[string]string

	// ReplyCache is how many recent extractive replies are kept to answer
	// the same question in the same context again at once (0: none).
	ReplyCache int

	// Library, if set, answers the questions the care team has reviewed
	// answers for (see library.go).
	Library Library
}

// Errors for questions the engine refuses; the caller shows them to the user.
var (
	ErrEmptyQuestion   = errors.New("the question is empty")
	ErrQuestionTooLong = errors.New("the question is too long")
)

// Engine answers questions in the context of a conversation. It is safe for
// concurrent use.
type Engine struct {
	s     Searcher
	cfg   Config
	rules *rules
	stats *termStats
	cache analyses

	expansions expansions
	replies    *replyCache // nil when off
	gloss      *glossary   // nil without chunks
	chunks     chunkIndex
	spell      *speller
	// terms are the stems of the terms the sources define (their
	// glossary): the jargon a patient asks about.
	terms map[string]bool
	// definitions are the terms the sources define in a sentence, as
	// content stems, with the passage that defines each.
	definitions []definition
}

// New returns an Engine answering from s.
func New(s Searcher, cfg Config) (*Engine, error) {
	if s == nil {
		return nil, errors.New("chat.New: no searcher")
	}
	r, err := loadRules(cfg.RulesPath)
	if err != nil {
		return nil, fmt.Errorf("chat.New: %w", err)
	}
	if cfg.Disclaimer == "" {
		cfg.Disclaimer = DefaultDisclaimer
	}
	if cfg.EmergencyNumber == "" {
		cfg.EmergencyNumber = DefaultEmergencyNumber
	}
	if cfg.CrisisLine == "" {
		cfg.CrisisLine = DefaultCrisisLine
	}
	if cfg.CareTeamPhone == "" {
		cfg.CareTeamPhone = DefaultCareTeam
	}
	if cfg.TopK <= 0 {
		cfg.TopK = DefaultTopK
	}
	cfg.ReportK = max(cfg.ReportK, cfg.TopK)
	if cfg.MinConfidence == 0 {
		cfg.MinConfidence = DefaultMinConfidence
	}
	if cfg.MaxSentences == 0 {
		cfg.MaxSentences = DefaultMaxSentences
	}
	if cfg.MaxSentences < 2 || cfg.MaxSentences > 5 {
		return nil, fmt.Errorf("chat.New: MaxSentences %d is not within 2..5", cfg.MaxSentences)
	}
	if cfg.HistoryTurns == 0 {
		cfg.HistoryTurns = DefaultHistoryTurns
	}
	if cfg.MaxQuestionLen <= 0 {
		cfg.MaxQuestionLen = DefaultMaxQuestionLen
	}
	if cfg.LLMTimeout <= 0 {
		cfg.LLMTimeout = DefaultLLMTimeout
	}
	if cfg.LLMStallTimeout <= 0 {
		cfg.LLMStallTimeout = DefaultLLMStallTimeout
	}
	if cfg.MinSupport == 0 {
		cfg.MinSupport = DefaultMinSupport
	}
	if cfg.MinSupport < 0 || cfg.MinSupport > 1 {
		return nil, fmt.Errorf("chat.New: MinSupport %g is not above 0 and at most 1", cfg.MinSupport)
	}
	if cfg.LLM != nil && cfg.LLMName == "" {
		cfg.LLMName = "unnamed"
	}
	words.Preload()
	e := &Engine{s: s, cfg: cfg, rules: r}
	if tc, ok := s.(TermCounter); ok {
		if n, df := tc.TermStats(); n > 0 {
			e.stats = termStatsOf(n, df)
		}
	}
	if e.stats == nil {
		e.stats = newTermStats(cfg.Chunks)
	}
	g := corpus.BuildGlossary(cfg.Chunks)
	if cfg.Glossary == nil {
		cfg.Glossary = g.Abbreviations()
		e.cfg.Glossary = cfg.Glossary // the engine's copy of cfg was taken before
	}
	e.terms = termStemsOf(g)
	e.definitions = definitionsOf(g)
	if e.cfg.Covers == "" {
		e.cfg.Covers = corpus.TitleList(cfg.Chunks)
	}
	e.gloss = newGlossary(cfg.Glossary)
	e.chunks = newChunkIndex(cfg.Chunks)
	e.spell = newSpeller(cfg.Chunks)
	e.cache.limit = 4*len(cfg.Chunks) + 1000
	if cfg.LLM == nil {
		e.replies = newReplyCache(cfg.ReplyCache)
	}
	for _, c := range cfg.Chunks {
		e.analyse(c.ID, c.Section, c.Text)
	}
	return e, nil
}

// Disclaimer is the text every reply carries.
func (e *Engine) Disclaimer() string { return e.cfg.Disclaimer }

// Answer replies to question given the conversation so far (oldest first).
// onDelta, if not nil, receives the reply text as it is produced; the
// concatenation of the deltas is the reply's Text. A generated (LLM) answer
// is buffered until its citations and the support of every sentence in the
// passages it cites are checked, then streamed, so that text the patient
// has seen is never taken back.
func (e *Engine) Answer(ctx context.Context, history []Turn, question string, onDelta func(string)) (Reply, error) {
	start := time.Now()
	// Broken bytes are dropped rather than refused: the rest of the
	// question may still be answerable.
	question = strings.TrimSpace(strings.ToValidUTF8(question, ""))
	if question == "" {
		return Reply{}, ErrEmptyQuestion
	}
	if n := utf8.RuneCountInString(question); n > e.cfg.MaxQuestionLen {
		return Reply{}, fmt.Errorf("%w: %d characters, at most %d", ErrQuestionTooLong, n, e.cfg.MaxQuestionLen)
	}
	if err := ctx.Err(); err != nil {
		return Reply{}, err
	}
	var key string
	if e.replies != nil {
		key = e.replyKey(history, question) + e.libraryKey()
	}
	d, ok := e.replies.get(key)
	if !ok {
		var err error
		if d, err = e.answer(ctx, history, question); err != nil {
			return Reply{}, err
		}
		e.replies.put(key, d)
	}
	r := d.Reply
	r.Disclaimer = e.cfg.Disclaimer
	r.CorpusVersion = e.cfg.CorpusVersion
	if r.Mode == "" {
		r.Mode = "extractive"
	}
	if r.Citations == nil {
		r.Citations = []Citation{}
	}
	r.Text = strings.Join(d.parts, "")
	if onDelta != nil {
		for _, p := range d.parts {
			onDelta(p)
		}
	}
	r.Latency = time.Since(start)
	return r, nil
}

// draft is a reply whose text is still in the pieces it will be streamed in.
type draft struct {
	Reply
	parts []string
}

func (e *Engine) answer(ctx context.Context, history []Turn, question string) (draft, error) {
	v := e.rules.triage(question)
	lowConfidence := "no_answer.low_confidence"
	if v.rule != nil && v.rule.yields {
		// Declined only when the sources do not answer it.
		lowConfidence, v.rule = v.rule.name, nil
	}
	if v.rule != nil {
		switch v.rule.kind {
		case KindEmergency:
			return draft{Reply: Reply{Kind: KindEmergency, Reason: v.rule.name}, parts: []string{e.emergencyText(v.rule)}}, nil
		case KindGreeting:
			return draft{Reply: Reply{Kind: KindGreeting, Reason: v.rule.name}, parts: []string{e.rules.messages[v.rule.message]}}, nil
		case KindNoAnswer:
			return draft{Reply: Reply{Kind: KindNoAnswer, Reason: v.rule.name}, parts: []string{e.noAnswerText()}}, nil
		case KindReferral:
			return e.referral(ctx, history, question, v)
		}
	}
	q := e.followUp(history, question)
	if d, ok := e.fromLibrary(question, q); ok {
		return d, nil
	}
	if r, ok, err := e.compare(ctx, question); err != nil || ok {
		return r, err
	}
	passages, ranked, err := e.search(ctx, q.search)
	if err != nil {
		return draft{}, err
	}
	passages = e.withDefinition(q, passages)
	if q.search != q.topic && !e.holdsCarried(q, passages) {
		// "what is PTLD?", "how can that be treated?": the words related
		// to "treated" found passages on treatment in general; what the
		// conversation is about is searched without them.
		if ps, rk, err := e.search(ctx, q.topic); err == nil && e.holdsCarried(q, ps) {
			passages, ranked = ps, rk
		}
	}
	r := draft{Reply: Reply{Query: q.topic, Retrieved: retrieved(ranked)}}
	r.Confidence = e.confidence(q, passages, 3)
	if q.after != nil {
		// "What happens after that?": what follows the last answer in
		// its source, however few words the question has of its own.
		if next, ps := e.continuation(q, *q.after); len(next) > 0 {
			r.Kind, r.Reason = KindAnswer, "answer.continued"
			e.quote(&r, cite(next, ps, 1))
			return r, nil
		}
	}
	if r.Confidence < e.cfg.MinConfidence {
		return e.decline(r, lowConfidence), nil
	}
	cands := e.candidates(q, passages)
	if next, ps := e.afterStep(q, question, cands); len(next) > 0 {
		r.Kind, r.Reason = KindAnswer, "answer.after_step"
		e.quote(&r, cite(next, ps, 1))
		return r, nil
	}
	picked := e.compose(q, cands, passages, e.cfg.MaxSentences)
	if !q.holdsFocus(picked) {
		return e.decline(r, "no_answer.off_focus"), nil
	}
	r.Kind, r.Reason = KindAnswer, "answer"
	if v.injection {
		r.Reason = "answer.injection_ignored"
	}
	if e.cfg.LLM != nil && !v.injection {
		g, why := e.generate(ctx, history, q, question, passages)
		r.Unsupported = g.unsupported
		if why == "" {
			r.Mode, r.parts, r.Citations = "llm:"+e.cfg.LLMName, g.sentences, g.citations
			return r, nil
		}
		r.Fallback = why
	}
	c := cite(picked, passages, 1)
	if len(c.sentences) == 0 {
		return e.decline(r, "no_answer.no_sentence"), nil
	}
	e.quote(&r, c)
	return r, nil
}

// directive matches a sentence that gives advice: it opens with an
// instruction ("Do not take ...", "Avoid ...", "You should ...").
var directive = regexp.MustCompile(`^(?:Please )?(?:Do not|Don't|Don’t|Never|Always|Avoid|You should|You must|You need to|You can|Make sure|Try to|Keep|Take|Call|Wash|Eat|Drink|Use|Check|Tell|Bring|Ask|Rest|Stay|Wear|Let|Go|Get)\b`)

// holdsCarried says whether one of the passages holds a word a follow-up
// carried from the question before that names a topic of the sources (or
// whether it carried none).
func (e *Engine) holdsCarried(q *query, passages []retrieval.Passage) bool {
	var carried []string
	for _, st := range q.terms {
		if !q.own[st] && e.stats.known(st) && !e.rules.aspect[st] && e.stats.rare(st) {
			carried = append(carried, st)
		}
	}
	for _, p := range passages {
		stems := e.analyse(p.ID, p.Section, p.Text).stems
		for _, st := range carried {
			if stems[st] {
				return true
			}
		}
	}
	return len(carried) == 0
}

// decline makes r the honest "I can't answer that", for the reason given.
func (e *Engine) decline(r draft, reason string) draft {
	r.Kind, r.Reason = KindNoAnswer, reason
	r.parts = []string{e.noAnswerText()}
	return r
}

// quote sets r's text to the cited sentences, abbreviations spelled out.
func (e *Engine) quote(r *draft, c cited) {
	sentences, glosses := e.gloss.explain(c.sentences)
	r.parts, r.Citations, r.Glosses, r.Referents = spaced(sentences), c.citations, glosses, c.referents
}

// referral says the question is for the care team and adds general, cited
// background when the sources cover the topic.
func (e *Engine) referral(ctx context.Context, history []Turn, question string, v verdict) (draft, error) {
	r := draft{Reply: Reply{Kind: KindReferral, Reason: v.rule.name}, parts: []string{e.rules.messages[v.rule.message]}}
	q := e.followUp(history, e.rules.withoutDecision(question))
	passages, ranked, err := e.search(ctx, q.search)
	if err != nil {
		return draft{}, err
	}
	r.Query, r.Retrieved = q.topic, retrieved(ranked)
	r.Confidence = e.confidence(q, passages, 3)
	if r.Confidence < e.cfg.MinConfidence {
		return r, nil
	}
	picked := e.compose(q, e.candidates(q, passages), passages, min(3, e.cfg.MaxSentences))
	if !e.onSubject(q, picked) {
		return r, nil // background on something else would only distract
	}
	if v.rule.message == "referral.decision" && directive.MatchString(picked[0].text) {
		// "Should I take paracetamol for a fever?" when the sources say
		// "Do not take paracetamol before you have called the unit":
		// advice they give everyone answers it.
		r.Kind, r.Reason = KindAnswer, "answer.advice"
		e.quote(&r, cite(picked, passages, 1))
		return r, nil
	}
	c := cite(picked, passages, 1)
	r.parts = append(r.parts, " "+e.rules.messages["referral.background"])
	sentences, glosses := e.gloss.explain(c.sentences)
	r.Glosses, r.Referents = glosses, c.referents
	for _, s := range sentences {
		r.parts = append(r.parts, " "+s)
	}
	r.Citations = c.citations
	return r, nil
}

// onSubject says whether the first sentence chosen names what the question
// is about: one of its topic words (not the patient's wording or an aspect
// word), itself or by a synonym.
func (e *Engine) onSubject(q *query, picked []candidate) bool {
	if len(picked) == 0 {
		return false
	}
	first := picked[0]
	for _, st := range q.terms {
		if !q.own[st] || e.rules.aspect[st] || q.focus[st] < q.base[st] {
			continue
		}
		if q.matches(st, first.stems) {
			return true
		}
	}
	return false
}

// search ranks up to ReportK passages for a reply to report and returns
// the first TopK of them too, which the answer draws on.
func (e *Engine) search(ctx context.Context, query string) (top, ranked []retrieval.Passage, err error) {
	if n := utf8.RuneCountInString(query); n > retrieval.MaxQueryLen {
		// Topic words a follow-up carries can push a long question over
		// the searcher's limit; they are at the end and the first to go.
		query = string([]rune(query)[:retrieval.MaxQueryLen])
	}
	ps, err := e.s.Search(ctx, query, e.cfg.ReportK)
	if errors.Is(err, retrieval.ErrEmptyQuery) {
		return nil, nil, nil // nothing to search for ("?!", "What is it?"): nothing found
	}
	if err != nil {
		return nil, nil, fmt.Errorf("search the sources: %w", err)
	}
	return ps[:min(len(ps), e.cfg.TopK)], ps, nil
}

// spaced joins sentences into deltas: each after the first starts with a space.
func spaced(sentences []string) []string {
	out := make([]string, len(sentences))
	for i, s := range sentences {
		if i > 0 {
			s = " " + s
		}
		out[i] = s
	}
	return out
}

func retrieved(ps []retrieval.Passage) []Retrieved {
	out := make([]Retrieved, len(ps))
	for i, p := range ps {
		out[i] = Retrieved{ChunkID: p.ID, DocID: p.DocID, Section: p.Section, Text: p.Text, Score: p.Score, Lexical: p.Lexical, Vector: p.Vector}
	}
	return out
}

// noAnswerText is the reply to a question the sources do not answer,
// naming what they do cover.
func (e *Engine) noAnswerText() string {
	return strings.ReplaceAll(e.rules.messages["no_answer"], "{covers}", e.cfg.Covers)
}

func (e *Engine) emergencyText(ru *rule) string {
	if e.cfg.EmergencyText != "" {
		return e.cfg.EmergencyText
	}
	return strings.NewReplacer(
		"{emergency_number}", e.cfg.EmergencyNumber,
		"{crisis_line}", e.cfg.CrisisLine,
		"{care_team}", e.cfg.CareTeamPhone,
	).Replace(e.rules.messages[ru.message])
}

// Follow-up questions ("What are its side effects?", "How is that
// treated?") lean on the conversation: a pronoun, a question that starts
// with "and" or "what about", or one without a content word takes the
// topic words of the last answered question (which carry that question's
// own context, so a chain of follow-ups keeps its topic).
var (
	pronouns = map[string]bool{"it": true, "its": true, "they": true, "them": true, "their": true, "one": true, "ones": true,
		"there": true, "that": true, "this": true, "these": true, "those": true}
	// demonstratives point at what the last answer said ("How is that
	// treated?"), not only at the topic.
	demonstratives = map[string]bool{"that": true, "this": true, "these": true, "those": true}
	ellipsis       = regexp.MustCompile(`^(?:and|also|what about|how about|and what about|same for|what if|but|so)\b`)
	markers        = regexp.MustCompile(`\s*\[\d+\]`)
)

// followUp builds the query for a question, carrying over the topic of the
// conversation when the question does not name its own.
func (e *Engine) followUp(history []Turn, question string) *query {
	own := e.rules.retrievalQuery(e.spellOutStopAbbreviations(question))
	own = e.rules.stripInjection(own)
	if i := len(history) - e.cfg.HistoryTurns; i > 0 {
		history = history[i:]
	}
	var prev *Turn
	for i := len(history) - 1; i >= 0; i-- {
		if k := history[i].Reply.Kind; k == KindAnswer || k == KindReferral {
			prev = &history[i]
			break
		}
	}
	if prev == nil {
		return e.newQuery(own, own, nil, "")
	}
	toks := words.Tokens(words.Normalize(own))
	pronoun, demonstrative, content := false, false, 0
	for _, t := range toks {
		pronoun = pronoun || pronouns[t.Word]
		demonstrative = demonstrative || demonstratives[t.Word]
		if !isStop(t.Word) {
			content++
		}
	}
	if !pronoun && content > 0 && !ellipsis.MatchString(words.Normalize(own)) && !nextQuestion.MatchString(own) {
		return e.newQuery(own, own, nil, "")
	}
	ownStems := map[string]bool{}
	for _, st := range contentStems(own) {
		ownStems[st] = true
	}
	// The last question's own words weigh more than the older topic words
	// its query carried: in "What is CAR-T?", "What are its side effects?",
	// "How is that treated?", the last is about side effects of CAR-T.
	context := map[string]float64{}
	var carried []string
	carry := func(text string, weight float64, share func(st string) float64) {
		// Read as the question's own words are: "whats" is "what is",
		// "alogeneic" is "allogeneic".
		text = keepAcronymPlurals(text, e.rules.prepare(text))
		for _, t := range words.Tokens(text) {
			word, st := t.Word, t.Stem
			if !e.stats.known(st) {
				if c := e.spell.correct(word); c != "" {
					word, st = c, words.Stem(c)
				}
			}
			if isStop(word) || ownStems[st] || context[st] > 0 || !e.standsForKnown(word, st) {
				continue
			}
			context[st] = weight * share(st)
			carried = append(carried, word)
		}
	}
	last := e.rules.stripInjection(e.rules.retrievalQuery(prev.Question))
	// The last question's words carry what they weighed in it: its topic
	// in full, the scene around it ("a nurse on the transplant ward said
	// ...") as little as it counted there.
	lastQ := e.newQuery(last, last, nil, "")
	carry(last, lastQuestionWeight, func(st string) float64 {
		if b := lastQ.base[st]; b > 0 {
			return lastQ.focus[st] / b
		}
		return 1
	})
	carry(prev.Reply.Query, olderTopicWeight, func(string) float64 { return 1 })
	topic := own
	if len(carried) > 0 {
		topic += " " + strings.Join(carried, " ")
	}
	// A follow-up's own words are few ("How is that treated?"): the
	// related words of its and the last question's words ("therapy",
	// "cytokine") help the searcher find what it refers to. They are
	// searched for, not carried on to the next turn.
	var extra []string
	seen := map[string]bool{}
	for _, t := range words.Tokens(own + " " + last) {
		for _, w := range e.rules.relatedWords[t.Stem] {
			if !seen[w] {
				seen[w] = true
				extra = append(extra, w)
			}
		}
	}
	// A reply read back from the log has lost its list of glosses.
	previous := markers.ReplaceAllString(e.gloss.strip(WithoutGlosses(prev.Reply.Text, prev.Reply.Glosses)), "")
	search := topic
	if len(extra) > 0 {
		search += " " + strings.Join(extra, " ")
	}
	q := e.newQuery(search, own, context, previous)
	q.topic = topic
	if prev.Reply.Kind == KindAnswer && nextQuestion.MatchString(own) {
		q.after = &prev.Reply
	}
	q.cited = map[string]bool{}
	for _, c := range prev.Reply.Citations {
		q.cited[c.ChunkID] = true
	}
	if demonstrative && prev.Reply.Kind == KindAnswer {
		// The rarer words of the last answer ("cytokine release
		// syndrome") are what "that" may point at.
		q.referent = map[string]bool{}
		for _, t := range words.Tokens(previous) {
			if !isStop(t.Word) && q.base[t.Stem] == 0 && e.stats.rare(t.Stem) {
				q.referent[t.Stem] = true
			}
		}
	}
	return q
}

// citedSentence matches a sentence of an answer and its citation number.
var citedSentence = regexp.MustCompile(`(?s)\s*(.+?) \[(\d+)\]`)

// standsForKnown says whether a word names something the sources hold:
// it is theirs, or it stands for one of theirs (a related word of the
// rules, a lay-term synonym, a WordNet synonym). A word of the last
// question that is neither ("seperate") found nothing then and would only
// weigh a follow-up down.
func (e *Engine) standsForKnown(word, st string) bool {
	if e.stats.known(st) || len(e.rules.related[st]) > 0 {
		return true
	}
	if syn, _ := e.synonyms(word); len(syn[st]) > 0 {
		return true
	}
	for _, w := range words.Synonyms(word) {
		if e.stats.known(words.Stem(w)) {
			return true
		}
	}
	return false
}
