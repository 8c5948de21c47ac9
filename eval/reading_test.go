package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cellchat/cellchat/chat"
)

// The patient-facing figures are unit-tested on results built by hand: no
// engine, no answerer.

func reply(kind chat.Kind, text string, passages ...string) TurnResult {
	tr := TurnResult{Kind: kind, Text: text, Citations: []chat.Citation{}}
	for i, p := range passages {
		tr.Citations = append(tr.Citations, chat.Citation{N: i + 1, DocID: fmt.Sprintf("doc%d", i+1), Passage: p})
	}
	return tr
}

func expecting(tr TurnResult, e Expect) TurnResult {
	tr.expect = e
	return tr
}

func metricsOf(turns ...TurnResult) Metrics {
	return computeMetrics([]CaseResult{{ID: "c", Turns: turns}})
}

func boolText(b *bool) string {
	if b == nil {
		return "null"
	}
	return fmt.Sprint(*b)
}

func TestAnswerHitAndLeadHit(t *testing.T) {
	ev := Expect{Kinds: []chat.Kind{chat.KindAnswer}, Evidence: []string{"chimeric antigen receptor"}}
	orNo := Expect{Kinds: []chat.Kind{chat.KindAnswer, chat.KindNoAnswer}, Evidence: ev.Evidence}
	passage := "CAR-T means chimeric antigen receptor T-cell therapy."
	tests := []struct {
		name      string
		tr        TurnResult
		hit, lead string // "true", "false" or "null" (not eligible)
	}{
		{"lead hit", expecting(reply(chat.KindAnswer,
			"CAR-T uses a chimeric antigen receptor. [1] It is made for you. [1] Side effects happen. [1]", passage), ev), "true", "true"},
		{"hit only in the 3rd sentence", expecting(reply(chat.KindAnswer,
			"CAR-T is a treatment. [1] It is made for you. [1] It uses a chimeric antigen receptor. [1]", passage), ev), "true", "false"},
		{"hit only in the cited passage", expecting(reply(chat.KindAnswer,
			"CAR-T is a treatment made from your cells. [1]", passage), ev), "false", "false"},
		{"marker inside the phrase is removed first", expecting(reply(chat.KindAnswer,
			"It is a chimeric antigen [1] receptor. [2]", passage, passage), ev), "true", "false"},
		{"marker before the full stop", expecting(reply(chat.KindAnswer,
			"It uses a chimeric  Antigen\nreceptor [1]. Another sentence [1].", passage), ev), "true", "true"},
		{"no markers: first sentence by full stops", expecting(reply(chat.KindAnswer,
			"CAR-T is a treatment. It uses a chimeric antigen receptor."), ev), "true", "false"},
		{"answerable question refused", expecting(reply(chat.KindNoAnswer, "I can't answer that."), ev), "false", "false"},
		{"answerable question failed", func() TurnResult {
			tr := expecting(TurnResult{}, ev)
			tr.err = errors.New("engine exploded")
			return tr
		}(), "false", "false"},
		{"abstaining allowed", expecting(reply(chat.KindNoAnswer, "I can't answer that."), orNo), "null", "null"},
		{"answer where abstaining is allowed", expecting(reply(chat.KindAnswer, "A chimeric antigen receptor. [1]", passage), orNo), "true", "true"},
		{"no evidence", expecting(reply(chat.KindAnswer, "A chimeric antigen receptor. [1]", passage), Expect{Kinds: ev.Kinds}), "null", "null"},
		{"referral expected", expecting(reply(chat.KindReferral, "Ask your team."), Expect{Kinds: []chat.Kind{chat.KindReferral}, Evidence: ev.Evidence}), "null", "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd := tt.tr.read()
			if got := boolText(rd.answerHit); got != tt.hit {
				t.Errorf("answer_hit = %s, want %s", got, tt.hit)
			}
			if got := boolText(rd.leadHit); got != tt.lead {
				t.Errorf("lead_hit = %s, want %s", got, tt.lead)
			}
		})
	}
	// As metrics: 3 eligible turns, 2 hits in the text, 1 in the lead.
	m := metricsOf(tests[0].tr, tests[1].tr, tests[2].tr, tests[8].tr)
	if tests[8].name != "abstaining allowed" {
		t.Fatal("table order changed")
	}
	wantMetric(t, m, "answer_hit", 2.0/3)
	wantMetric(t, m, "lead_hit", 1.0/3)
}

func TestDangling(t *testing.T) {
	p1 := "CAR-T therapy uses your own T cells.\n It is made for each patient. Side effects can be serious."
	p2 := "Cell therapy is a new kind of treatment. Some other sentence follows here. However, it works well for some cancers."
	p3 := "Doctors collect the blood cells first. The cells travel to a laboratory."
	p4 := "CAR-T therapy is new. It can have side effects. However, doctors manage them."
	tests := []struct {
		name string
		tr   TurnResult
		want string
	}{
		{"It first", reply(chat.KindAnswer, "It is made for each patient. [1] CAR-T therapy uses your own T cells. [1]", p1), "true"},
		{"It's first", reply(chat.KindAnswer, "It's made for each patient. [1]", "It's made for each patient."), "true"},
		{"It right after its antecedent", reply(chat.KindAnswer, "CAR-T therapy uses your own T cells. [1] It is made for each patient. [1]", p1), "false"},
		{"markers before full stops", reply(chat.KindAnswer, "CAR-T therapy uses your own T cells [1]. It is made for each patient [1].", p1), "false"},
		{"It after a sentence from another passage", reply(chat.KindAnswer, "Doctors collect the blood cells first. [1] It is made for each patient. [2]", p3, p1), "true"},
		{"It after the same sentence in another citation", reply(chat.KindAnswer, "CAR-T therapy uses your own T cells. [1] It is made for each patient. [2]", "CAR-T therapy uses your own T cells.", p1), "true"},
		{"However after a sentence not directly before it", reply(chat.KindAnswer, "Cell therapy is a new kind of treatment. [1] However, it works well for some cancers. [1]", p2), "true"},
		{"However after its own antecedent", reply(chat.KindAnswer, "Some other sentence follows here. [1] However, it works well for some cancers. [1]", p2), "false"},
		{"own words between antecedent and It", reply(chat.KindAnswer, "CAR-T therapy uses your own T cells. [1] That is all I know here. It is made for each patient. [1]", p1), "true"},
		{"phrase opening", reply(chat.KindAnswer, "In addition, the cells are frozen. [1]", "In addition, the cells are frozen."), "true"},
		{"opening quote", reply(chat.KindAnswer, "\u201cThese cells are frozen.\u201d [1]", "\u201cThese cells are frozen.\u201d"), "true"},
		{"a word that only starts like one", reply(chat.KindAnswer, "Items are listed here for you. [1] Thesis work is long. [1]", "Items are listed here for you. Thesis work is long."), "false"},
		{"lower-case it", reply(chat.KindAnswer, "it is made for each patient. [1]", "it is made for each patient."), "false"},
		{"not found in the passage (generated)", reply(chat.KindAnswer, "It is tailored to you. [1]", p1), "false"},
		{"no referring sentence", reply(chat.KindAnswer, "Doctors collect the blood cells first. [1] Side effects can be serious. [2]", p3, p1), "false"},
		{"referral background opening with It", reply(chat.KindReferral,
			"Please ask your care team. Some general background from my sources: It is made for each patient. [1]", p1), "true"},
		{"referral background in order", reply(chat.KindReferral,
			"Please ask your care team. Some general background from my sources: CAR-T therapy uses your own T cells. [1] It is made for each patient. [1]", p1), "false"},
		{"referral without background", reply(chat.KindReferral, "Please ask your care team."), "null"},
		{"greeting", reply(chat.KindGreeting, "Hello! It is nice to meet you."), "null"},
		{"a referent's sentence first", withReferents(reply(chat.KindAnswer, "CAR-T therapy is made for each patient. [1]", p1),
			chat.Referent{Pronoun: "It", Subject: "CAR-T therapy"}), "false"},
		{"However after a referent's sentence that is its antecedent", withReferents(reply(chat.KindAnswer,
			"CAR-T therapy can have side effects. [1] However, doctors manage them. [1]", p4),
			chat.Referent{Pronoun: "It", Subject: "CAR-T therapy"}), "false"},
		{"a referral's background opening with a referent's sentence", withReferents(reply(chat.KindReferral,
			"That is for your care team. Some general background from my sources: CAR-T therapy can have side effects. [1]", p4),
			chat.Referent{Pronoun: "It", Subject: "CAR-T therapy"}), "false"},
		{"However after a sentence not in its passage", reply(chat.KindAnswer,
			"CAR-T therapy can have side effects. [1] However, doctors manage them. [1]", p4), "true"},
		{"a referent not put back reads as it was", withReferents(reply(chat.KindAnswer, "It is made for each patient. [1]", p1),
			chat.Referent{Pronoun: "It", Subject: "Nothing here"}), "true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := boolText(tt.tr.read().dangling); got != tt.want {
				t.Errorf("dangling = %s, want %s", got, tt.want)
			}
		})
	}
	var picked []TurnResult
	for _, tt := range tests {
		switch tt.name {
		case "It first", "It right after its antecedent", "It after a sentence from another passage", "no referring sentence", "referral without background":
			picked = append(picked, tt.tr)
		}
	}
	if len(picked) != 5 {
		t.Fatalf("picked %d turns", len(picked))
	}
	// 4 eligible (the referral has no background), 2 dangle.
	wantMetric(t, metricsOf(picked...), "dangling_rate", 2.0/4)
}

func TestDuplicate(t *testing.T) {
	tests := []struct {
		name string
		tr   TurnResult
		want string
	}{
		{"pair across two citations", reply(chat.KindAnswer,
			"Cell therapy uses living cells to treat disease. [1] Living cells are used to treat diseases in cell therapy. [2]", "a", "b"), "true"},
		{"one contained in the other", reply(chat.KindAnswer,
			"CAR-T cells attack cancer. [1] CAR-T cells attack cancer cells in the blood and lymph nodes of patients. [2]", "a", "b"), "true"},
		{"reworded (Jaccard 0.6, containment 0.75)", reply(chat.KindAnswer,
			"Cell therapy treats blood cancer using modified immune cells. [1] Cell therapy treats blood cancer through engineered immune cells. [2]", "a", "b"), "true"},
		{"too short to judge containment", reply(chat.KindAnswer,
			"Cell therapy. [1] Cell therapy can treat some blood cancers well. [2]", "a", "b"), "false"},
		{"two different sentences", reply(chat.KindAnswer,
			"Cell therapy uses living cells to treat disease. [1] Side effects include fever and low blood pressure. [2]", "a", "b"), "false"},
		{"related but different", reply(chat.KindAnswer,
			"CAR-T cells are made from your own blood. [1] The cells are grown in a laboratory for several weeks. [1] CAR-T cells can cause fever. [2]", "a", "b"), "false"},
		{"one sentence", reply(chat.KindAnswer, "Cell therapy uses living cells. [1]", "a"), "null"},
		{"not an answer", reply(chat.KindReferral, "Ask your team. Ask your team.", "a"), "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := boolText(tt.tr.read().duplicate); got != tt.want {
				t.Errorf("duplicate = %s, want %s", got, tt.want)
			}
		})
	}
	var picked []TurnResult
	for _, tt := range tests {
		switch tt.name {
		case "pair across two citations", "two different sentences", "related but different", "one sentence":
			picked = append(picked, tt.tr)
		}
	}
	if len(picked) != 4 {
		t.Fatalf("picked %d turns", len(picked))
	}
	// 3 eligible (one sentence is not), 1 duplicate.
	wantMetric(t, metricsOf(picked...), "duplicate_rate", 1.0/3)
}

func TestAnswerWords(t *testing.T) {
	var turns []TurnResult
	for n := 20; n >= 1; n-- {
		text := strings.TrimSpace(strings.Repeat("word ", n)) + ". [1]"
		turns = append(turns, reply(chat.KindAnswer, text, "p"))
	}
	// Not answers: not counted, however long.
	turns = append(turns, reply(chat.KindNoAnswer, strings.Repeat("long ", 500)), reply(chat.KindReferral, strings.Repeat("long ", 500)+"[1]", "p"))
	if n := answerWords("Cell therapy [1] uses cells [2][3]. Really [1, 2]."); n != 5 {
		t.Errorf("words = %d, want 5 (markers are not words)", n)
	}
	m := metricsOf(turns...)
	wantMetric(t, m, "answer_words_p50", 10)
	wantMetric(t, m, "answer_words_p95", 19)
	for _, name := range []string{"answer_words_p50", "answer_words_p95", "dangling_rate", "duplicate_rate"} {
		mi, _ := LookupMetric(name)
		if mi.HigherIsBetter {
			t.Errorf("%s: higher is not better", name)
		}
	}
	for _, name := range []string{"answer_words_p50", "answer_words_p95"} {
		if mi, _ := LookupMetric(name); mi.Share {
			t.Errorf("%s is a count, not a share", name)
		}
	}
	mi, _ := LookupMetric("answer_words_p95")
	if got := FormatValue(mi, ptr(19)); got != "19" {
		t.Errorf("FormatValue = %q", got)
	}
}

func TestReadingNullWithoutEligibleTurns(t *testing.T) {
	greeting := expecting(reply(chat.KindGreeting, "Hello! It is good to see you. It is."), Expect{Kinds: []chat.Kind{chat.KindGreeting}})
	emergency := expecting(reply(chat.KindEmergency, "Call 911. Call 911."), Expect{Kinds: []chat.Kind{chat.KindEmergency}})
	referral := reply(chat.KindReferral, "Ask your care team.")
	m := metricsOf(greeting, emergency, referral)
	for _, name := range []string{"answer_hit", "lead_hit", "dangling_rate", "duplicate_rate", "answer_words_p50", "answer_words_p95"} {
		wantNull(t, m, name)
	}
	wantNull(t, computeMetrics(nil), "answer_hit")
}

func TestReadingPerTagAndInJSON(t *testing.T) {
	ev := Expect{Kinds: []chat.Kind{chat.KindAnswer}, Evidence: []string{"own T cells"}}
	p := "CAR-T therapy uses your own T cells. It is made for each patient."
	rep := &Report{Name: "r", Results: []CaseResult{
		{ID: "good", Passed: true, tags: []string{"basics"}, Turns: []TurnResult{expecting(reply(chat.KindAnswer, "CAR-T therapy uses your own T cells. [1] It is made for each patient. [1]", p), ev)}},
		{ID: "dangling", Passed: true, tags: []string{"lay"}, Turns: []TurnResult{expecting(reply(chat.KindAnswer, "It is made for each patient. [1]", p), ev)}},
		{ID: "hello", Passed: true, tags: []string{"greeting"}, Turns: []TurnResult{reply(chat.KindGreeting, "Hi.")}},
	}}
	rep.score()
	wantMetric(t, rep.Metrics, "answer_hit", 0.5)
	wantMetric(t, rep.Metrics, "dangling_rate", 0.5)
	wantMetric(t, rep.Tags["basics"], "answer_hit", 1)
	wantMetric(t, rep.Tags["basics"], "lead_hit", 1)
	wantMetric(t, rep.Tags["basics"], "dangling_rate", 0)
	wantMetric(t, rep.Tags["basics"], "duplicate_rate", 0)
	wantMetric(t, rep.Tags["lay"], "answer_hit", 0)
	wantMetric(t, rep.Tags["lay"], "dangling_rate", 1)
	wantNull(t, rep.Tags["lay"], "duplicate_rate")
	wantMetric(t, rep.Tags["lay"], "answer_words_p50", 6)
	wantNull(t, rep.Tags["greeting"], "answer_hit")

	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var decoded struct {
		Metrics map[string]any `json:"metrics"`
		Results []struct {
			Turns []map[string]any `json:"turns"`
		} `json:"results"`
	}
	if err := json.Unmarshal(buf.Bytes(), &decoded); err != nil {
		t.Fatal(err)
	}
	if decoded.Metrics["dangling_rate"] != 0.5 || decoded.Metrics["answer_words_p95"] == nil {
		t.Errorf("metrics in JSON = %v", decoded.Metrics)
	}
	good, dangling, hello := decoded.Results[0].Turns[0], decoded.Results[1].Turns[0], decoded.Results[2].Turns[0]
	if good["answer_hit"] != true || good["lead_hit"] != true || good["dangling"] != false || good["duplicate"] != false || good["answer_words"] != 13.0 {
		t.Errorf("good turn = %v", good)
	}
	if dangling["dangling"] != true || dangling["answer_hit"] != false || dangling["duplicate"] != nil {
		t.Errorf("dangling turn = %v", dangling)
	}
	for _, k := range []string{"answer_hit", "lead_hit", "dangling", "duplicate", "answer_words"} {
		if v, ok := hello[k]; !ok || v != nil {
			t.Errorf("greeting turn %s = %v (present %v), want null", k, v, ok)
		}
	}

	var text, page bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	cmp := Compare(rep, rep)
	if err := rep.WriteHTML(&page, &cmp); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"answer_hit", "lead_hit", "dangling_rate", "duplicate_rate", "answer_words_p50", "answer_words_p95"} {
		if !strings.Contains(text.String(), name) || !strings.Contains(page.String(), name) {
			t.Errorf("%s missing from the text or HTML report", name)
		}
	}
	// CI prints the summary's first 23 lines: the original 14 metrics keep
	// lines 4-17, the reading ones 18-23, the generation ones follow, then
	// the answer library's.
	lines := strings.Split(text.String(), "\n")
	if !strings.HasPrefix(lines[3], "retrieval_hit@1 ") || !strings.HasPrefix(lines[16], "pass_rate ") ||
		!strings.HasPrefix(lines[17], "answer_hit ") || !strings.HasPrefix(lines[22], "answer_words_p95 ") ||
		!strings.HasPrefix(lines[23], "llm_rejected_rate ") || !strings.HasPrefix(lines[24], "unsupported_sentences ") ||
		!strings.HasPrefix(lines[25], "library_rate ") || !strings.HasPrefix(lines[27], "library_hit ") || lines[28] != "" {
		t.Errorf("summary lines moved:\n%s", text.String())
	}
}

func TestReadingThresholdsAndCompare(t *testing.T) {
	for _, s := range []string{"answer_hit=0.9", "lead_hit=0.5", "dangling_rate=0.1", "duplicate_rate=0", "answer_words_p50=60", "answer_words_p95=140"} {
		if _, err := ParseThreshold(s, strings.Contains(s, "rate") || strings.Contains(s, "words")); err != nil {
			t.Errorf("ParseThreshold(%q): %v", s, err)
		}
	}
	hit, dang, words := 0.8, 0.1, 90.0
	m := Metrics{AnswerHit: &hit, DanglingRate: &dang, AnswerWordsP95: &words}
	th := func(s string, max bool) Threshold {
		t.Helper()
		x, err := ParseThreshold(s, max)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	if err := Check(m, []Threshold{th("answer_hit=0.8", false), th("dangling_rate=0.1", true), th("answer_words_p95=90", true)}); err != nil {
		t.Errorf("met thresholds fail: %v", err)
	}
	err := Check(m, []Threshold{th("answer_hit=0.9", false), th("dangling_rate=0", true), th("lead_hit=0.1", false)})
	if err == nil {
		t.Fatal("unmet thresholds pass")
	}
	for _, want := range []string{"answer_hit is 0.800", "dangling_rate is 0.100", "lead_hit is null"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}

	lessDangling, moreWords, lowerHit := 0.05, 120.0, 0.7
	base := &Report{Name: "old", Metrics: m}
	cur := &Report{Name: "new", Metrics: Metrics{AnswerHit: &lowerHit, DanglingRate: &lessDangling, AnswerWordsP95: &moreWords}}
	var buf bytes.Buffer
	if err := Compare(base, cur).WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"answer_hit", "-0.100 (worse)", "dangling_rate", "-0.050 (better)", "answer_words_p95", "+30.000 (worse)", "lead_hit"} {
		if !strings.Contains(out, want) {
			t.Errorf("comparison lacks %q:\n%s", want, out)
		}
	}
}

func TestReadingJudgesQuotedWordsWithoutGlosses(t *testing.T) {
	passage := "HCT is used to treat leukemia. It is also used for SCID."
	glossed := func(text string, g ...chat.Gloss) TurnResult {
		tr := reply(chat.KindAnswer, text, passage)
		tr.Glosses = g
		return expecting(tr, Expect{Kinds: []chat.Kind{chat.KindAnswer}, Evidence: []string{"HCT is used to treat"}})
	}
	hct := chat.Gloss{Term: "HCT", Expansion: "hematopoietic cell transplantation"}
	text := "HCT (hematopoietic cell transplantation) is used to treat leukemia. [1] It is also used for SCID. [1]"
	m := metricsOf(glossed(text, hct))
	if got := fmt.Sprint(*m.AnswerHit, *m.LeadHit, *m.DanglingRate); got != "1 1 0" {
		t.Errorf("with its gloss listed: answer_hit, lead_hit, dangling = %s, want 1 1 0", got)
	}
	// The same text without the list of glosses: the evidence is broken
	// up, so the figures can tell the difference.
	m = metricsOf(glossed(text))
	if got := fmt.Sprint(*m.AnswerHit); got != "0" {
		t.Errorf("without its gloss listed: answer_hit = %s, want 0", got)
	}
}

func withReferents(tr TurnResult, refs ...chat.Referent) TurnResult {
	tr.Referents = refs
	return tr
}
