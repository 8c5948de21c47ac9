package words

import "testing"

func TestIsVague(t *testing.T) {
	for w, want := range map[string]bool{"far": true, "ago": true, "moment": true, "people": true, "ordinary": true,
		"cat": false, "hair": false, "drive": false, "pregnant": false, "sushi": false, "transplant": false} {
		if got := IsVague(w); got != want {
			t.Errorf("IsVague(%q) = %v, want %v", w, got, want)
		}
	}
}
