package words

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func sentences(text string) []string {
	var out []string
	for _, sp := range Sentences(text) {
		out = append(out, text[sp.Start:sp.End])
	}
	return out
}

func TestSentences(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"", nil},
		{"  \n ", nil},
		{"One. Two! Three? Four", []string{"One.", "Two!", "Three?", "Four"}},
		{"Cells divide. They grow.", []string{"Cells divide.", "They grow."}},
		{"Dr. Smith uses CAR-T, e.g. for leukemia. It works.", []string{"Dr. Smith uses CAR-T, e.g. for leukemia.", "It works."}},
		{"Use e.g. this one. Dr. Smith agrees. J. Doe too.", []string{"Use e.g. this one.", "Dr. Smith agrees.", "J. Doe too."}},
		{"Prof. A. B. Jones wrote this. He is at St. Jude.", []string{"Prof. A. B. Jones wrote this.", "He is at St. Jude."}},
		{"See Fig. 2 for details. About 1 in 3 (approx. 30%) respond.", []string{"See Fig. 2 for details.", "About 1 in 3 (approx. 30%) respond."}},
		{"A dose of 2.5 mg is given. Then rest.", []string{"A dose of 2.5 mg is given.", "Then rest."}},
		{"Version 2.5 is out. 3 cells.", []string{"Version 2.5 is out.", "3 cells."}},
		{"HSCs (from a donor. Or not) are used. Next.", []string{"HSCs (from a donor. Or not) are used.", "Next."}},
		{"Chimeric antigen receptor (CAR) T cells are engineered. They attack cancer.", []string{"Chimeric antigen receptor (CAR) T cells are engineered.", "They attack cancer."}},
		{"Here's how it works: Collection: First, T cells are collected.", []string{"Here's how it works:", "Collection:", "First, T cells are collected."}},
		{"Cells are of two kinds: autologous and allogeneic.", []string{"Cells are of two kinds: autologous and allogeneic."}},
		{"Cell therapy can be autologous or allogeneic:\n• In autologous treatment, you use the patient’s own cells.\n\nIn allogeneic treatment, the cells come from a donor.",
			[]string{"Cell therapy can be autologous or allogeneic:", "In autologous treatment, you use the patient’s own cells.", "In allogeneic treatment, the cells come from a donor."}},
		{"heading without stop\nNext line.", []string{"heading without stop", "Next line."}},
		{"It is “matched.” Many never find one!", []string{"It is “matched.”", "Many never find one!"}},
		{"It said \"stop.\" Then it went on.", []string{"It said \"stop.\"", "Then it went on."}},
		{"Immune suppression . Chemotherapy is hard.", []string{"Immune suppression .", "Chemotherapy is hard."}},
		{"the U.S. approved it. Good.", []string{"the U.S. approved it.", "Good."}},
		{"lower. case stays", []string{"lower. case stays"}},
		{"Cells are infused… Then monitored... Then sent home.", []string{"Cells are infused…", "Then monitored...", "Then sent home."}},
		{"Is it contagious? No. It is not.", []string{"Is it contagious?", "No.", "It is not."}},
		{"Call No. 5 today. It helps.", []string{"Call No. 5 today.", "It helps."}},
		{"Steps: 1. Collection. 2. Modification.\n3. Infusion.", []string{"Steps: 1. Collection.", "2. Modification.", "3. Infusion."}},
		{"• 1. Collection. He was 12. Then he grew.", []string{"1. Collection.", "He was 12.", "Then he grew."}},
		{"Is it safe?I think so.", []string{"Is it safe?I think so."}},
	}
	for _, tt := range tests {
		if got := sentences(tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Sentences(%q)\n got %q\nwant %q", tt.text, got, tt.want)
		}
	}
}

// FuzzSentences checks the splitter on any text: spans lie in the text, in
// order, without overlap, and hold no leading or trailing white space.
func FuzzSentences(f *testing.F) {
	f.Add("Dr. Smith said e.g. 3.5 mg (i.e. a lot). Then: Collection: First, cells.\n\n• In autologous treatment, you use cells.")
	f.Add("“Quoted.” Next one! And? (Open paren. never closed… No. 5")
	f.Fuzz(func(t *testing.T, text string) {
		prev := 0
		for _, sp := range Sentences(text) {
			if sp.Start < prev || sp.End <= sp.Start || sp.End > len(text) {
				t.Fatalf("bad span %v after %d in %q", sp, prev, text)
			}
			s := text[sp.Start:sp.End]
			if strings.TrimSpace(s) != s && utf8.ValidString(s) {
				t.Fatalf("span %q not trimmed", s)
			}
			prev = sp.End
		}
	})
}
