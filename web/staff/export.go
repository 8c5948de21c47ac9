package staff

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/transcript"
)

var csvHeader = []string{"answer_id", "conversation_id", "time", "kind", "question", "reply", "mode", "reason",
	"confidence", "corpus_version", "latency_ms", "citations", "feedback_up", "feedback_down", "feedback_comments", "review_status",
	"reviewer", "review_note", "review_time", "feedback_comment_texts", "cited_documents"}

// utf8BOM starts the CSV export, so spreadsheets read it as UTF-8 (and show
// "’" rather than "â€™").
const utf8BOM = "\uFEFF"

// listSeparator joins several values in one CSV cell (comments, document
// ids): a line break, which spreadsheets show within the cell.
const listSeparator = "\n"

// exportPage is how many replies an export reads and writes at a time:
// the download starts after the first page, whatever its length, and
// the server holds one page, not the whole export.
const exportPage = 500

// handleExport writes the filtered list (all pages, up to ExportLimit rows)
// as CSV or JSON Lines, a page at a time (keyset paging: each page starts
// where the last ended, so a long export costs no more per row at its end
// than at its start), and notes the export in the audit log.
func (c *console) handleExport(format string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ff, err := c.parseFilter(r.URL.Query())
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		out := newExportWriter(w, format)
		written := 0
		for {
			f.Limit = min(exportPage, c.cfg.ExportLimit-written)
			rows, err := c.exportPage(r, f)
			if err != nil && !out.started {
				c.readFailed(w, r, false, "staff export", err)
				return
			}
			if err != nil {
				// The status line is gone: a download cut short must not
				// look whole, so the connection is broken off.
				c.log.Error("staff export", "err", err, "rows_written", written)
				c.auditExport(r, format, ff, written, "stopped by an error")
				panic(http.ErrAbortHandler)
			}
			if err := out.write(rows); err != nil { // the client went away
				c.auditExport(r, format, ff, written, "not received: "+err.Error())
				return
			}
			written += len(rows)
			if len(rows) < f.Limit || written >= c.cfg.ExportLimit {
				break
			}
			f.Before, f.Offset = rows[len(rows)-1].Cursor(), 0
		}
		c.auditExport(r, format, ff, written, "")
	})
}

// exportPage reads one page of an export with its details.
func (c *console) exportPage(r *http.Request, f transcript.Filter) ([]transcript.ExportRow, error) {
	list, err := c.store.ListReplies(r.Context(), f)
	if err != nil {
		return nil, err
	}
	return c.store.ExportDetails(r.Context(), list)
}

// auditExport notes an export: rows is how many were sent; why, when not
// empty, why it ended early.
func (c *console) auditExport(r *http.Request, format string, ff filterForm, rows int, why string) {
	detail := fmt.Sprintf("%s, %d rows, filter %q", format, rows, ff.query(0))
	if why != "" {
		detail += "; " + why
	}
	c.store.Audit(r.Context(), sessionFrom(r.Context()).Email, "export", detail)
}

// exportWriter writes an export's rows as they come, in CSV or JSON Lines.
type exportWriter struct {
	w       http.ResponseWriter
	format  string
	started bool // the headers and the CSV header row are written
	csv     *csv.Writer
	json    *json.Encoder
}

func newExportWriter(w http.ResponseWriter, format string) *exportWriter {
	return &exportWriter{w: w, format: format}
}

// write writes rows and sends them on (the first call, with the
// headers, even when there are none).
func (e *exportWriter) write(rows []transcript.ExportRow) error {
	if !e.started {
		e.start()
	}
	for _, row := range rows {
		if e.csv != nil {
			e.csv.Write(csvRecord(row))
		} else if err := e.json.Encode(row); err != nil {
			return err
		}
	}
	if e.csv != nil {
		e.csv.Flush()
		if err := e.csv.Error(); err != nil {
			return err
		}
	}
	if err := http.NewResponseController(e.w).Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

func (e *exportWriter) start() {
	e.started = true
	name := "cellchat-replies-" + time.Now().UTC().Format("20060102-150405")
	switch e.format {
	case "csv":
		e.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		e.w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		io.WriteString(e.w, utf8BOM)
		e.csv = csv.NewWriter(e.w)
		e.csv.Write(csvHeader)
	default:
		e.w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
		e.w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.jsonl"`)
		e.json = json.NewEncoder(e.w)
	}
}

func csvRecord(r transcript.ExportRow) []string {
	reviewed := ""
	if r.ReviewTime != nil {
		reviewed = r.ReviewTime.UTC().Format(time.RFC3339Nano)
	}
	return []string{
		r.AnswerID, r.ConversationID, r.Time.UTC().Format(time.RFC3339Nano), r.Kind, cell(r.Question), cell(r.Text),
		r.Mode, r.Reason, strconv.FormatFloat(r.Confidence, 'f', -1, 64), r.CorpusVersion,
		strconv.FormatFloat(r.LatencyMS, 'f', 3, 64), strconv.Itoa(r.Citations), strconv.Itoa(r.FeedbackUp),
		strconv.Itoa(r.FeedbackDown), strconv.Itoa(r.Comments), r.ReviewStatus,
		r.Reviewer, cell(r.ReviewNote), reviewed, cell(strings.Join(r.CommentTexts, listSeparator)), strings.Join(citedDocs(r.Cited), listSeparator),
	}
}

// citedDocs lists the documents a reply cites, each once, in citation order.
func citedDocs(cites []chat.Citation) []string {
	var docs []string
	for _, c := range cites {
		if !slices.Contains(docs, c.DocID) {
			docs = append(docs, c.DocID)
		}
	}
	return docs
}

// cell defuses spreadsheet formulas: patient text starting with = + - @
// (or a tab or carriage return) would otherwise run as a formula when the
// export is opened in a spreadsheet.
func cell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
