package corpus

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodText = `Overview
Cell therapy uses living cells as a treatment. The cells are collected, processed and given back.
`

// writeCorpus makes a corpus directory from file name -> content.
func writeCorpus(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func docIDs(c *Corpus) []string {
	var ids []string
	for _, d := range c.Docs {
		ids = append(ids, d.ID)
	}
	return ids
}

// Each bad file gets an error naming it and saying why; the good file
// still loads.
func TestBadFiles(t *testing.T) {
	cases := []struct {
		name    string
		file    string // bad file name ("" for none)
		content string
		extra   func(t *testing.T, dir string) // set up instead of content
		sources string                         // extra manifest documents
		wantErr string
		wantIDs []string
	}{
		{name: "empty", file: "empty.txt", content: "", wantErr: "empty.txt: file is empty"},
		{name: "only whitespace", file: "blank.md", content: " \n\n\t\n", wantErr: "blank.md: file is empty"},
		{name: "binary NUL", file: "image.txt", content: "GIF89a\x00\x01\x02", wantErr: "image.txt: binary file"},
		{name: "invalid utf8", file: "latin1.txt", content: "Caf\xe9 au lait is not a therapy.", wantErr: "latin1.txt: not valid UTF-8"},
		{name: "unsupported", file: "leaflet.doc", content: "\xd0\xcf\x11\xe0", wantErr: `leaflet.doc: unsupported file type ".doc" (supported: .html, .htm, .md, .txt, .pdf, .docx): save it from its word processor as .docx`},
		{name: "broken pdf", file: "leaflet.pdf", content: "%PDF-1.4 cut short", wantErr: `leaflet.pdf: not a readable PDF`},
		{name: "broken docx", file: "leaflet.docx", content: "PK not really", wantErr: `leaflet.docx: not a readable .docx`},
		{name: "utf16 without bom", file: "notepad.txt", content: "H\x00i\x00 \x00t\x00h\x00e\x00r\x00e\x00", wantErr: "notepad.txt: binary file (contains NUL bytes), not text; if it is UTF-16 text without a byte-order mark, save it as UTF-8"},
		{name: "furniture only", file: "cookies.html", content: `<html><body><nav><a href="/">Home</a></nav><p>We use cookies to improve your experience.</p><footer>© 2024 Example</footer></body></html>`, wantErr: "cookies.html: cleaning dropped all of its text"},
		{name: "manifest entry without file", sources: "  - id: ghost\n    title: Ghost\n", wantErr: `ghost.*: listed in sources.yaml as "ghost" but there is no such file`},
		{
			name: "dangling link", file: "",
			extra: func(t *testing.T, dir string) {
				if err := os.Symlink(filepath.Join(dir, "nowhere.txt"), filepath.Join(dir, "moved.txt")); err != nil {
					t.Skip("symlinks unsupported:", err)
				}
			},
			wantErr: "moved.txt: file is missing",
		},
		{
			name: "unreadable",
			extra: func(t *testing.T, dir string) {
				p := filepath.Join(dir, "secret.txt")
				if os.Geteuid() != 0 {
					os.WriteFile(p, []byte(goodText), 0o000)
					return
				}
				// Root reads any file whatever its mode (CI runs as root):
				// /proc/self/mem passes stat as a regular file, yet reading
				// it from offset 0 fails.
				if _, err := os.Stat("/proc/self/mem"); err != nil {
					t.Skip("root reads any file, and there is no /proc/self/mem to fail a read")
				}
				if err := os.Symlink("/proc/self/mem", p); err != nil {
					t.Skip("symlinks unsupported:", err)
				}
			},
			wantErr: "secret.txt: cannot read:",
		},
		{
			name: "not a regular file",
			extra: func(t *testing.T, dir string) {
				os.Mkdir(filepath.Join(dir, "folder"), 0o755)
				if err := os.Symlink(filepath.Join(dir, "folder"), filepath.Join(dir, "linked.txt")); err != nil {
					t.Skip("symlinks unsupported:", err)
				}
			},
			wantErr: "linked.txt: not a regular file",
		},
		{
			name: "duplicate stem",
			extra: func(t *testing.T, dir string) {
				os.WriteFile(filepath.Join(dir, "twin.txt"), []byte(goodText), 0o644)
				os.WriteFile(filepath.Join(dir, "twin.md"), []byte(goodText), 0o644)
			},
			wantErr: `duplicate document id "twin": files twin.md, twin.txt share it`,
		},
		{name: "duplicate manifest id", sources: "  - id: good\n    title: Again\n", wantErr: `duplicate document id "good" in sources.yaml`, wantIDs: []string{"good"}},
		{
			name: "start_after matches nothing", file: "blurb.txt", content: goodText,
			sources: "  - id: blurb\n    start_after: '^no such line$'\n",
			wantErr: `blurb.txt: start_after "^no such line$" matches no line`,
			wantIDs: []string{"blurb", "good"}, // still loaded, with the generic rules
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			manifest := "ignore: ['*.yaml']\ndocuments:\n  - id: good\n    title: Good\n" + tc.sources
			files := map[string]string{ManifestName: manifest, "good.txt": goodText}
			if tc.file != "" {
				files[tc.file] = tc.content
			}
			dir := writeCorpus(t, files)
			if tc.extra != nil {
				tc.extra(t, dir)
			}
			c, err := Load(dir)
			if c == nil {
				t.Fatalf("nil corpus (err %v): the good file must still load", err)
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %v does not name the file's path", err)
			}
			want := tc.wantIDs
			if want == nil {
				want = []string{"good"}
			}
			if got := docIDs(c); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("loaded %v, want %v", got, want)
			}
			if len(c.Chunks) == 0 {
				t.Error("no chunks from the good file")
			}
		})
	}
}

// Several bad files are all reported, one error each.
func TestBadFilesAllReported(t *testing.T) {
	dir := writeCorpus(t, map[string]string{
		ManifestName: "documents: []\n",
		"good.txt":   goodText,
		"a.txt":      "",
		"b.doc":      "x",
		"c.md":       "\x00\x00",
	})
	c, err := Load(dir)
	if c == nil || len(c.Docs) != 1 {
		t.Fatalf("corpus %+v", c)
	}
	for _, name := range []string{"a.txt", "b.doc", "c.md"} {
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, name)+": ") {
			t.Errorf("error %v does not report %s", err, name)
		}
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != 3 {
		t.Errorf("%d error lines, want 3: %v", n, err)
	}
}

func TestManifestErrors(t *testing.T) {
	cases := []struct {
		name     string
		manifest *string
		wantErr  string
	}{
		{name: "missing", manifest: nil, wantErr: "sources.yaml: no such file"},
		{name: "bad yaml", manifest: ptr("documents: [\n"), wantErr: "sources.yaml: yaml:"},
		{name: "unknown key", manifest: ptr("documents:\n  - id: good\n    titel: Typo\n"), wantErr: "field titel not found"},
		{name: "unknown top-level key", manifest: ptr("docs: []\n"), wantErr: "field docs not found"},
		{name: "bad pattern", manifest: ptr("documents:\n  - id: good\n    drop_lines: ['(unclosed']\n"), wantErr: `pattern "(unclosed"`},
		{name: "bad selector", manifest: ptr("defaults:\n  html_prune: ['div[']\n"), wantErr: `html_prune "div["`},
		{name: "bad date", manifest: ptr("documents:\n  - id: good\n    reviewed: 18/12/2023\n"), wantErr: "not YYYY-MM-DD"},
		{name: "empty id", manifest: ptr("documents:\n  - title: No id\n"), wantErr: "id is required"},
		{name: "path as id", manifest: ptr("documents:\n  - id: ../etc/passwd\n"), wantErr: "id must be a file's path below the corpus folder"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"good.txt": goodText}
			if tc.manifest != nil {
				files[ManifestName] = *tc.manifest
			}
			c, err := Load(writeCorpus(t, files))
			if c != nil {
				t.Errorf("corpus loaded from a broken manifest: %v", docIDs(c))
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent")); err == nil {
		t.Error("no error for a missing corpus directory")
	}
}

func ptr(s string) *string { return &s }

// A file the manifest does not list still loads, titled by its first
// heading; ignored and hidden files are not documents.
func TestUnlistedAndIgnoredFiles(t *testing.T) {
	dir := writeCorpus(t, map[string]string{
		ManifestName:     "ignore: ['*.go', 'notes*']\ndocuments: []\n",
		"new-leaflet.md": "# Living with CAR-T\n\nAfter CAR-T therapy you stay near the treatment centre for some weeks. Your team checks for side effects.\n",
		"plain.txt":      "Cell therapy uses living cells. They are given as an infusion.\n",
		"loader.go":      "package x",
		"notes-todo.txt": "",
		".hidden.txt":    "",
	})
	if err := os.Mkdir(filepath.Join(dir, "testdata"), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(docIDs(c), ","); got != "new-leaflet,plain" {
		t.Fatalf("docs %s", got)
	}
	if c.Docs[0].Title != "Living with CAR-T" || c.Docs[1].Title != "plain" {
		t.Errorf("derived titles %q, %q", c.Docs[0].Title, c.Docs[1].Title)
	}
	if c.Chunks[0].Section != "Living with CAR-T" {
		t.Errorf("section %q", c.Chunks[0].Section)
	}
}

// Per-document rules and corpus-wide defaults from the manifest apply.
func TestManifestCleaningRules(t *testing.T) {
	doc := `Welcome to the Example Clinic portal
Ask us anything
What is apheresis
Apheresis collects blood cells through a machine that returns the rest of the blood.
Share your story
Patients told us about their experience with the machine.
Footer line with our hotline
Call the clinic any time.
`
	dir := writeCorpus(t, map[string]string{
		ManifestName: `defaults:
  drop_lines: ['^ask us anything$']
documents:
  - id: clinic
    title: Apheresis
    start_after: '^welcome to the example clinic'
    drop_sections: ['^share your story$']
    end_before: '^footer line'
`,
		"clinic.txt": doc,
	})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, ch := range c.Chunks {
		all = append(all, ch.Section+": "+ch.Text)
	}
	got := strings.Join(all, "\n")
	want := "What is apheresis: Apheresis collects blood cells through a machine that returns the rest of the blood."
	if got != want {
		t.Errorf("chunks\n%s\nwant\n%s", got, want)
	}
}
