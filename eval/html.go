package eval

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"time"
)

// The HTML report is one self-contained file: inline CSS and inline SVG, no
// scripts, fonts, images or links to fetch, so it can be mailed or archived
// as a CI artifact. Every text (questions, replies, passages) goes through
// html/template and is escaped.

type htmlBar struct {
	Label string
	Value string // as shown
	Y     int
	W     float64 // bar width in px
	Null  bool
}

type htmlChart struct {
	Height int
	Bars   []htmlBar
}

type htmlColumn struct {
	X, Y, W, H float64
	Label      string // bucket range
	Count      int
}

type htmlHistogram struct {
	Columns []htmlColumn
	MaxMs   string
	MaxN    int
	Total   int
}

type htmlTagRow struct {
	Tag    string
	Cases  int
	Values []string
}

type htmlView struct {
	R          *Report
	Metrics    []htmlBar // every metric as text
	Shares     htmlChart // share metrics as bars
	TagPass    htmlChart
	TagNames   []string // metric names, table header
	TagRows    []htmlTagRow
	Latency    htmlHistogram
	Failing    []CaseResult
	Comparison *Comparison
}

const barMaxWidth = 360.0

func shareChart(rows [][2]any) htmlChart {
	c := htmlChart{}
	for i, row := range rows {
		label, v := row[0].(string), row[1].(*float64)
		b := htmlBar{Label: label, Y: i * 24, Value: "null", Null: v == nil}
		if v != nil {
			b.Value = fmt.Sprintf("%.3f", *v)
			b.W = math.Max(0, math.Min(1, *v)) * barMaxWidth
		}
		c.Bars = append(c.Bars, b)
	}
	c.Height = len(rows)*24 + 4
	return c
}

func latencyHistogram(ds []time.Duration) htmlHistogram {
	const buckets, width, height = 20, 560.0, 140.0
	h := htmlHistogram{Total: len(ds)}
	if len(ds) == 0 {
		return h
	}
	maxMs := 0.0
	for _, d := range ds {
		maxMs = math.Max(maxMs, float64(d.Microseconds())/1000)
	}
	if maxMs == 0 {
		maxMs = 0.001
	}
	counts := make([]int, buckets)
	for _, d := range ds {
		i := int(float64(d.Microseconds()) / 1000 / maxMs * buckets)
		counts[min(i, buckets-1)]++
	}
	for _, n := range counts {
		h.MaxN = max(h.MaxN, n)
	}
	step := maxMs / buckets
	colW := width / buckets
	for i, n := range counts {
		ch := float64(n) / float64(h.MaxN) * height
		h.Columns = append(h.Columns, htmlColumn{
			X: float64(i) * colW, Y: height - ch, W: colW - 2, H: ch, Count: n,
			Label: fmt.Sprintf("%.3f–%.3f ms: %d turns", float64(i)*step, float64(i+1)*step, n),
		})
	}
	h.MaxMs = fmt.Sprintf("%.3f", maxMs)
	return h
}

// WriteHTML writes the self-contained HTML report; cmp may be nil.
func (r *Report) WriteHTML(w io.Writer, cmp *Comparison) error {
	v := htmlView{R: r, Failing: r.Failing(), Comparison: cmp, Latency: latencyHistogram(r.Latencies())}
	var shares [][2]any
	for _, mi := range MetricInfos {
		val := mi.Get(&r.Metrics)
		v.Metrics = append(v.Metrics, htmlBar{Label: mi.Name, Value: FormatValue(mi, val), Null: val == nil})
		if mi.Share {
			shares = append(shares, [2]any{mi.Name, val})
		}
	}
	v.Shares = shareChart(shares)
	counts := r.tagCounts()
	var tagPass [][2]any
	v.TagNames = MetricNames()
	for _, t := range r.TagNames() {
		m := r.Tags[t]
		tagPass = append(tagPass, [2]any{fmt.Sprintf("%s (%d)", t, counts[t]), m.PassRate})
		row := htmlTagRow{Tag: t, Cases: counts[t]}
		for _, mi := range MetricInfos {
			row.Values = append(row.Values, FormatValue(mi, mi.Get(&m)))
		}
		v.TagRows = append(v.TagRows, row)
	}
	v.TagPass = shareChart(tagPass)
	return htmlReport.Execute(w, v)
}

var htmlReport = template.Must(template.New("report").Funcs(template.FuncMap{
	"inc":  func(i int) int { return i + 1 },
	"clip": clip,
	"fmtDelta": func(c MetricChange) string {
		d := c.Delta()
		if d == nil {
			return "n/a"
		}
		return fmt.Sprintf("%+.3f", *d)
	},
	"fmtValue": FormatValue,
	"expect":   func(tr TurnResult) string { return tr.expect.String() },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cellchat eval: {{.R.Name}}</title>
<style>
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:64rem;padding:0 1rem;color:#1b1f24;background:#fff}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;font-size:.9rem}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.num{text-align:right;font-variant-numeric:tabular-nums}
.null{color:#8c959f;font-style:italic}.fail{color:#a40e26}.pass{color:#116329}
svg text{font:12px system-ui,sans-serif;fill:#1b1f24}
.case{border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1rem;margin:.8rem 0}
.turn{margin:.5rem 0 .8rem}.reply{white-space:pre-wrap;background:#f6f8fa;padding:.4rem .6rem;border-radius:4px}
.passage{font-size:.85rem;color:#57606a}.scroll{overflow-x:auto}
</style>
</head>
<body>
<h1>cellchat eval: {{.R.Name}}</h1>
<p><strong>{{.R.Passed}}</strong> of <strong>{{.R.Cases}}</strong> cases passed.</p>

<h2>Metrics</h2>
<svg role="img" aria-label="metrics between 0 and 1" width="600" height="{{.Shares.Height}}" viewBox="0 0 600 {{.Shares.Height}}">
{{range .Shares.Bars}}<g transform="translate(0,{{.Y}})"><text x="0" y="15">{{.Label}}</text>
<rect x="150" y="3" width="360" height="16" fill="#eaeef2"></rect>{{if not .Null}}<rect x="150" y="3" width="{{printf "%.1f" .W}}" height="16" fill="#0969da"></rect>{{end}}
<text x="518" y="15">{{.Value}}</text></g>
{{end}}</svg>
<table>
<tr><th>metric</th><th>value</th></tr>
{{range .Metrics}}<tr><td>{{.Label}}</td><td class="num{{if .Null}} null{{end}}">{{.Value}}</td></tr>
{{end}}</table>

{{with .Comparison}}
<h2>Compared with {{.Baseline}}</h2>
<table><tr><th>metric</th><th>baseline</th><th>now</th><th>change</th></tr>
{{range .Metrics}}<tr><td>{{.Metric.Name}}</td><td class="num">{{fmtValue .Metric .Baseline}}</td><td class="num">{{fmtValue .Metric .Current}}</td><td class="num">{{fmtDelta .}}</td></tr>
{{end}}</table>
{{if .NewlyFailing}}<p class="fail">Newly failing: {{range $i, $id := .NewlyFailing}}{{if $i}}, {{end}}{{$id}}{{end}}</p>{{end}}
{{if .NewlyPassing}}<p class="pass">Newly passing: {{range $i, $id := .NewlyPassing}}{{if $i}}, {{end}}{{$id}}{{end}}</p>{{end}}
{{end}}

{{if .TagRows}}
<h2>Per tag</h2>
<p>Pass rate per tag (number of cases in brackets):</p>
<svg role="img" aria-label="pass rate per tag" width="600" height="{{.TagPass.Height}}" viewBox="0 0 600 {{.TagPass.Height}}">
{{range .TagPass.Bars}}<g transform="translate(0,{{.Y}})"><text x="0" y="15">{{.Label}}</text>
<rect x="150" y="3" width="360" height="16" fill="#eaeef2"></rect>{{if not .Null}}<rect x="150" y="3" width="{{printf "%.1f" .W}}" height="16" fill="#1a7f37"></rect>{{end}}
<text x="518" y="15">{{.Value}}</text></g>
{{end}}</svg>
<div class="scroll"><table>
<tr><th>tag</th><th>cases</th>{{range .TagNames}}<th>{{.}}</th>{{end}}</tr>
{{range .TagRows}}<tr><td>{{.Tag}}</td><td class="num">{{.Cases}}</td>{{range .Values}}<td class="num{{if eq . "null"}} null{{end}}">{{.}}</td>{{end}}</tr>
{{end}}</table></div>
{{end}}

<h2>Latency</h2>
{{if .Latency.Total}}
<p>Engine time per turn, {{.Latency.Total}} turns, 0 to {{.Latency.MaxMs}} ms in 20 buckets (tallest: {{.Latency.MaxN}} turns).</p>
<svg role="img" aria-label="latency histogram" width="600" height="170" viewBox="0 0 600 170">
<g transform="translate(20,5)">
{{range .Latency.Columns}}<rect x="{{printf "%.1f" .X}}" y="{{printf "%.1f" .Y}}" width="{{printf "%.1f" .W}}" height="{{printf "%.1f" .H}}" fill="#8250df"><title>{{.Label}}</title></rect>
{{end}}<line x1="0" y1="140" x2="560" y2="140" stroke="#57606a"></line>
<text x="0" y="158">0 ms</text><text x="500" y="158">{{.Latency.MaxMs}} ms</text>
</g></svg>
{{else}}<p class="null">No answered turns.</p>{{end}}

<h2>Failing cases ({{len .Failing}})</h2>
{{range .Failing}}<div class="case" id="case-{{.ID}}">
<h3>{{.ID}}</h3>
{{range $i, $t := .Turns}}<div class="turn">
<p><strong>Turn {{inc $i}}:</strong> {{$t.Ask}}</p>
{{with expect $t}}<p>Expected: {{.}}</p>{{end}}
<p>Got <strong>{{if $t.Kind}}{{$t.Kind}}{{else}}no reply{{end}}</strong>:</p>
<div class="reply">{{$t.Text}}</div>
{{if $t.Citations}}<ol>{{range $t.Citations}}<li class="passage">{{.DocID}}{{if .Section}} / {{.Section}}{{end}}: {{clip .Passage 300}}</li>{{end}}</ol>{{end}}
{{range $t.Failures}}<p class="fail">{{.}}</p>{{end}}
{{if $t.Failures}}{{if $t.Retrieved}}<p>Top retrieved passages:</p><ol>{{range $j, $p := $t.Retrieved}}{{if lt $j 3}}<li class="passage">{{printf "%.3f" $p.Score}} {{$p.DocID}}: {{clip $p.Text 240}}</li>{{end}}{{end}}</ol>{{end}}{{end}}
</div>{{end}}
</div>
{{else}}<p class="pass">Every case passed.</p>
{{end}}
</body>
</html>
`))
