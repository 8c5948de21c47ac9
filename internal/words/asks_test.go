package words

import "testing"

func TestQuestionForm(t *testing.T) {
	for q, want := range map[string]string{
		"What is CRS?":                           FormWhat,
		"Which diseases is HCT used to treat?":   FormWhat,
		"Can you tell me what CAR T therapy is?": FormWhat,
		"whats an ATMP":                          FormWhat,
		"Tell me about Ebvallo":                  FormWhat,
		"How is CRS treated?":                    FormHow,
		"How long does CAR-T take?":              FormDuration,
		"how much does CAR-T cost":               FormAmount,
		"How many infusions are there?":          FormAmount,
		"Why is chemo given first?":              FormWhy,
		"Where do the stem cells come from?":     FormWhere,
		"When is the clinic open?":               FormWhen,
		"What time does the clinic open?":        FormWhen,
		"Who decides if I can have CAR-T?":       FormWho,
		"Can cell therapy cure diabetes?":        "",
		"CAR-T side effects":                     "",
		"":                                       "",
	} {
		if got := QuestionForm(q); got != want {
			t.Errorf("QuestionForm(%q) = %q, want %q", q, got, want)
		}
	}
}
