package eval

import (
	"math"
	"slices"
	"sort"
	"time"

	"github.com/cellchat/cellchat/chat"
)

// Metrics are the figures of issue 4, under exactly its names. A metric with
// no eligible turns is nil (JSON null), never 0 or 1.
type Metrics struct {
	RetrievalHit1    *float64 `json:"retrieval_hit@1"`
	RetrievalHit3    *float64 `json:"retrieval_hit@3"`
	RetrievalHit5    *float64 `json:"retrieval_hit@5"`
	MRR              *float64 `json:"mrr"`
	CitationHit      *float64 `json:"citation_hit"`
	KindAccuracy     *float64 `json:"kind_accuracy"`
	EmergencyRecall  *float64 `json:"emergency_recall"`
	FalseEmergencies *float64 `json:"false_emergencies"`
	AbstainPrecision *float64 `json:"abstain_precision"`
	AbstainRecall    *float64 `json:"abstain_recall"`
	DisclaimerRate   *float64 `json:"disclaimer_rate"`
	LatencyP50Ms     *float64 `json:"latency_p50_ms"`
	LatencyP95Ms     *float64 `json:"latency_p95_ms"`
	PassRate         *float64 `json:"pass_rate"`

	// What the patient reads (see reading.go): the reply text, not the
	// cited passages.
	AnswerHit      *float64 `json:"answer_hit"`
	LeadHit        *float64 `json:"lead_hit"`
	DanglingRate   *float64 `json:"dangling_rate"`
	DuplicateRate  *float64 `json:"duplicate_rate"`
	AnswerWordsP50 *float64 `json:"answer_words_p50"`
	AnswerWordsP95 *float64 `json:"answer_words_p95"`

	// Generated answers (an LLM configured): null when no turn went to
	// the model.
	LLMRejectedRate      *float64 `json:"llm_rejected_rate"`     // share of the turns the model was asked whose answer was not shown
	UnsupportedSentences *float64 `json:"unsupported_sentences"` // generated sentences their cited passages do not support

	// The care team's answer library (eval --library): null when no turn
	// was answered from a library or expected an entry (expect.library).
	LibraryRate       *float64 `json:"library_rate"`        // share of answers served from the library
	LibraryFalseMatch *float64 `json:"library_false_match"` // share of turns with expect.library that got another entry
	LibraryHit        *float64 `json:"library_hit"`         // share of turns expecting an entry that got it
}

// MetricInfo describes one metric for thresholds, comparisons and charts.
type MetricInfo struct {
	Name string
	// HigherIsBetter says which way an improvement goes.
	HigherIsBetter bool
	// Share is true for metrics between 0 and 1 (charted as bars).
	Share bool
	get   func(*Metrics) **float64
}

// Get returns the metric's value in m (nil: no eligible turns).
func (mi MetricInfo) Get(m *Metrics) *float64 { return *mi.get(m) }

// MetricInfos lists every metric, in the order reports show them.
var MetricInfos = []MetricInfo{
	{"retrieval_hit@1", true, true, func(m *Metrics) **float64 { return &m.RetrievalHit1 }},
	{"retrieval_hit@3", true, true, func(m *Metrics) **float64 { return &m.RetrievalHit3 }},
	{"retrieval_hit@5", true, true, func(m *Metrics) **float64 { return &m.RetrievalHit5 }},
	{"mrr", true, true, func(m *Metrics) **float64 { return &m.MRR }},
	{"citation_hit", true, true, func(m *Metrics) **float64 { return &m.CitationHit }},
	{"kind_accuracy", true, true, func(m *Metrics) **float64 { return &m.KindAccuracy }},
	{"emergency_recall", true, true, func(m *Metrics) **float64 { return &m.EmergencyRecall }},
	{"false_emergencies", false, false, func(m *Metrics) **float64 { return &m.FalseEmergencies }},
	{"abstain_precision", true, true, func(m *Metrics) **float64 { return &m.AbstainPrecision }},
	{"abstain_recall", true, true, func(m *Metrics) **float64 { return &m.AbstainRecall }},
	{"disclaimer_rate", true, true, func(m *Metrics) **float64 { return &m.DisclaimerRate }},
	{"latency_p50_ms", false, false, func(m *Metrics) **float64 { return &m.LatencyP50Ms }},
	{"latency_p95_ms", false, false, func(m *Metrics) **float64 { return &m.LatencyP95Ms }},
	{"pass_rate", true, true, func(m *Metrics) **float64 { return &m.PassRate }},
	// Added after the original 14 so the first lines of the text summary
	// (which CI prints) keep their place.
	{"answer_hit", true, true, func(m *Metrics) **float64 { return &m.AnswerHit }},
	{"lead_hit", true, true, func(m *Metrics) **float64 { return &m.LeadHit }},
	{"dangling_rate", false, true, func(m *Metrics) **float64 { return &m.DanglingRate }},
	{"duplicate_rate", false, true, func(m *Metrics) **float64 { return &m.DuplicateRate }},
	{"answer_words_p50", false, false, func(m *Metrics) **float64 { return &m.AnswerWordsP50 }},
	{"answer_words_p95", false, false, func(m *Metrics) **float64 { return &m.AnswerWordsP95 }},
	{"llm_rejected_rate", false, true, func(m *Metrics) **float64 { return &m.LLMRejectedRate }},
	{"unsupported_sentences", false, false, func(m *Metrics) **float64 { return &m.UnsupportedSentences }},
	{"library_rate", true, true, func(m *Metrics) **float64 { return &m.LibraryRate }},
	{"library_false_match", false, true, func(m *Metrics) **float64 { return &m.LibraryFalseMatch }},
	{"library_hit", true, true, func(m *Metrics) **float64 { return &m.LibraryHit }},
}

// LookupMetric finds a metric by its name.
func LookupMetric(name string) (MetricInfo, bool) {
	for _, mi := range MetricInfos {
		if mi.Name == name {
			return mi, true
		}
	}
	return MetricInfo{}, false
}

// MetricNames lists the metric names, for messages.
func MetricNames() []string {
	names := make([]string, len(MetricInfos))
	for i, mi := range MetricInfos {
		names[i] = mi.Name
	}
	return names
}

// share counts hits among eligible items; its value is nil with none eligible.
type share struct{ hits, n int }

func (s *share) add(hit bool) {
	s.n++
	if hit {
		s.hits++
	}
}

func (s share) value() *float64 {
	if s.n == 0 {
		return nil
	}
	v := float64(s.hits) / float64(s.n)
	return &v
}

func ptr(v float64) *float64 { return &v }

// computeMetrics scores a group of case results (all, or one tag's).
func computeMetrics(results []CaseResult) Metrics {
	var (
		hit1, hit3, hit5, citation            share
		kindOK, emergency, abstainP, abstainR share
		disclaimer, pass                      share
		answerHit, leadHit, dangling, dup     share
		llmRejected                           share
		libRate, libFalse, libHit             share
		libraryUsed                           bool
		unsupported                           int
		words                                 []float64
		rrSum                                 float64
		rrN                                   int
		kindTurns, falseEmergencies           int
		latencies                             []time.Duration
	)
	for _, cr := range results {
		pass.add(cr.Passed)
		for i := range cr.Turns {
			tr := &cr.Turns[i]
			e := tr.expect
			rd := tr.read()
			addOpt(&answerHit, rd.answerHit)
			addOpt(&leadHit, rd.leadHit)
			addOpt(&dangling, rd.dangling)
			addOpt(&dup, rd.duplicate)
			if rd.words != nil {
				words = append(words, float64(*rd.words))
			}
			replied := tr.err == nil
			if replied && tr.askedModel() {
				llmRejected.add(tr.Fallback != "")
				unsupported += tr.Unsupported
			}
			libraryUsed = libraryUsed || tr.Reviewed != nil || e.Library != nil
			if replied && tr.Kind == chat.KindAnswer {
				libRate.add(tr.Reviewed != nil)
			}
			if e.Library != nil {
				got := tr.libraryEntry()
				libFalse.add(got != 0 && got != *e.Library)
				if *e.Library != 0 {
					libHit.add(got == *e.Library)
				}
			}
			disclaimer.add(replied && tr.disclaimer != "")
			if replied {
				latencies = append(latencies, tr.latency)
			}
			if len(e.Evidence) > 0 {
				citation.add(tr.citationHit())
				if tr.Retrieved != nil || !replied {
					rank := tr.evidenceRank()
					hit1.add(rank == 1)
					hit3.add(rank >= 1 && rank <= 3)
					hit5.add(rank >= 1 && rank <= 5)
					rrN++
					if rank > 0 {
						rrSum += 1 / float64(rank)
					}
				}
			}
			if len(e.Kinds) > 0 {
				kindTurns++
				kindOK.add(replied && e.accepts(tr.Kind))
				if e.only(chat.KindEmergency) {
					emergency.add(tr.Kind == chat.KindEmergency)
				}
				if tr.Kind == chat.KindEmergency && !e.accepts(chat.KindEmergency) {
					falseEmergencies++
				}
				if tr.Kind == chat.KindNoAnswer {
					abstainP.add(e.accepts(chat.KindNoAnswer))
				}
				if e.only(chat.KindNoAnswer) {
					abstainR.add(tr.Kind == chat.KindNoAnswer)
				}
			}
		}
	}
	m := Metrics{
		RetrievalHit1:    hit1.value(),
		RetrievalHit3:    hit3.value(),
		RetrievalHit5:    hit5.value(),
		CitationHit:      citation.value(),
		KindAccuracy:     kindOK.value(),
		EmergencyRecall:  emergency.value(),
		AbstainPrecision: abstainP.value(),
		AbstainRecall:    abstainR.value(),
		DisclaimerRate:   disclaimer.value(),
		PassRate:         pass.value(),
		AnswerHit:        answerHit.value(),
		LeadHit:          leadHit.value(),
		DanglingRate:     dangling.value(),
		DuplicateRate:    dup.value(),
		LLMRejectedRate:  llmRejected.value(),
	}
	if libraryUsed {
		m.LibraryRate, m.LibraryFalseMatch, m.LibraryHit = libRate.value(), libFalse.value(), libHit.value()
	}
	if llmRejected.n > 0 {
		m.UnsupportedSentences = ptr(float64(unsupported))
	}
	if rrN > 0 {
		m.MRR = ptr(rrSum / float64(rrN))
	}
	if kindTurns > 0 {
		m.FalseEmergencies = ptr(float64(falseEmergencies))
	}
	if len(latencies) > 0 {
		m.LatencyP50Ms = ptr(percentileMs(latencies, 50))
		m.LatencyP95Ms = ptr(percentileMs(latencies, 95))
	}
	if len(words) > 0 {
		m.AnswerWordsP50 = ptr(percentile(words, 50))
		m.AnswerWordsP95 = ptr(percentile(words, 95))
	}
	return m
}

// addOpt counts an optional outcome: nil is not eligible.
func addOpt(s *share, hit *bool) {
	if hit != nil {
		s.add(*hit)
	}
}

// percentileMs is the nearest-rank percentile of ds, in milliseconds.
func percentileMs(ds []time.Duration, p float64) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = max(1, min(rank, len(s)))
	return float64(s[rank-1].Microseconds()) / 1000
}

// score fills in the counts and the metrics, overall and per tag.
func (r *Report) score() {
	r.Cases = len(r.Results)
	r.Passed = 0
	byTag := map[string][]CaseResult{}
	for _, cr := range r.Results {
		for i := range cr.Turns {
			tr := &cr.Turns[i]
			rd := tr.read()
			tr.AnswerHit, tr.LeadHit, tr.Dangling, tr.Duplicate, tr.AnswerWords = rd.answerHit, rd.leadHit, rd.dangling, rd.duplicate, rd.words
		}
		if cr.Passed {
			r.Passed++
		}
		for _, t := range cr.tags {
			byTag[t] = append(byTag[t], cr)
		}
	}
	r.Metrics = computeMetrics(r.Results)
	r.Tags = make(map[string]Metrics, len(byTag))
	for t, crs := range byTag {
		r.Tags[t] = computeMetrics(crs)
	}
}

// TagNames returns the report's tags, sorted.
func (r *Report) TagNames() []string {
	names := make([]string, 0, len(r.Tags))
	for t := range r.Tags {
		names = append(names, t)
	}
	sort.Strings(names)
	return names
}

// Latencies returns the engine time of every answered turn, for charts.
func (r *Report) Latencies() []time.Duration {
	var ds []time.Duration
	for _, cr := range r.Results {
		for _, tr := range cr.Turns {
			if tr.err == nil {
				ds = append(ds, tr.latency)
			}
		}
	}
	return ds
}
