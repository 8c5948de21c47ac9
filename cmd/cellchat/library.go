package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/library"
	"github.com/cellchat/cellchat/transcript"
)

// libraryFlags are the answer library's settings, taken by serve, eval
// and library import.
type libraryFlags struct {
	threshold float64
	twoPerson bool
	lim       library.Limits
}

func addLibraryFlags(fs *flag.FlagSet, serving bool) *libraryFlags {
	f := &libraryFlags{}
	if serving {
		fs.Float64Var(&f.threshold, "library-threshold", library.DefaultThreshold,
			"lowest match score (0..1] at which a published library entry answers a question instead of the engine")
	}
	fs.IntVar(&f.lim.QuestionChars, "library-max-question-chars", library.DefaultQuestionChars, "longest library question or variant, in characters")
	fs.IntVar(&f.lim.AnswerChars, "library-max-answer-chars", library.DefaultAnswerChars, "longest library answer, in characters")
	fs.IntVar(&f.lim.Variants, "library-max-variants", library.DefaultVariants, "most question variants of one library entry")
	fs.IntVar(&f.lim.Citations, "library-max-citations", library.DefaultCitations, "most citations of one library answer")
	return f
}

// check reports a setting out of range as a bad flag.
func (f *libraryFlags) check(fs *flag.FlagSet) error {
	if fs.Lookup("library-threshold") != nil && (f.threshold <= 0 || f.threshold > 1) {
		return &exitError{code: 2, err: fmt.Errorf("--library-threshold %g: want a number above 0 and at most 1", f.threshold)}
	}
	for name, v := range map[string]int{"library-max-question-chars": f.lim.QuestionChars, "library-max-answer-chars": f.lim.AnswerChars,
		"library-max-variants": f.lim.Variants, "library-max-citations": f.lim.Citations} {
		if v < 1 {
			return &exitError{code: 2, err: fmt.Errorf("--%s %d: want 1 or more", name, v)}
		}
	}
	return nil
}

// readLibraryFile reads and checks a library file against the chunks of
// the corpus it will answer with.
func readLibraryFile(path string, f *libraryFlags, chunks []corpus.Chunk) ([]library.Entry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	entries, err := library.Parse(data, f.lim, library.PassagesOf(chunks))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return entries, nil
}

// servedLibrary keeps a server's library in step with the transcript
// log's entries and the corpus served: after a console change, an import
// picked up on reload, and a new corpus (whose changed passages make the
// entries citing them stale).
type servedLibrary struct {
	live      *library.Live
	store     transcript.Backend
	threshold float64
	log       *slog.Logger

	mu     sync.Mutex
	corp   *corpus.Corpus
	served string // what the live library was last built from
	stale  map[int64][]string
}

// setCorpus serves the library against corp.
func (s *servedLibrary) setCorpus(ctx context.Context, corp *corpus.Corpus) error {
	s.mu.Lock()
	s.corp = corp
	s.mu.Unlock()
	return s.Refresh(ctx)
}

// Refresh serves the log's current entries, when they or the corpus
// changed since the last time.
func (s *servedLibrary) Refresh(ctx context.Context) error {
	entries, err := s.store.Entries(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var key strings.Builder
	key.WriteString(s.corp.Version)
	for _, e := range entries {
		key.WriteString(" " + strconv.FormatInt(e.ID, 10) + ":" + strconv.Itoa(e.Version))
	}
	if key.String() == s.served {
		return nil
	}
	p := library.PassagesOf(s.corp.Chunks)
	stale := s.live.Set(entries, p, s.threshold)
	s.served = key.String()
	s.stale = map[int64][]string{}
	for _, e := range stale {
		s.stale[e.ID] = p.Stale(e)
	}
	if len(stale) > 0 {
		s.log.Warn("published library entries cite passages the corpus changed or removed: they are not served until re-approved",
			"stale", len(stale), "corpus_version", s.corp.Version)
	}
	s.log.Info("answer library", "served", s.live.Matcher().Len(), "stale", len(stale), "entries", len(entries))
	return nil
}

// Passages are the served corpus's passages, for citing and checking.
func (s *servedLibrary) Passages() library.Passages {
	s.mu.Lock()
	defer s.mu.Unlock()
	return library.PassagesOf(s.corp.Chunks)
}

// CorpusVersion is the served corpus's version.
func (s *servedLibrary) CorpusVersion() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.corp.Version
}

// Stale says why a published entry is not served (nil: it is, or it is
// not published).
func (s *servedLibrary) Stale(id int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stale[id]
}

// evalLibrary is the library eval answers with: the file's published
// entries that the corpus still backs.
func evalLibrary(path string, f *libraryFlags, chunks []corpus.Chunk, c *cli) (chat.Library, error) {
	entries, err := readLibraryFile(path, f, chunks)
	if err != nil {
		return nil, err
	}
	live := library.NewLive()
	if stale := live.Set(entries, library.PassagesOf(chunks), f.threshold); len(stale) > 0 {
		fmt.Fprintf(c.stderr, "cellchat: %d published entries of %s cite changed passages and are left out\n", len(stale), path)
	}
	return live, nil
}
