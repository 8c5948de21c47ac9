package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/cellchat/cellchat/eval"
	"github.com/cellchat/cellchat/internal/fdlimit"
	"github.com/cellchat/cellchat/loadtest"
	"github.com/cellchat/cellchat/transcript"
)

func runLoadtest(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "loadtest", "")
	urls := &urlList{vals: []string{"ws://127.0.0.1:8080/ws"}}
	fs.Var(urls, "url", "websocket URL of the server; repeat it (or give several, comma-separated) for replicas: clients are spread over them, and one whose socket drops reconnects to the next and resumes its conversation")
	clients := fs.Int("clients", 10, "concurrent clients")
	duration := fs.Duration("duration", 10*time.Second, "how long clients keep asking")
	questions := fs.String("questions", "eval/questions.yaml", "question set whose questions are asked (every turn of every case)")
	origin := fs.String("origin", "", "Origin header to send (none by default, as a non-browser client)")
	verifyLog := fs.String("verify-log", "", "data directory of the server, or the transcript database it logs to (sqlite:PATH or postgres://... as --db takes it): check that every answer_id received is in its transcript log")
	idle := fs.Int("idle", 0, "instead of asking, open this many sockets, hold them and report server memory per socket")
	flooders := fs.Int("flood", 0, "extra clients that send asks as fast as they can without waiting (reported apart: the main figures show what everyone else got)")
	think := fs.Duration("think", 0, "pause after each answer before a client's next question")
	timeout := fs.Duration("timeout", 30*time.Second, "longest wait for one answer")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	attack := fs.String("attack", "", "while the clients ask, attack the same server (loopback only): "+strings.Join(loadtest.Attacks, ", ")+"; the report says what the attacker got")
	attackMax := fs.Int("attack-max", 0, "most requests (signin-burst 3000, audit-flood 20000) or connections (slow-body 3000, socket-hog 500) the attack makes (0: that default)")
	attackConc := fs.Int("attack-concurrency", 0, "attack requests or connections in flight at once (0: signin-burst 150, slow-body 300, socket-hog 50, audit-flood 2)")
	attackEmail := fs.String("attack-email", "loadtest-target@example.org", "staff e-mail the sign-in attacks try wrong passwords for")
	attackEvery := fs.Duration("attack-byte-every", 2*time.Second, "slow-body: time between bytes of the body")
	attackPath := fs.String("attack-path", "/api/ask", "slow-body: where the body is sent, /api/ask or /staff/signin")
	consoleEmail := fs.String("console-email", "", "while the clients ask, a staff member signed in as this e-mail loops over console pages (the dashboard, stats and searches; see --console-paths) and the report gives their times")
	consolePassword := fs.String("console-password", "", "the --console-email account's password (better set as CELLCHAT_CONSOLE_PASSWORD)")
	consolePaths := fs.String("console-paths", strings.Join(loadtest.ConsolePaths, ","), "with --console-email: the console paths the loop requests, comma-separated")
	fill := fs.Int("fill", 0, "instead of asking a server, write this many synthetic turns (conversations, feedback, reviews) straight into the transcript log in --data, for scale tests; the server must not be running on it")
	fillDays := fs.Int("fill-days", 365, "with --fill: spread the turns over this many days up to now")
	p := addPathFlags(fs)
	addDBFlag(fs, p)
	if _, err := parseFlags(fs, c, args); err != nil {
		return err
	}
	urls.commandLineWins(fs, c.getenv("CELLCHAT_URL") != "")
	url := &urls.vals[0] // the attack, the console user, --idle and flooders go to the first
	if *fill > 0 {
		return runFill(ctx, c, p, *questions, *fill, *fillDays, *asJSON)
	}
	// The load tool allocates a buffer per frame read and keeps little:
	// collecting less often leaves more of a shared machine's CPU to the
	// server it measures (GOGC, when set, still rules).
	if c.getenv("GOGC") == "" {
		setGCPercent(defaultGCPercent)
	}
	var atk *loadtest.Attack
	if *attack != "" {
		if *idle > 0 {
			return &exitError{code: 2, err: errors.New("loadtest: --attack runs beside asking clients, not with --idle")}
		}
		if err := loadtest.CheckLoopback(ctx, *url); err != nil {
			return &exitError{code: 2, err: err}
		}
		atk = &loadtest.Attack{Name: *attack, Max: *attackMax, Concurrency: *attackConc, Email: *attackEmail, ByteEvery: *attackEvery, Path: *attackPath}
	}
	set, err := eval.Load(*questions)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	var qs []string
	for _, cs := range set.Cases {
		for _, t := range cs.Turns {
			qs = append(qs, t.Ask)
		}
	}
	// Every socket this tool holds is a file of its own.
	sockets := *idle + *clients + *flooders
	if atk != nil {
		sockets += max(*attackConc, 500) // the most any attack holds at once by default
	}
	if got, err := fdlimit.Ensure(uint64(sockets) + fdReserve); err != nil {
		return fmt.Errorf("loadtest: %w", err)
	} else if got < uint64(sockets)+fdReserve {
		return fmt.Errorf("loadtest: the open-file limit (%d) is too low for %d sockets; raise its hard limit (ulimit -Hn)", got, sockets)
	}
	if *idle > 0 {
		res, err := loadtest.Idle(ctx, *url, *origin, *idle, qs[0])
		if err != nil {
			return err
		}
		if *asJSON {
			return printIndentedJSON(c, res)
		}
		fmt.Fprintf(c.stdout, "idle sockets: %d of %d opened\n", res.Opened, res.Requested)
		fmt.Fprintf(c.stdout, "server memory: RSS %+.1f MB (%.1f KB per socket), Go heap+stacks %+.1f MB (%.1f KB per socket)\n",
			(res.RSSAfter-res.RSSBefore)/1e6, res.RSSPerSocket/1e3, (res.GoMemAfter-res.GoMemBefore)/1e6, res.GoMemPerSocket/1e3)
		if res.FirstError != "" {
			fmt.Fprintf(c.stdout, "first socket error: %s\n", res.FirstError)
		}
		if res.ProbeError != "" {
			return fmt.Errorf("a new client was not answered while the sockets were held: %s", res.ProbeError)
		}
		fmt.Fprintf(c.stdout, "a new client was answered in %s while they were held\n", res.ProbeLatency.Round(time.Microsecond))
		if res.Opened < res.Requested {
			return fmt.Errorf("only %d of %d sockets opened", res.Opened, res.Requested)
		}
		return nil
	}

	var console *loadtest.Console
	if *consoleEmail != "" {
		console = &loadtest.Console{Email: *consoleEmail, Password: *consolePassword, Paths: strings.Split(*consolePaths, ",")}
	}
	start := time.Now()
	res, err := loadtest.Run(ctx, loadtest.Config{URL: *url, URLs: urls.several(), Origin: *origin, Clients: *clients, Duration: *duration, Questions: qs, Timeout: *timeout, Flooders: *flooders, Think: *think, Attack: atk, Console: console})
	if err != nil {
		return err
	}
	var missing []string
	var audit *auditCount
	if *verifyLog != "" {
		store, err := openVerifyLog(ctx, *verifyLog)
		if err != nil {
			return fmt.Errorf("verify log: %w", err)
		}
		missing, err = store.MissingAnswers(ctx, res.AnswerIDs)
		if err == nil && atk != nil && (atk.Name == "signin-burst" || atk.Name == "audit-flood") {
			// The server writes repeats of a failed sign-in together, up to
			// auditFlushDelay after the first: count once they are in.
			select {
			case <-ctx.Done():
			case <-time.After(auditSettle):
			}
			audit, err = countAudit(ctx, store, *attackEmail, start)
		}
		store.Close()
		if err != nil {
			return fmt.Errorf("verify log: %w", err)
		}
	}
	if *asJSON {
		out := struct {
			loadtest.Result
			Verified *int        `json:"verified,omitempty"`
			Missing  []string    `json:"missing,omitempty"`
			Audit    *auditCount `json:"audit,omitempty"`
		}{Result: res, Missing: missing, Audit: audit}
		if *verifyLog != "" {
			n := len(res.AnswerIDs) - len(missing)
			out.Verified = &n
		}
		if err := printIndentedJSON(c, out); err != nil {
			return err
		}
	} else {
		ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
		fmt.Fprintf(c.stdout, "clients %d, duration %s: %d answers, %.0f answers/s\n", res.Clients, res.Duration.Round(time.Millisecond), res.Answers, res.PerSecond)
		fmt.Fprintf(c.stdout, "latency p50 %s  p95 %s  p99 %s  max %s\n", ms(res.P50), ms(res.P95), ms(res.P99), ms(res.Max))
		if len(res.Errors) == 0 {
			fmt.Fprintln(c.stdout, "errors: none")
		} else {
			fmt.Fprintf(c.stdout, "errors: %s\n", countsString(res.Errors))
		}
		for _, u := range res.URLs {
			errs := "none"
			if len(u.Errors) > 0 {
				errs = countsString(u.Errors)
			}
			fmt.Fprintf(c.stdout, "  %s: %d clients, %d answers, p50 %s  p99 %s, errors: %s\n", u.URL, u.Clients, u.Answers, ms(u.P50), ms(u.P99), errs)
		}
		if len(res.URLs) > 0 {
			fmt.Fprintf(c.stdout, "reconnects: %d (%d resumed their conversation, %d did not; %d questions in flight asked again; %d dials refused on the way)\n",
				res.Reconnects, res.Resumed, res.NotResumed, res.Interrupted, res.ReconnectFailures)
		}
		if f := res.Flood; f != nil {
			fmt.Fprintf(c.stdout, "flood: %d clients sent %d asks; got %s; %d sockets closed by the server\n", f.Clients, f.Sent, countsString(f.Frames), f.Closed)
		}
		if a := res.Attack; a != nil {
			fmt.Fprintf(c.stdout, "attack %s for %s: %d attempts; got %s; %d through (%s)\n", a.Name, a.Elapsed.Round(time.Millisecond), a.Attempts, countsString(a.Outcomes), a.Through, a.ThroughWhat)
		}
		if cs := res.Console; cs != nil {
			fmt.Fprintf(c.stdout, "console user: %d requests, got %s; p50 %s, max %s (%s)\n", cs.Requests, countsString(cs.Statuses), ms(cs.P50), ms(cs.Max), cs.Slowest)
		}
		if audit != nil {
			fmt.Fprintf(c.stdout, "audit log: %d rows for %s since the run began, recording %d events\n", audit.Rows, *attackEmail, audit.Events)
		}
		if *verifyLog != "" {
			fmt.Fprintf(c.stdout, "log check: %d of %d answers in the log\n", len(res.AnswerIDs)-len(missing), len(res.AnswerIDs))
		}
	}
	switch {
	case len(missing) > 0:
		return fmt.Errorf("%d answers a client received are not in the log (first: %s)", len(missing), missing[0])
	case res.Answers == 0:
		return errors.New("no answers received")
	case res.NotResumed > 0:
		return fmt.Errorf("%d clients that reconnected did not get their conversation back", res.NotResumed)
	case res.ErrorCount() > 0:
		return fmt.Errorf("%d errors", res.ErrorCount())
	}
	return nil
}

// auditSettle outlasts the staff console's 5 s delay before it writes the
// merged repeats of a sign-in event.
var auditSettle = 6 * time.Second

// auditCount is what an attack on sign-in cost the audit log.
type auditCount struct {
	Rows   int `json:"rows"`
	Events int `json:"events"` // merged rows count several events each
}

// openVerifyLog opens the log --verify-log names: a data directory, as
// before, or a database URL (replicas log to one PostgreSQL).
func openVerifyLog(ctx context.Context, v string) (transcript.Backend, error) {
	if transcript.NamesDatabase(v) {
		return transcript.OpenDB(ctx, v, transcript.Options{})
	}
	return transcript.Open(ctx, transcript.PathIn(v), transcript.Options{})
}

func countAudit(ctx context.Context, store transcript.Backend, email string, since time.Time) (*auditCount, error) {
	var n auditCount
	for off := 0; ; {
		rows, err := store.AuditQuery(ctx, transcript.AuditFilter{Actor: email, From: since, Limit: 1000, Offset: off})
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			n.Rows++
			n.Events += r.Count
		}
		if len(rows) < 1000 {
			return &n, nil
		}
		off += len(rows)
	}
}

func printIndentedJSON(c *cli, v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// countsString prints counts by name, sorted, as "a=1 b=2".
func countsString(m map[string]int) string {
	names := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, m[n])
	}
	return strings.Join(parts, " ")
}

// urlList is the repeatable --url flag: the first value given replaces
// the default, later ones add to it; CELLCHAT_URL is replaced by the
// command line's.
type urlList struct {
	vals  []string
	set   bool
	first int // values the first Set gave
}

func (l *urlList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.vals, ",")
}

func (l *urlList) Set(v string) error {
	first := !l.set
	if first {
		l.vals, l.set = nil, true
	}
	n := len(l.vals)
	for u := range strings.SplitSeq(v, ",") {
		if u = strings.TrimSpace(u); u != "" {
			l.vals = append(l.vals, u)
		}
	}
	if len(l.vals) == n {
		return errors.New("no URL")
	}
	if first {
		l.first = len(l.vals)
	}
	return nil
}

// commandLineWins drops the environment's URLs (set first, fromEnv) when
// the command line gave its own.
func (l *urlList) commandLineWins(fs *flag.FlagSet, fromEnv bool) {
	onCommandLine := false
	fs.Visit(func(f *flag.Flag) { onCommandLine = onCommandLine || f.Name == "url" })
	if fromEnv && onCommandLine {
		l.vals = l.vals[l.first:]
	}
}

// several are the URLs when there are more than one (none otherwise: the
// single-server run).
func (l *urlList) several() []string {
	if len(l.vals) < 2 {
		return nil
	}
	return l.vals
}
