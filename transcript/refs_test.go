package transcript

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/cellchat/cellchat/chat"
)

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " backslash \ slash /`, "tab\t nl\n nul\x00 \x1f del\x7f",
		"<script>&amp;</script>", "Günther – ü 日本 🙂", "bad \xff\xfe utf8 \xe2\x82", "\u2028\u2029"} {
		var got, want string
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil {
			t.Errorf("%q: invalid JSON %s: %v", s, appendJSONString(nil, s), err)
			continue
		}
		// encoding/json's own round trip is the reference (invalid UTF-8 becomes U+FFFD).
		b, _ := json.Marshal(s)
		json.Unmarshal(b, &want)
		if got != want {
			t.Errorf("%q: round trip %q, want %q", s, got, want)
		}
	}
}

func TestRefsRoundTrip(t *testing.T) {
	cites := []chat.Citation{{N: 1, DocID: "a", Title: "T \"x\"", URL: "https://e.org/?a&b", Section: "S"}, {N: 7, DocID: "b"}}
	ps := []chat.Retrieved{{DocID: "a", Section: "S", Score: 1.0 / 3, Lexical: 1e-300, Vector: -0}, {Score: math.NaN(), Lexical: math.Inf(1)}}
	cr, err := decodeCitationRefs(string(appendCitationRefs(nil, cites, []int64{5, 9})))
	if err != nil || len(cr) != 2 || cr[0].c != cites[0] || cr[1].c != cites[1] || cr[0].pid != 5 || cr[1].pid != 9 {
		t.Errorf("citation refs: %+v, %v", cr, err)
	}
	rr, err := decodeRetrievedRefs(string(appendRetrievedRefs(nil, ps, []int64{3, 1 << 40})))
	if err != nil || len(rr) != 2 || rr[0].p != ps[0] || rr[1].pid != 1<<40 {
		t.Fatalf("retrieved refs: %+v, %v", rr, err)
	}
	// JSON has no NaN or infinities: they read back as 0, not as an error.
	if rr[1].p.Score != 0 || rr[1].p.Lexical != 0 {
		t.Errorf("non-finite scores read back as %+v", rr[1].p)
	}
	if _, err := decodeRetrievedRefs(`[["a","s",1,2]]`); err == nil {
		t.Error("a short row decoded without error")
	}
}
