package staff

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/transcript"
)

// kindColors are the chart colours of the reply kinds (colour-blind safe).
var kindColors = map[chat.Kind]string{
	chat.KindAnswer:    "#0072b2",
	chat.KindNoAnswer:  "#e69f00",
	chat.KindEmergency: "#d55e00",
	chat.KindReferral:  "#009e73",
	chat.KindGreeting:  "#999999",
}

type svgRect struct {
	X, Y, W, H float64
	Fill       string
	Title      string
}

type svgLabel struct {
	X, Y float64
	Text string
}

type legendItem struct {
	Kind  string
	Color string
}

// dayChart is a stacked bar chart of replies per day by kind.
type dayChart struct {
	Width, Height float64
	Bars          []svgRect
	Labels        []svgLabel
	Max           int
	Legend        []legendItem
}

// hbar is one horizontal bar of a "share" chart.
type hbar struct {
	Label    string
	Value    int
	W        float64 // bar width in px, of 300
	Y, TextY float64
	Text     string
	Fill     string
}

// hbarChart is a labelled set of horizontal bars, each a share of a total.
type hbarChart struct {
	Label  string
	Height float64
	Bars   []hbar
}

func buildDayChart(days []transcript.DayCount) dayChart {
	ch := dayChart{Width: 720, Height: 220}
	for _, k := range chat.Kinds {
		ch.Legend = append(ch.Legend, legendItem{string(k), kindColors[k]})
	}
	for _, d := range days {
		ch.Max = max(ch.Max, d.Total)
	}
	if len(days) == 0 || ch.Max == 0 {
		return ch
	}
	const top, bottom, left, right = 10.0, 30.0, 40.0, 24.0
	plotH := ch.Height - top - bottom
	slot := (ch.Width - left - right) / float64(len(days))
	barW := max(slot*0.8, 1)
	for i, d := range days {
		x := left + float64(i)*slot + (slot-barW)/2
		y := ch.Height - bottom
		for _, k := range chat.Kinds {
			n := d.ByKind[string(k)]
			if n == 0 {
				continue
			}
			h := plotH * float64(n) / float64(ch.Max)
			y -= h
			ch.Bars = append(ch.Bars, svgRect{X: x, Y: y, W: barW, H: h, Fill: kindColors[k],
				Title: fmt.Sprintf("%s: %d %s", d.Day, n, k)})
		}
		// Label the first, the last and about eight days between.
		if step := max(len(days)/8, 1); i%step == 0 || i == len(days)-1 {
			ch.Labels = append(ch.Labels, svgLabel{X: x + barW/2, Y: ch.Height - bottom + 16, Text: d.Day[5:]})
		}
	}
	return ch
}

// buildRateChart draws the share of no-answer replies per day (days
// without replies have no bar).
func buildRateChart(days []transcript.DayCount) dayChart {
	ch := dayChart{Width: 720, Height: 160, Max: 100}
	if len(days) == 0 {
		return ch
	}
	const top, bottom, left, right = 10.0, 30.0, 40.0, 24.0
	plotH := ch.Height - top - bottom
	slot := (ch.Width - left - right) / float64(len(days))
	barW := max(slot*0.8, 1)
	for i, d := range days {
		x := left + float64(i)*slot + (slot-barW)/2
		if d.Total > 0 {
			rate := float64(d.ByKind[string(chat.KindNoAnswer)]) / float64(d.Total)
			h := max(plotH*rate, 1) // a zero rate still shows the day had replies
			ch.Bars = append(ch.Bars, svgRect{X: x, Y: ch.Height - bottom - h, W: barW, H: h, Fill: kindColors[chat.KindNoAnswer],
				Title: fmt.Sprintf("%s: %.0f%% no-answer (%d of %d)", d.Day, 100*rate, d.ByKind[string(chat.KindNoAnswer)], d.Total)})
		}
		if step := max(len(days)/8, 1); i%step == 0 || i == len(days)-1 {
			ch.Labels = append(ch.Labels, svgLabel{X: x + barW/2, Y: ch.Height - bottom + 16, Text: d.Day[5:]})
		}
	}
	return ch
}

func shareBars(label string, items []hbar, total int) hbarChart {
	for i := range items {
		items[i].Y = float64(i) * 24
		items[i].TextY = items[i].Y + 14
		if total > 0 {
			items[i].W = 300 * float64(items[i].Value) / float64(total)
			items[i].Text = fmt.Sprintf("%d (%.0f%%)", items[i].Value, 100*float64(items[i].Value)/float64(total))
		} else {
			items[i].Text = strconv.Itoa(items[i].Value)
		}
	}
	return hbarChart{Label: label, Height: float64(len(items)) * 24, Bars: items}
}

func (c *console) handleDashboard() http.Handler {
	type data struct {
		pageData
		Days          int
		Warnings      []string
		Stats         transcript.Stats
		Chart         dayChart
		RateChart     dayChart
		NoAnswerRate  string
		FeedbackRatio string
		Feedback      hbarChart
		Backlog       hbarChart
		Outcomes      hbarChart
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		days := 30
		if v := r.URL.Query().Get("days"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 3660 {
				c.renderError(w, r, http.StatusBadRequest, "days: want a number from 1 to 3660")
				return
			}
			days = n
		}
		from := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
		st, err := c.store.Stats(r.Context(), from, time.Time{})
		if err != nil {
			c.readFailed(w, r, true, "staff dashboard", err)
			return
		}
		filled := fillDays(st.Days, from, days)
		d := data{pageData: c.page(r, "Dashboard", "dashboard"), Days: days, Warnings: c.cfg.Warnings, Stats: st,
			Chart: buildDayChart(filled), RateChart: buildRateChart(filled), NoAnswerRate: "–", FeedbackRatio: "–"}
		if st.Replies > 0 {
			d.NoAnswerRate = fmt.Sprintf("%.1f%%", 100*float64(st.NoAnswers)/float64(st.Replies))
		}
		if fb := st.FeedbackUp + st.FeedbackDown; fb > 0 {
			d.FeedbackRatio = fmt.Sprintf("%.0f%% up", 100*float64(st.FeedbackUp)/float64(fb))
		}
		d.Feedback = shareBars("Patient feedback: thumbs up and down", []hbar{
			{Label: "thumbs up", Value: st.FeedbackUp, Fill: "#009e73"},
			{Label: "thumbs down", Value: st.FeedbackDown, Fill: "#d55e00"},
		}, st.FeedbackUp+st.FeedbackDown)
		d.Backlog = shareBars("Review backlog, as a share of all replies", []hbar{
			{Label: "never reviewed", Value: st.Unreviewed, Fill: "#999999"},
			{Label: "thumbs down, not reviewed", Value: st.DownNoReview, Fill: "#d55e00"},
			{Label: "needs correction or wrong", Value: st.NeedsFollowUp, Fill: "#e69f00"},
		}, st.Replies)
		var kinds []hbar
		for _, k := range chat.Kinds {
			n := 0
			for _, day := range st.Days {
				n += day.ByKind[string(k)]
			}
			kinds = append(kinds, hbar{Label: string(k), Value: n, Fill: kindColors[k]})
		}
		d.Outcomes = shareBars("Replies by kind", kinds, st.Replies)
		c.render(w, r, http.StatusOK, "dashboard.html", d)
	})
}

// fillDays returns one entry per day of the period, zero for days without replies.
func fillDays(got []transcript.DayCount, from time.Time, days int) []transcript.DayCount {
	byDay := map[string]transcript.DayCount{}
	for _, d := range got {
		byDay[d.Day] = d
	}
	out := make([]transcript.DayCount, 0, days)
	for i := range days {
		day := from.AddDate(0, 0, i).Format("2006-01-02")
		d, ok := byDay[day]
		if !ok {
			d = transcript.DayCount{Day: day, ByKind: map[string]int{}}
		}
		out = append(out, d)
	}
	return out
}

func (c *console) handleAPIStats() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		days := 30
		if v := r.URL.Query().Get("days"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 3660 {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "days: want a number from 1 to 3660"})
				return
			}
			days = n
		}
		from := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
		st, err := c.store.Stats(r.Context(), from, time.Time{})
		if err != nil {
			c.readFailed(w, r, false, "staff api stats", err)
			return
		}
		writeJSON(w, http.StatusOK, st)
	})
}
