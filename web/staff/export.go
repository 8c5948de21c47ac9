package staff

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/cellchat/cellchat/transcript"
)

var csvHeader = []string{"answer_id", "conversation_id", "time", "kind", "question", "reply", "mode", "reason",
	"confidence", "corpus_version", "latency_ms", "citations", "feedback_up", "feedback_down", "feedback_comments", "review_status"}

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
		rows, err := c.store.ListReplies(r.Context(), f)
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

func csvRecord(r transcript.ReplyRow) []string {
	return []string{
		r.AnswerID, r.ConversationID, r.Time.UTC().Format(time.RFC3339Nano), r.Kind, cell(r.Question), cell(r.Text),
		r.Mode, r.Reason, strconv.FormatFloat(r.Confidence, 'f', -1, 64), r.CorpusVersion,
		strconv.FormatFloat(r.LatencyMS, 'f', 3, 64), strconv.Itoa(r.Citations), strconv.Itoa(r.FeedbackUp),
		strconv.Itoa(r.FeedbackDown), strconv.Itoa(r.Comments), r.ReviewStatus,
	}
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
