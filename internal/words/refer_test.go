package words

import "testing"

func TestRefersBack(t *testing.T) {
	for s, want := range map[string]bool{
		"It can have significant side effects.":                         true,
		"It's given in hospital.":                                       true,
		"Items are listed below.":                                       false,
		"These modified T cells are then infused back.":                 true,
		"“They can calm the immune system.”":                            true,
		"In addition, the cells are checked.":                           true,
		"Therefore, cell-based treatments are provided in departments.": true,
		"One example of this, CAR-T, is approved.":                      true,
		"It is important to note that CAR-T therapy is complex.":        false,
		"It is also used as a treatment for inherited disorders.":       true,
		"CAR-T typically uses a person’s own cells.":                    false,
		"Thereafter the cells grow.":                                    false,
		"So the special thing is that it is the cells’ own function.":   true,
		"One example is Ebvallo (tabelecleucel), which is approved.":    true,
		"Examples include leukemia and lymphoma.":                       true,
		"One example of cellular therapy is CAR-T.":                     false,
		"One examiner is present.":                                      false,
	} {
		if got := RefersBack(s); got != want {
			t.Errorf("RefersBack(%q) = %v, want %v", s, got, want)
		}
	}
}
