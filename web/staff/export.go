package staff

import (
	"encoding/csv"
	"encoding/json"
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

// handleExport writes the filtered list (all pages, up to ExportLimit rows)
// as CSV or JSON Lines, and notes the export in the audit log.
func (c *console) handleExport(format string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ff, err := c.parseFilter(r.URL.Query())
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		f.Limit = c.cfg.ExportLimit
		list, err := c.store.ListReplies(r.Context(), f)
		if err != nil {
			c.readFailed(w, r, false, "staff export", err)
			return
		}
		rows, err := c.store.ExportDetails(r.Context(), list)
		if err != nil {
			c.readFailed(w, r, false, "staff export", err)
			return
		}
		sess := sessionFrom(r.Context())
		c.store.Audit(r.Context(), sess.Email, "export", fmt.Sprintf("%s, %d rows, filter %q", format, len(rows), ff.query(0)))
		name := "cellchat-replies-" + time.Now().UTC().Format("20060102-150405")
		switch format {
		case "csv":
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
			io.WriteString(w, utf8BOM)
			cw := csv.NewWriter(w)
			cw.Write(csvHeader)
			for _, row := range rows {
				cw.Write(csvRecord(row))
			}
			cw.Flush()
		case "jsonl":
			w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.jsonl"`)
			enc := json.NewEncoder(w)
			for _, row := range rows {
				enc.Encode(row)
			}
		}
	})
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
