package chat

import (
	"fmt"
	"strconv"
	"time"
)

// ConfigFromEnv reads the engine's settings from CELLCHAT_* environment
// variables, so a clinic sets its own texts and numbers without flags:
//
//	CELLCHAT_DISCLAIMER          the consult-your-clinician text on every reply
//	CELLCHAT_EMERGENCY_TEXT      the whole urgent message (replaces the three below)
//	CELLCHAT_EMERGENCY_NUMBER    e.g. "112"
//	CELLCHAT_CRISIS_LINE         e.g. "the crisis line on 0800 111 0 111"
//	CELLCHAT_CARE_TEAM_PHONE     e.g. "the transplant unit on 555-0100"
//	CELLCHAT_RULES               a rules.yaml replacing the built-in triage rules
//	CELLCHAT_MIN_CONFIDENCE      the no-answer threshold (0..1)
//	CELLCHAT_MAX_QUESTION_CHARS  the longest question accepted (as for serve)
//	CELLCHAT_LLM, _URL, _MODEL, _API_KEY   the generative mode, see LLMFromEnv
//	CELLCHAT_LLM_TIMEOUT, CELLCHAT_LLM_STALL_TIMEOUT   durations such as 30s
//	CELLCHAT_LLM_MIN_SUPPORT     share of a generated sentence's content words its passages must hold (0..1]
//	CELLCHAT_LLM_KEEP_SUPPORTED  true: show a generated answer's supported sentences, not the extractive answer
//
// Corpus statistics (Chunks) and CorpusVersion are the caller's to set.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		Disclaimer:      getenv("CELLCHAT_DISCLAIMER"),
		EmergencyText:   getenv("CELLCHAT_EMERGENCY_TEXT"),
		EmergencyNumber: getenv("CELLCHAT_EMERGENCY_NUMBER"),
		CrisisLine:      getenv("CELLCHAT_CRISIS_LINE"),
		CareTeamPhone:   getenv("CELLCHAT_CARE_TEAM_PHONE"),
		RulesPath:       getenv("CELLCHAT_RULES"),
	}
	if v := getenv("CELLCHAT_MIN_CONFIDENCE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return Config{}, fmt.Errorf("CELLCHAT_MIN_CONFIDENCE=%q: want a number from 0 to 1", v)
		}
		cfg.MinConfidence = f
		if f == 0 {
			cfg.MinConfidence = -1 // 0 means "answer whatever is found", not the default
		}
	}
	if v := getenv("CELLCHAT_MAX_QUESTION_CHARS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return Config{}, fmt.Errorf("CELLCHAT_MAX_QUESTION_CHARS=%q: want a positive number", v)
		}
		cfg.MaxQuestionLen = n
	}
	for _, d := range []struct {
		key string
		to  *time.Duration
	}{{"CELLCHAT_LLM_TIMEOUT", &cfg.LLMTimeout}, {"CELLCHAT_LLM_STALL_TIMEOUT", &cfg.LLMStallTimeout}} {
		if v := getenv(d.key); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				return Config{}, fmt.Errorf("%s=%q: want a positive duration such as 30s", d.key, v)
			}
			*d.to = t
		}
	}
	if v := getenv("CELLCHAT_LLM_MIN_SUPPORT"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 || f > 1 {
			return Config{}, fmt.Errorf("CELLCHAT_LLM_MIN_SUPPORT=%q: want a number above 0 and at most 1", v)
		}
		cfg.MinSupport = f
	}
	if v := getenv("CELLCHAT_LLM_KEEP_SUPPORTED"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("CELLCHAT_LLM_KEEP_SUPPORTED=%q: want true or false", v)
		}
		cfg.KeepSupported = b
	}
	m, name, err := LLMFromEnv(getenv)
	if err != nil {
		return Config{}, err
	}
	cfg.LLM, cfg.LLMName = m, name
	return cfg, nil
}
