package corpus

import (
	"fmt"
	"time"
)

// Warnings are what a clinic should fix in a document that loaded: source
// details patients and staff rely on that the manifest does not give, and
// a review that is due. now is the day to judge the review date by.
func (d Document) Warnings(now time.Time) []string {
	var out []string
	if d.URL == "" {
		out = append(out, fmt.Sprintf("no url in %s: citations cannot link to the source", ManifestName))
	}
	if d.Reviewed == "" {
		out = append(out, fmt.Sprintf("no reviewed date in %s: nobody can tell how current it is", ManifestName))
	}
	if due, ok := d.ReviewDue(); ok && !now.Before(due) {
		out = append(out, fmt.Sprintf("review due since %s (reviewed %s, review_every %d months)", due.Format(time.DateOnly), d.Reviewed, d.ReviewEvery))
	}
	return out
}

// ReviewDue is the day the document is due for review again, when the
// manifest gives a review date and a schedule.
func (d Document) ReviewDue() (time.Time, bool) {
	if d.ReviewEvery <= 0 {
		return time.Time{}, false
	}
	reviewed, err := time.Parse(time.DateOnly, d.Reviewed)
	if err != nil {
		return time.Time{}, false
	}
	return reviewed.AddDate(0, d.ReviewEvery, 0), true
}
