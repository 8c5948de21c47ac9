package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/cellchat/cellchat/chat"
	"github.com/cellchat/cellchat/corpus"
	"github.com/cellchat/cellchat/retrieval"
)

// openIndex loads the corpus and opens the index in the data directory,
// re-indexing what changed. A corpus with broken files still indexes the
// rest; the load error is returned beside the usable index.
func openIndex(ctx context.Context, c *cli, p *paths, progress func(done, total int)) (*retrieval.Index, *corpus.Corpus, retrieval.SyncStats, error) {
	corp, loadErr := corpus.Load(p.corpus)
	if corp == nil {
		return nil, nil, retrieval.SyncStats{}, fmt.Errorf("load corpus %s: %w", p.corpus, loadErr)
	}
	emb, err := retrieval.EmbedderFromEnv(c.getenv)
	if err != nil {
		return nil, nil, retrieval.SyncStats{}, err
	}
	lex, err := retrieval.LoadLexicon(filepath.Join(p.corpus, "lexicon.yaml"))
	if err != nil {
		return nil, nil, retrieval.SyncStats{}, err
	}
	ix, err := retrieval.Open(ctx, p.data, retrieval.Options{Embedder: emb, Lexicon: lex})
	if err != nil {
		return nil, nil, retrieval.SyncStats{}, err
	}
	stats, err := ix.Sync(ctx, corp, progress)
	if err != nil {
		ix.Close()
		return nil, nil, stats, err
	}
	return ix, corp, stats, loadErr
}

// openEngine opens the index and builds the answer engine on it. A corpus
// with broken files is logged, not fatal: the service answers from the rest.
// tune, if given, adjusts the configuration read from the environment with
// what the subcommand's own flags say.
func openEngine(ctx context.Context, c *cli, p *paths, tune ...func(*chat.Config)) (*chat.Engine, *retrieval.Index, error) {
	eng, ix, _, err := openServed(ctx, c, p, tune...)
	return eng, ix, err
}

// openServed is openEngine that also returns the corpus the engine serves.
func openServed(ctx context.Context, c *cli, p *paths, tune ...func(*chat.Config)) (*chat.Engine, *retrieval.Index, *corpus.Corpus, error) {
	ix, corp, _, err := openIndex(ctx, c, p, nil)
	if ix == nil {
		return nil, nil, nil, err
	}
	if err != nil {
		fmt.Fprintln(c.stderr, "cellchat: warning:", err)
	}
	eng, err := buildEngine(c, p, ix.View(), corp, tune...)
	if err != nil {
		ix.Close()
		return nil, nil, nil, err
	}
	return eng, ix, corp, nil
}

// The engine weighs words by the statistics of the searcher it is given,
// when it offers them; a view of the index must, as the index does.
var _ chat.TermCounter = (*retrieval.View)(nil)

// buildEngine builds the answer engine for corp on a view of the index
// that holds it, so the engine's passages and its corpus statistics are of
// one version.
func buildEngine(c *cli, p *paths, view *retrieval.View, corp *corpus.Corpus, tune ...func(*chat.Config)) (*chat.Engine, error) {
	cfg, err := chat.ConfigFromEnv(c.getenv)
	if err != nil {
		return nil, err
	}
	cfg.CorpusVersion, cfg.Chunks, cfg.Covers = corp.Version, corp.Chunks, corp.Topics()
	if cfg.Lexicon, err = retrieval.LoadLexicon(filepath.Join(p.corpus, "lexicon.yaml")); err != nil {
		return nil, err
	}
	for _, f := range tune {
		f(&cfg)
	}
	return chat.New(view, cfg)
}

// llmFlags are the settings of the generative mode's support check, taken
// by the subcommands that answer questions.
type llmFlags struct {
	minSupport    float64
	keepSupported bool
}

func addLLMFlags(fs *flag.FlagSet) *llmFlags {
	f := &llmFlags{}
	fs.Float64Var(&f.minSupport, "llm-min-support", chat.DefaultMinSupport,
		"with an LLM: share of a generated sentence's content words that the passages it cites must hold (above 0, at most 1)")
	fs.BoolVar(&f.keepSupported, "llm-keep-supported", false,
		"with an LLM: when some generated sentences are not supported by their passages, show the supported ones if they still answer the question, instead of the extractive answer")
	return f
}

// check reports a setting out of range as a bad flag.
func (f *llmFlags) check() error {
	if f.minSupport <= 0 || f.minSupport > 1 {
		return &exitError{code: 2, err: fmt.Errorf("--llm-min-support %g: want a number above 0 and at most 1", f.minSupport)}
	}
	return nil
}

func (f *llmFlags) tune(ec *chat.Config) {
	ec.MinSupport, ec.KeepSupported = f.minSupport, f.keepSupported
}

// noteGenerated tells, on w, why a generated answer was not shown as the
// model wrote it; the reply itself is for the patient.
func noteGenerated(w io.Writer, r chat.Reply) {
	switch {
	case r.Fallback != "":
		fmt.Fprintf(w, "cellchat: the generated answer was not shown, the extractive answer was: %s\n", r.Fallback)
	case r.Unsupported > 0:
		fmt.Fprintf(w, "cellchat: %d generated sentence(s) not supported by their passages were left out\n", r.Unsupported)
	}
}
