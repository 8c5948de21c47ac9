package main

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runGlossaryCmd runs `cellchat glossary args...` in-process.
func runGlossaryCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runChatCLI(t, "", env, append([]string{"glossary"}, args...)...)
}

func TestGlossaryJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"flags", nil, []string{"--json", "--corpus", realCorpus, "--data", t.TempDir()}},
		{"env", map[string]string{"CELLCHAT_CORPUS": realCorpus, "CELLCHAT_JSON": "true"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, err := runGlossaryCmd(t, tc.env, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			byTerm := map[string]glossaryEntryJSON{}
			var terms []string
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				var e glossaryEntryJSON
				dec := json.NewDecoder(strings.NewReader(l))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&e); err != nil {
					t.Fatalf("line %q: %v", l, err)
				}
				if e.Term == "" || !strings.HasPrefix(e.ChunkID, e.DocID+"#") || (e.LongForm == "" && e.Definition == "" && e.Alias == "") {
					t.Errorf("bad entry line %q", l)
				}
				if (e.Definition == "") != (e.DefinitionChunkID == "") {
					t.Errorf("definition and its source disagree: %q", l)
				}
				byTerm[e.Term] = e
				terms = append(terms, e.Term)
			}
			for term, long := range map[string]string{
				"CRS":  "cytokine release syndrome",
				"GVHD": "graft-versus-host disease",
				"HSCT": "hematopoietic stem cell transplantation",
				"CAR":  "chimeric antigen receptor",
				"ATMP": "Advanced Therapy Medicinal Products",
			} {
				if e := byTerm[term]; e.LongForm != long {
					t.Errorf("%s: long form %q, want %q", term, e.LongForm, long)
				}
			}
			if _, ok := byTerm["SCID"]; ok {
				t.Error("SCID, spelled out two ways in the corpus, was listed")
			}
			if e := byTerm["cytokines"]; !strings.Contains(e.Definition, "chemical messengers called cytokines") || !strings.HasPrefix(e.DefinitionChunkID, "asgct-cell-therapy-basics#") {
				t.Errorf("cytokines: %+v", e)
			}
			for i := 1; i < len(terms); i++ {
				if strings.ToLower(terms[i-1]) > strings.ToLower(terms[i]) {
					t.Errorf("not sorted: %q before %q", terms[i-1], terms[i])
				}
			}
			if !strings.Contains(stderr, "left out SCID") {
				t.Errorf("stderr does not say SCID was left out: %q", stderr)
			}
		})
	}
}

func TestGlossaryText(t *testing.T) {
	out, stderr, err := runGlossaryCmd(t, nil, "--corpus", realCorpus)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"CRS = cytokine release syndrome  [curio-what-is-car-t#",
		"HSCT = hematopoietic stem cell transplantation (also: bone marrow transplant)  [asgct-cell-therapy-basics#",
		`Cell therapy  [asgct-cell-therapy-basics#`,
		`"Cell therapy is the transfer of a specific cell type(s) into a person to treat or prevent a disease."`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, " entries, 1 left out") {
		t.Errorf("stderr %q", stderr)
	}
}

func TestGlossaryUsageAndErrors(t *testing.T) {
	_, stderr, err := runGlossaryCmd(t, nil, "--help")
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr, "usage: cellchat glossary") || !strings.Contains(stderr, "-json") {
		t.Errorf("--help: err %v, stderr %q", err, stderr)
	}
	var ee *exitError
	if _, _, err = runGlossaryCmd(t, nil, "--corpus", realCorpus, "stray"); !errors.As(err, &ee) || ee.code != 2 {
		t.Errorf("stray argument: %v", err)
	}
	if _, _, err = runGlossaryCmd(t, nil, "--bogus"); !errors.As(err, &ee) || ee.code != 2 {
		t.Errorf("unknown flag: %v", err)
	}
	if _, _, err = runGlossaryCmd(t, nil, "--corpus", filepath.Join(t.TempDir(), "absent")); err == nil || !strings.Contains(err.Error(), "sources.yaml") {
		t.Errorf("missing corpus: %v", err)
	}
	// A broken file: the glossary of what loaded is printed, and the command fails.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "sources.yaml"), []byte("documents:\n  - id: good\n    title: Good\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "good.txt"), []byte("Overview\nSome patients get cytokine release syndrome (CRS) after the infusion of the cells.\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "broken.txt"), []byte("\x00\x01binary"), 0o644)
	out, _, err := runGlossaryCmd(t, nil, "--json", "--corpus", dir)
	if err == nil || !strings.Contains(err.Error(), "broken.txt") {
		t.Errorf("error %v", err)
	}
	if !strings.Contains(out, `"term":"CRS","long_form":"cytokine release syndrome"`) {
		t.Errorf("the good document's glossary was not printed: %q", out)
	}
}
