package retrieval

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadLexicon(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name    string
		path    string
		groups  int
		wantErr string
	}{
		{"missing file is empty", filepath.Join(dir, "nope.yaml"), 0, ""},
		{"empty file is empty", write("empty.yaml", ""), 0, ""},
		{"valid", write("ok.yaml", "synonyms:\n  - [CRS, cytokine release syndrome]\n  - [chemo, chemotherapy]\n"), 2, ""},
		{"not yaml", write("bad.yaml", "synonyms: [[unclosed\n"), 0, "bad.yaml"},
		{"unknown field", write("field.yaml", "synonym:\n  - [a, b]\n"), 0, "field synonym not found"},
		{"group of one", write("one.yaml", "synonyms:\n  - [alone]\n"), 0, "at least two terms"},
		{"term without words", write("blank.yaml", "synonyms:\n  - [ok, \"--\"]\n"), 0, "has no words"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lex, err := LoadLexicon(tt.path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if lex.Len() != tt.groups {
				t.Fatalf("%d groups, want %d", lex.Len(), tt.groups)
			}
		})
	}
}

func TestProjectLexiconExpands(t *testing.T) {
	lex, err := LoadLexicon("../corpus/lexicon.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		query string
		want  []string // must be among the expansions
		not   []string // must not be
	}{
		{"Is a bone marrow transplant the same as HSCT?", []string{"stem cell transplant", "HCT"}, []string{"HSCT", "bone marrow transplant"}},
		{"Can they use my own cells?", []string{"autologous"}, nil},
		{"What are the side effects?", []string{"toxicities", "adverse events"}, nil},
		{"what is crs", []string{"cytokine release syndrome"}, nil},
		{"Is GVHD common?", []string{"graft-versus-host disease"}, nil},
		{"Do I need chemo first?", []string{"conditioning", "chemotherapy"}, nil},
		{"What is the weather like?", nil, []string{"autologous"}},
	}
	for _, tt := range tests {
		got := lex.Expand(tt.query)
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("Expand(%q) = %q, missing %q", tt.query, got, w)
			}
		}
		for _, w := range tt.not {
			if slices.Contains(got, w) {
				t.Errorf("Expand(%q) = %q, should not contain %q", tt.query, got, w)
			}
		}
	}
	if got := (*Lexicon)(nil).Expand("side effects"); got != nil {
		t.Errorf("nil lexicon expanded to %q", got)
	}
}
