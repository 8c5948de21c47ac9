package chat

import "testing"

func TestQuotable(t *testing.T) {
	e, _ := newFakeEngine(t, Config{})
	for s, want := range map[string]bool{
		"Autologous cell therapy means the cells are collected from the individual's own body.": true,
		"Matched donors.":                         false, // a heading
		"Here's how CAR-T therapy works:":         false, // a list stub
		"Learn more about gene therapy basics.":   false, // a call to action
		"and then the cells are returned to you.": false, // a fragment
		"Is CAR-T therapy safe for most people?":  false, // a question
	} {
		if got := e.quotable(s); got != want {
			t.Errorf("quotable(%q) = %v, want %v", s, got, want)
		}
	}
}
