package eval

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
)

// MetricChange is one metric in a baseline and now.
type MetricChange struct {
	Metric   MetricInfo
	Baseline *float64
	Current  *float64
}

// Delta is current minus baseline, nil when either is null.
func (c MetricChange) Delta() *float64 {
	if c.Baseline == nil || c.Current == nil {
		return nil
	}
	return ptr(*c.Current - *c.Baseline)
}

// Comparison is a run set against an earlier one.
type Comparison struct {
	Baseline     string // baseline report name
	Metrics      []MetricChange
	NewlyFailing []string // passed in the baseline, fail now
	NewlyPassing []string // failed in the baseline, pass now
	Added        []string // not in the baseline
	Removed      []string // in the baseline only
}

// Compare sets the current report against a baseline, case by case (by id).
func Compare(baseline, current *Report) Comparison {
	c := Comparison{Baseline: baseline.Name}
	for _, mi := range MetricInfos {
		c.Metrics = append(c.Metrics, MetricChange{Metric: mi, Baseline: mi.Get(&baseline.Metrics), Current: mi.Get(&current.Metrics)})
	}
	before := make(map[string]bool, len(baseline.Results))
	for _, cr := range baseline.Results {
		before[cr.ID] = cr.Passed
	}
	now := make(map[string]bool, len(current.Results))
	for _, cr := range current.Results {
		now[cr.ID] = true
		passedBefore, known := before[cr.ID]
		switch {
		case !known:
			c.Added = append(c.Added, cr.ID)
		case passedBefore && !cr.Passed:
			c.NewlyFailing = append(c.NewlyFailing, cr.ID)
		case !passedBefore && cr.Passed:
			c.NewlyPassing = append(c.NewlyPassing, cr.ID)
		}
	}
	for _, cr := range baseline.Results {
		if !now[cr.ID] {
			c.Removed = append(c.Removed, cr.ID)
		}
	}
	return c
}

// WriteText prints each metric's change and the cases that changed.
func (c Comparison) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "compared with %s:\n", c.Baseline)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tbaseline\tnow\tchange\t")
	for _, mc := range c.Metrics {
		change := "n/a"
		if d := mc.Delta(); d != nil {
			change = strconv.FormatFloat(*d, 'f', 3, 64)
			if *d > 0 {
				change = "+" + change
			}
			switch {
			case *d == 0:
				change = "0"
			case (*d > 0) == mc.Metric.HigherIsBetter:
				change += " (better)"
			default:
				change += " (worse)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", mc.Metric.Name, FormatValue(mc.Metric, mc.Baseline), FormatValue(mc.Metric, mc.Current), change)
	}
	tw.Flush()
	list := func(title string, ids []string) {
		if len(ids) > 0 {
			fmt.Fprintf(ew, "%s (%d): %s\n", title, len(ids), strings.Join(ids, ", "))
		}
	}
	list("newly failing", c.NewlyFailing)
	list("newly passing", c.NewlyPassing)
	list("new cases", c.Added)
	list("cases no longer in the set", c.Removed)
	if len(c.NewlyFailing)+len(c.NewlyPassing) == 0 {
		fmt.Fprintln(ew, "no case changed between passing and failing")
	}
	return ew.err
}

// Threshold is a --min or --max bound on a metric.
type Threshold struct {
	Metric MetricInfo
	Max    bool // an upper bound (--max); else a lower bound (--min)
	Value  float64
}

// ParseThreshold parses METRIC=VALUE for --min (max false) or --max.
func ParseThreshold(s string, max bool) (Threshold, error) {
	name, val, ok := strings.Cut(s, "=")
	if !ok {
		return Threshold{}, fmt.Errorf("threshold %q: want METRIC=VALUE", s)
	}
	name = strings.TrimSpace(name)
	mi, found := LookupMetric(name)
	if !found {
		return Threshold{}, fmt.Errorf("threshold %q: unknown metric %q (known: %s)", s, name, strings.Join(MetricNames(), ", "))
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
	if err != nil {
		return Threshold{}, fmt.Errorf("threshold %q: value is not a number", s)
	}
	return Threshold{Metric: mi, Max: max, Value: v}, nil
}

func (t Threshold) String() string {
	op, flag := ">=", "--min"
	if t.Max {
		op, flag = "<=", "--max"
	}
	return fmt.Sprintf("%s %s=%g (%s %s %g)", flag, t.Metric.Name, t.Value, t.Metric.Name, op, t.Value)
}

// Check returns an error naming every threshold the metrics do not meet. A
// null metric (no eligible turns) meets no threshold: a gate that cannot be
// measured must not pass silently.
func Check(m Metrics, thresholds []Threshold) error {
	var errs []error
	for _, t := range thresholds {
		v := t.Metric.Get(&m)
		switch {
		case v == nil:
			errs = append(errs, fmt.Errorf("%s not met: %s is null (no eligible turns)", t, t.Metric.Name))
		case t.Max && *v > t.Value, !t.Max && *v < t.Value:
			errs = append(errs, fmt.Errorf("%s not met: %s is %s", t, t.Metric.Name, FormatValue(t.Metric, v)))
		}
	}
	return errors.Join(errs...)
}
