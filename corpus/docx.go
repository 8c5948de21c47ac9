package corpus

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// A .docx file is a zip of XML parts; the text is in word/document.xml,
// paragraph styles in word/styles.xml and the title in docProps/core.xml.
// Reading the three with the standard library is a few dozen lines, and no
// Go library for Word files that resolves here is both free and kept up.
const (
	docxBody   = "word/document.xml"
	docxStyles = "word/styles.xml"
	docxCore   = "docProps/core.xml"
	// maxDocxPart bounds one unpacked part, so a small zip that unpacks
	// to gigabytes is refused rather than read.
	maxDocxPart = 64 << 20
)

// headingStyleName matches the built-in heading styles by name, which Word
// keeps in English whatever the style id ("Heading1", "berschrift1").
var headingStyleName = regexp.MustCompile(`(?i)^heading ?([1-9])$`)

// parseDOCX reads a Word document into blocks: paragraphs with a heading
// style (or an outline level) are headings, numbered or bulleted
// paragraphs are list items, a table row is one line of its cells joined
// by "; ". Deleted tracked changes, field codes and the fallback copy of a
// text box are left out.
func parseDOCX(data []byte) ([]block, string, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, "", fmt.Errorf("not a readable .docx (%v): save it again from Word as .docx", err)
	}
	body, err := readZipPart(zr, docxBody)
	if err != nil {
		return nil, "", err
	}
	if body == nil {
		return nil, "", fmt.Errorf("not a Word document (no %s): save it as .docx", docxBody)
	}
	styles, _ := readZipPart(zr, docxStyles)
	core, _ := readZipPart(zr, docxCore)
	blocks, err := docxBlocks(body, docxHeadingLevels(styles))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", docxBody, err)
	}
	return blocks, docxTitle(core), nil
}

func readZipPart(zr *zip.Reader, name string) ([]byte, error) {
	for _, f := range zr.File {
		if f.Name != name {
			continue
		}
		if f.UncompressedSize64 > maxDocxPart {
			return nil, fmt.Errorf("%s unpacks to %d bytes, over the limit of %d", name, f.UncompressedSize64, maxDocxPart)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		defer rc.Close()
		out, err := io.ReadAll(io.LimitReader(rc, maxDocxPart+1))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(out) > maxDocxPart {
			return nil, fmt.Errorf("%s unpacks to more than %d bytes", name, maxDocxPart)
		}
		return out, nil
	}
	return nil, nil
}

// docxHeadingLevels maps paragraph style ids to heading levels: "Title"
// is level 1 like "heading 1"; a style with an outline level is a heading
// of that level.
func docxHeadingLevels(styles []byte) map[string]int {
	levels := map[string]int{"Title": 1}
	for i := 1; i <= 6; i++ {
		levels["Heading"+strconv.Itoa(i)] = i
	}
	if styles == nil {
		return levels
	}
	var doc struct {
		Styles []struct {
			ID   string `xml:"styleId,attr"`
			Name struct {
				Val string `xml:"val,attr"`
			} `xml:"name"`
			PPr struct {
				Outline *struct {
					Val int `xml:"val,attr"`
				} `xml:"outlineLvl"`
			} `xml:"pPr"`
		} `xml:"style"`
	}
	if xml.Unmarshal(styles, &doc) != nil {
		return levels
	}
	for _, s := range doc.Styles {
		switch m := headingStyleName.FindStringSubmatch(s.Name.Val); {
		case strings.EqualFold(s.Name.Val, "title"):
			levels[s.ID] = 1
		case m != nil:
			levels[s.ID], _ = strconv.Atoi(m[1])
		case s.PPr.Outline != nil && s.PPr.Outline.Val < 9:
			levels[s.ID] = s.PPr.Outline.Val + 1
		}
	}
	return levels
}

// docxBlocks walks document.xml's paragraphs and tables.
func docxBlocks(body []byte, headingLevels map[string]int) ([]block, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	var blocks []block
	var para strings.Builder
	var style string
	var listItem bool
	var skip int     // depth inside deleted text, field codes or a text box's fallback copy
	var inText int   // depth inside <w:t>, the only element whose characters are text
	var row []string // cells of the table row being read
	var cell strings.Builder
	tableDepth, cellDepth := 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "del", "instrText", "delText", "Fallback":
				skip++
			case "t":
				inText++
			case "p":
				para.Reset()
				style, listItem = "", false
			case "pStyle":
				style = attr(t, "val")
			case "numPr":
				listItem = true
			case "tab", "br", "cr":
				para.WriteByte(' ')
			case "tbl":
				tableDepth++
			case "tc":
				cellDepth++
				if cellDepth == 1 {
					cell.Reset()
				}
			case "tr":
				if tableDepth == 1 {
					row = row[:0]
				}
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "del", "instrText", "delText", "Fallback":
				skip--
			case "t":
				inText--
			case "p":
				text := strings.TrimSpace(para.String())
				if text == "" {
					continue
				}
				if cellDepth > 0 {
					if cell.Len() > 0 {
						cell.WriteByte(' ')
					}
					cell.WriteString(text)
					continue
				}
				switch lvl := headingLevels[style]; {
				case lvl > 0:
					blocks = append(blocks, block{kind: headingBlock, level: min(lvl, 6), text: text})
				case listItem:
					blocks = append(blocks, block{kind: itemBlock, text: text})
				default:
					blocks = append(blocks, block{kind: paragraphBlock, text: text})
				}
			case "tc":
				if cellDepth == 1 {
					row = append(row, strings.TrimSpace(cell.String()))
				}
				cellDepth--
			case "tr":
				if tableDepth == 1 {
					if line := strings.Join(nonEmpty(row), "; "); line != "" {
						blocks = append(blocks, block{kind: paragraphBlock, text: endSentence(line), joined: true})
					}
				}
			case "tbl":
				tableDepth--
			}
		case xml.CharData:
			if skip == 0 && inText > 0 {
				para.Write(t)
			}
		}
	}
	return blocks, nil
}

// attr is the value of the attribute with the local name.
func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// docxTitle is the document's Title property.
func docxTitle(core []byte) string {
	var props struct {
		Title string `xml:"title"`
	}
	if core == nil || xml.Unmarshal(core, &props) != nil {
		return ""
	}
	return normalizeText(props.Title)
}

// endSentence ends a table row's line with a full stop when it ends with no
// punctuation, so the row reads, and is quoted, as a sentence of its own
// ("Immunoglobulin level; to decide whether you need antibody infusions.").
func endSentence(line string) string {
	if strings.ContainsAny(line[len(line)-1:], ".!?:;") {
		return line
	}
	return line + "."
}
