package transcript

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/cellchat/cellchat/chat"
)

// A turn's citations and retrieved passages are stored on its row as two
// JSON arrays of arrays (migration 5), the passage texts as ids into the
// passages table:
//
//	citation_refs:  [[n, doc_id, title, url, section, passage_id], ...]
//	retrieved_refs: [[doc_id, section, score, lexical, vector, passage_id], ...]
//
// The writer encodes them by hand (it runs once per reply on the one
// writer goroutine); reads decode with encoding/json.

// appendCitationRefs appends the citation_refs array of cites, whose
// passage ids are pids (same order).
func appendCitationRefs(b []byte, cites []chat.Citation, pids []int64) []byte {
	b = append(b, '[')
	for i, c := range cites {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(c.N), 10)
		for _, s := range [...]string{c.DocID, c.Title, c.URL, c.Section} {
			b = append(b, ',')
			b = appendJSONString(b, s)
		}
		b = append(b, ',')
		b = strconv.AppendInt(b, pids[i], 10)
		b = append(b, ']')
	}
	return append(b, ']')
}

// appendRetrievedRefs appends the retrieved_refs array of ps, whose
// passage ids are pids (same order).
func appendRetrievedRefs(b []byte, ps []chat.Retrieved, pids []int64) []byte {
	b = append(b, '[')
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendJSONString(b, p.DocID)
		b = append(b, ',')
		b = appendJSONString(b, p.Section)
		for _, f := range [...]float64{p.Score, p.Lexical, p.Vector} {
			b = append(b, ',')
			b = appendJSONFloat(b, f)
		}
		b = append(b, ',')
		b = strconv.AppendInt(b, pids[i], 10)
		b = append(b, ']')
	}
	return append(b, ']')
}

// appendJSONFloat appends f in its shortest exact form. JSON has no NaN or
// infinities; they are stored as null (which reads back as 0), as the
// REAL columns before stored NaN as NULL.
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// appendJSONString appends s as a JSON string, escaping what JSON
// requires; invalid UTF-8 becomes U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// citationRef and retrievedRef are decoded refs, their passages still ids.
type citationRef struct {
	c   chat.Citation
	pid int64
}

type retrievedRef struct {
	p   chat.Retrieved
	pid int64
}

func decodeCitationRefs(data string) ([]citationRef, error) {
	var rows [][]json.RawMessage
	if err := json.Unmarshal([]byte(data), &rows); err != nil {
		return nil, fmt.Errorf("citation refs: %w", err)
	}
	out := make([]citationRef, len(rows))
	for i, row := range rows {
		r := &out[i]
		if err := decodeRow(row, &r.c.N, &r.c.DocID, &r.c.Title, &r.c.URL, &r.c.Section, &r.pid); err != nil {
			return nil, fmt.Errorf("citation refs: %w", err)
		}
	}
	return out, nil
}

func decodeRetrievedRefs(data string) ([]retrievedRef, error) {
	var rows [][]json.RawMessage
	if err := json.Unmarshal([]byte(data), &rows); err != nil {
		return nil, fmt.Errorf("retrieved refs: %w", err)
	}
	out := make([]retrievedRef, len(rows))
	for i, row := range rows {
		r := &out[i]
		if err := decodeRow(row, &r.p.DocID, &r.p.Section, &r.p.Score, &r.p.Lexical, &r.p.Vector, &r.pid); err != nil {
			return nil, fmt.Errorf("retrieved refs: %w", err)
		}
	}
	return out, nil
}

func decodeRow(row []json.RawMessage, dst ...any) error {
	if len(row) != len(dst) {
		return fmt.Errorf("%d fields, want %d", len(row), len(dst))
	}
	for i, raw := range row {
		if err := json.Unmarshal(raw, dst[i]); err != nil {
			return err
		}
	}
	return nil
}

// passageTexts returns the chunk id and text of each passage id in ids.
func passageTexts(ctx context.Context, db *sql.DB, ids []int64) (map[int64]passageKey, error) {
	out := make(map[int64]passageKey, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	list := make([]byte, 0, 8*len(ids))
	list = append(list, '[')
	for i, id := range ids {
		if i > 0 {
			list = append(list, ',')
		}
		list = strconv.AppendInt(list, id, 10)
	}
	list = append(list, ']')
	rows, err := db.QueryContext(ctx, `SELECT id, chunk_id, text FROM passages WHERE id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var k passageKey
		if err := rows.Scan(&id, &k.chunkID, &k.text); err != nil {
			return nil, err
		}
		out[id] = k
	}
	return out, rows.Err()
}
