package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/eval"
)

// repeatedFlag collects a flag given several times (--min a=1 --min b=2).
// From the environment, one variable may hold several, comma-separated.
type repeatedFlag []string

func (r *repeatedFlag) String() string { return strings.Join(*r, ",") }

func (r *repeatedFlag) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*r = append(*r, part)
		}
	}
	return nil
}

func runEval(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "eval", "FILE...")
	p := addPathFlags(fs)
	jsonOut := fs.String("json", "", "write the results as JSON to this file")
	htmlOut := fs.String("html", "", "write a self-contained HTML report to this file")
	compare := fs.String("compare", "", "an earlier --json report to compare against")
	server := fs.String("server", "", "score a running server (base URL, e.g. http://127.0.0.1:8080) through POST /api/ask instead of the engine in-process")
	serverTimeout := fs.Duration("server-timeout", 30*time.Second, "with --server: time limit for each question")
	serverRetries := fs.Int("server-retries", 30, "with --server: how often a rate-limited or busy question is asked again (after the server's Retry-After)")
	var useLLM llmSwitch
	fs.Var(&useLLM, "llm", "answer with the model configured by CELLCHAT_LLM (CELLCHAT_LLM_URL, _MODEL, _API_KEY), as serve would, and report llm_rejected_rate and unsupported_sentences; set by CELLCHAT_LLM itself, so --llm=false answers extractively whatever it says")
	lf := addLLMFlags(fs)
	libPath := fs.String("library", "", "answer with the published entries of this answer-library file (as `cellchat library export` writes) before the engine, and report library_rate, library_false_match and library_hit")
	libf := addLibraryFlags(fs, true)
	var mins, maxes repeatedFlag
	fs.Var(&mins, "min", "METRIC=VALUE: fail (exit 1) when METRIC is below VALUE or null; repeatable")
	fs.Var(&maxes, "max", "METRIC=VALUE: fail (exit 1) when METRIC is above VALUE or null; repeatable")
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, `usage: cellchat eval [flags] FILE...

Scores the bot on question sets (YAML, see eval/questions.yaml). Several
FILEs (or a folder of *.yaml sets) run as one evaluation named after all of
them; case ids must be unique across them. Exit status: 0 ok, 1 a --min/--max threshold not met (a null
metric meets no threshold), 2 a malformed set, baseline or flag.

metrics: %s

flags (each also settable as CELLCHAT_<NAME>):
`, strings.Join(eval.MetricNames(), ", "))
		fs.PrintDefaults()
	}
	files, err := parseFlags(fs, c, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("eval: no question set given")}
	}
	if err := lf.check(); err != nil {
		return err
	}
	if err := libf.check(fs); err != nil {
		return err
	}
	if *libPath != "" && *server != "" {
		return &exitError{code: 2, err: errors.New("eval: --library answers in-process; a server (--server) answers with its own library")}
	}
	if useLLM.on {
		if *server != "" {
			return &exitError{code: 2, err: errors.New("eval: --llm scores the engine in-process; a server (--server) answers with its own model")}
		}
		if m, _, err := chat.LLMFromEnv(c.getenv); err != nil || m == nil {
			return &exitError{code: 2, err: fmt.Errorf("eval: --llm needs a model: set CELLCHAT_LLM=ollama|openai, CELLCHAT_LLM_MODEL and, as needed, CELLCHAT_LLM_URL and CELLCHAT_LLM_API_KEY (%v)", err)}
		}
	}
	var thresholds []eval.Threshold
	for _, group := range []struct {
		values repeatedFlag
		max    bool
	}{{mins, false}, {maxes, true}} {
		for _, v := range group.values {
			t, err := eval.ParseThreshold(v, group.max)
			if err != nil {
				return &exitError{code: 2, err: fmt.Errorf("eval: %w", err)}
			}
			thresholds = append(thresholds, t)
		}
	}

	files, err = expandSetDirs(files)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("eval: %w", err)}
	}
	sets := make([]*eval.Set, 0, len(files))
	for _, f := range files {
		s, err := eval.Load(f)
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("eval: %w", err)}
		}
		sets = append(sets, s)
	}
	var baseline *eval.Report
	if *compare != "" {
		if baseline, err = eval.ReadReport(*compare); err != nil {
			return &exitError{code: 2, err: fmt.Errorf("eval: baseline: %w", err)}
		}
	}

	var answerer eval.Answerer
	if *server != "" {
		remote, err := eval.NewRemote(*server, &http.Client{Timeout: *serverTimeout})
		if err != nil {
			return &exitError{code: 2, err: fmt.Errorf("eval: %w", err)}
		}
		remote.MaxRetries = max(0, *serverRetries)
		answerer = remote
	} else {
		// mrr looks for the first passage with the evidence in the top 10.
		var libErr error
		eng, ix, err := openEngine(ctx, c, p, lf.tune, func(ec *chat.Config) {
			ec.ReportK = eval.MRRDepth
			if !useLLM.on {
				ec.LLM = nil
			}
			if *libPath != "" {
				ec.Library, libErr = evalLibrary(*libPath, libf, ec.Chunks, c)
			}
		})
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		defer ix.Close()
		if libErr != nil {
			return &exitError{code: 2, err: fmt.Errorf("eval: --library %w", libErr)}
		}
		answerer = eng
	}

	progress, finish := evalProgress(c.stderr)
	report, err := eval.Run(ctx, answerer, sets, progress)
	finish()
	if err != nil {
		if eval.IsParseError(err) {
			return &exitError{code: 2, err: fmt.Errorf("eval: %w", err)}
		}
		return fmt.Errorf("eval: %w", err)
	}

	if err := report.WriteText(c.stdout); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	var cmp *eval.Comparison
	if baseline != nil {
		comparison := eval.Compare(baseline, report)
		cmp = &comparison
		fmt.Fprintln(c.stdout)
		if err := cmp.WriteText(c.stdout); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	if *jsonOut != "" {
		if err := writeFileWith(*jsonOut, report.WriteJSON); err != nil {
			return fmt.Errorf("eval: write --json: %w", err)
		}
	}
	if *htmlOut != "" {
		if err := writeFileWith(*htmlOut, func(w io.Writer) error { return report.WriteHTML(w, cmp) }); err != nil {
			return fmt.Errorf("eval: write --html: %w", err)
		}
	}
	if err := eval.Check(report.Metrics, thresholds); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("eval: thresholds not met:\n%w", err)}
	}
	if len(thresholds) > 0 {
		fmt.Fprintf(c.stdout, "\nall %d thresholds met\n", len(thresholds))
	}
	return nil
}

// llmSwitch is eval's --llm. Its variable is CELLCHAT_LLM itself: a model
// configured there is used, as serve uses it, unless --llm=false says not
// to; --llm with none configured is an error, not a silent extractive run.
type llmSwitch struct{ on bool }

func (s *llmSwitch) String() string {
	if s == nil {
		return "false"
	}
	return strconv.FormatBool(s.on)
}

func (s *llmSwitch) IsBoolFlag() bool { return true }

func (s *llmSwitch) Set(v string) error {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "ollama", "openai":
		s.on = true
		return nil
	case "none", "off":
		s.on = false
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("want true or false (or, as CELLCHAT_LLM, ollama, openai or none)")
	}
	s.on = b
	return nil
}

// expandSetDirs replaces each folder among paths by the question sets in it
// (*.yaml and *.yml, sorted), so a folder of sets can be scored at once.
func expandSetDirs(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil || !info.IsDir() {
			out = append(out, p) // a missing file is reported when it is read
			continue
		}
		var found []string
		for _, pattern := range []string{"*.yaml", "*.yml"} {
			m, err := filepath.Glob(filepath.Join(p, pattern))
			if err != nil {
				return nil, err
			}
			found = append(found, m...)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no question sets (*.yaml) in this folder", p)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}

// writeFileWith writes a file through a temporary one, so a failed write
// never leaves a truncated report where an earlier good one was.
func writeFileWith(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".eval-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// evalProgress returns a progress callback that draws a bar when w is a
// terminal and does nothing otherwise (CI logs stay clean), and a func that
// clears the bar.
func evalProgress(w io.Writer) (func(done, total int), func()) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, func() {}
	}
	var bar *progressbar.ProgressBar
	progress := func(done, total int) {
		if bar == nil {
			bar = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription("eval"),
				progressbar.OptionShowCount(),
				progressbar.OptionClearOnFinish(),
				progressbar.OptionThrottle(100*time.Millisecond),
			)
		}
		_ = bar.Set(done)
	}
	finish := func() {
		if bar != nil {
			_ = bar.Finish()
		}
	}
	return progress, finish
}
