package chat

import (
	"strings"
	"testing"
	"time"
)

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{
		"CELLCHAT_DISCLAIMER":         "Talk to your team.",
		"CELLCHAT_EMERGENCY_NUMBER":   "112",
		"CELLCHAT_CARE_TEAM_PHONE":    "the ward on 555-0100",
		"CELLCHAT_MIN_CONFIDENCE":     "0.6",
		"CELLCHAT_LLM":                "ollama",
		"CELLCHAT_LLM_MODEL":          "llama3.2",
		"CELLCHAT_LLM_STALL_TIMEOUT":  "3s",
		"CELLCHAT_MAX_QUESTION_CHARS": "50",
		"CELLCHAT_LLM_MIN_SUPPORT":    "0.8",
		"CELLCHAT_LLM_KEEP_SUPPORTED": "true",
	}
	cfg, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Disclaimer != "Talk to your team." || cfg.EmergencyNumber != "112" || cfg.MinConfidence != 0.6 ||
		cfg.LLM == nil || cfg.LLMName != "llama3.2" || cfg.LLMStallTimeout != 3*time.Second || cfg.MaxQuestionLen != 50 ||
		cfg.MinSupport != 0.8 || !cfg.KeepSupported {
		t.Errorf("config %+v", cfg)
	}
	e, _ := newFakeEngine(t, cfg)
	r := answer(t, e, nil, "I have chest pain")
	if !strings.Contains(r.Text, "112") || !strings.Contains(r.Text, "555-0100") || r.Disclaimer != "Talk to your team." {
		t.Errorf("env settings not in the reply: %q / %q", r.Text, r.Disclaimer)
	}
	for k, v := range map[string]string{"CELLCHAT_MIN_CONFIDENCE": "high", "CELLCHAT_LLM_TIMEOUT": "-1s", "CELLCHAT_LLM": "magic", "CELLCHAT_MAX_QUESTION_CHARS": "0",
		"CELLCHAT_LLM_MIN_SUPPORT": "0", "CELLCHAT_LLM_KEEP_SUPPORTED": "sometimes"} {
		if _, err := ConfigFromEnv(func(key string) string {
			if key == k {
				return v
			}
			return ""
		}); err == nil {
			t.Errorf("%s=%s accepted", k, v)
		}
	}
}
