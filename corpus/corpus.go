// Package corpus loads the curated source documents, strips page furniture
// and cuts the article text into stable, citable chunks.
//
// It knows nothing of retrieval: its output is plain data.
package corpus

import "strings"

// Document is one source file after loading and cleaning.
type Document struct {
	ID        string `json:"id"` // file stem
	Title     string `json:"title"`
	Publisher string `json:"publisher,omitempty"`
	URL       string `json:"url,omitempty"`
	Reviewed  string `json:"reviewed,omitempty"` // review date from the manifest, YYYY-MM-DD
	// ReviewEvery is the manifest's review schedule in months (0: none).
	ReviewEvery int       `json:"review_every,omitempty"`
	Path        string    `json:"path"`
	Format      string    `json:"format"` // html, md, txt
	Hash        string    `json:"hash"`   // content hash of the cleaned sections
	Sections    []Section `json:"sections"`
	// Dropped is what cleaning removed, in document order within each
	// rule's pass, so an operator can see that nothing of value went.
	Dropped []Dropped `json:"dropped,omitempty"`
}

// Dropped is a paragraph, list item or heading that cleaning removed, and
// the rule that removed it ("furniture.yaml drop_lines `^share$`",
// "sources.yaml curio-what-is-car-t end_before `\(physician\)`").
type Dropped struct {
	Rule string `json:"rule"`
	Text string `json:"text"`
}

// Section is a run of paragraphs under one heading ("" before the first
// heading). Path is its heading path, from the top-level heading down to
// its own; Heading is its own heading, or, where that recurs in the
// document, the path ("First admission > Medicines").
type Section struct {
	Heading    string   `json:"heading"`
	Path       []string `json:"path,omitempty"`
	Paragraphs []string `json:"paragraphs"`
}

// Chunk is a citable passage. Its ID is the document id plus a hash of its
// text, so a logged citation keeps pointing at the same words across re-ingests.
type Chunk struct {
	ID      string `json:"id"`
	DocID   string `json:"doc_id"`
	Title   string `json:"title"`
	URL     string `json:"url,omitempty"`
	Section string `json:"section"`
	// Path is the section's heading path ("After you go home > Medicines")
	// when it is under another heading; "" for a top-level section. Section
	// (its own heading) is what the chunk is indexed and identified by;
	// Path is what a patient or a reviewer is shown (see Place).
	Path string `json:"path,omitempty"`
	Text string `json:"text"`
	Ord  int    `json:"ord"` // position within the document
}

// Place is where the chunk stands in its document, as a citation names it:
// its heading path, else its section heading.
func (c Chunk) Place() string {
	if c.Path != "" {
		return c.Path
	}
	return c.Section
}

// Corpus is the whole loaded corpus.
type Corpus struct {
	Docs    []Document
	Chunks  []Chunk
	Version string // hash over all chunk ids; changes when any chunk changes
	// Covers is what the sources cover, as the manifest says it ("" when it
	// does not; see Topics).
	Covers string
}

// Topics is what the corpus covers, for a patient: the manifest's
// `covers`, else its documents' titles.
func (c *Corpus) Topics() string {
	if c.Covers != "" {
		return c.Covers
	}
	return TitleList(c.Chunks)
}

// TitleList lists the titles of the chunks' documents in corpus order, as
// a sentence lists things ("a, b and c").
func TitleList(chunks []Chunk) string {
	var titles []string
	seen := map[string]bool{}
	for _, c := range chunks {
		if t := strings.TrimSpace(c.Title); t != "" && !seen[strings.ToLower(t)] {
			seen[strings.ToLower(t)] = true
			titles = append(titles, t)
		}
	}
	if len(titles) < 2 {
		return strings.Join(titles, "")
	}
	return strings.Join(titles[:len(titles)-1], ", ") + " and " + titles[len(titles)-1]
}
