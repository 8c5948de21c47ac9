package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/unicode"
)

// Byte-order marks a text file may start with.
var (
	bomUTF8    = []byte("\xef\xbb\xbf")
	bomUTF16LE = []byte("\xff\xfe")
	bomUTF16BE = []byte("\xfe\xff")
)

// decodeText turns a text file's bytes into UTF-8: UTF-8 as it is (with or
// without a byte-order mark), UTF-16 with a byte-order mark (as Notepad
// saves "Unicode"), and an HTML page that is not UTF-8 in the charset it
// declares (as Word saves a web page: windows-1252), or in windows-1252
// when it declares none, as browsers read it. Anything else is an error
// that says what to do.
func decodeText(data []byte, format string) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		data = data[len(bomUTF8):]
	case bytes.HasPrefix(data, bomUTF16LE), bytes.HasPrefix(data, bomUTF16BE):
		out, err := transcode(data, unicode.UTF16(unicode.BigEndian, unicode.UseBOM))
		if err != nil {
			return nil, fmt.Errorf("UTF-16 text that does not decode (%v): save it as UTF-8", err)
		}
		data = out
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("file is empty")
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, errors.New("binary file (contains NUL bytes), not text; if it is UTF-16 text without a byte-order mark, save it as UTF-8")
	}
	if utf8.Valid(data) {
		return data, nil
	}
	if format != "html" {
		return nil, errors.New("not valid UTF-8 text (another encoding, such as Windows-1252?): save it as UTF-8")
	}
	enc, name, _ := charset.DetermineEncoding(data, "text/html")
	out, err := transcode(data, enc)
	if err != nil || !utf8.Valid(out) {
		return nil, fmt.Errorf("not valid UTF-8, and not %s as the page says or implies: save it as UTF-8", name)
	}
	return out, nil
}

func transcode(data []byte, enc encoding.Encoding) ([]byte, error) {
	return enc.NewDecoder().Bytes(data)
}
