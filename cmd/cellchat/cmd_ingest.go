package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// runIngest indexes the corpus into the data directory, embedding only what
// changed. Broken corpus files are reported and the rest is indexed; the
// command then exits 1.
func runIngest(ctx context.Context, c *cli, args []string) error {
	fs := newFlagSet(c, "ingest", "")
	p := addPathFlags(fs)
	rest, err := parseFlags(fs, c, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return &exitError{code: 2, err: fmt.Errorf("ingest takes no arguments, got %q", rest)}
	}
	start := time.Now()
	progress := newIngestProgress(c.stdout)
	ix, corp, stats, loadErr := openIndex(ctx, c, p, progress.update)
	progress.finish()
	if ix == nil {
		return loadErr
	}
	defer ix.Close()
	line := fmt.Sprintf("indexed %d documents, %d chunks: %d embedded, %d kept, %d removed (corpus version %s) in %s",
		stats.Docs, stats.Chunks, stats.Embedded, stats.Kept, stats.Removed, corp.Version, time.Since(start).Round(time.Millisecond))
	if stats.Reembedded {
		line += fmt.Sprintf("; the embedder changed to %s, so every chunk was embedded again", ix.Embedder().Name())
	}
	fmt.Fprintln(c.stdout, line)
	if n, docs := droppedCount(corp); n > 0 {
		// On stderr: the summary line on stdout is read by scripts.
		fmt.Fprintf(c.stderr, "cellchat: cleaning dropped %d paragraphs from %d documents (cellchat corpus --dropped lists them)\n", n, docs)
	}
	if loadErr != nil {
		return &exitError{code: 1, err: fmt.Errorf("some corpus files were not indexed: %w", loadErr)}
	}
	return nil
}

// ingestProgress draws a progress bar while chunks are embedded, only when
// stdout is a terminal (a log or a pipe gets just the summary line).
type ingestProgress struct {
	w   io.Writer
	tty bool
	bar *progressbar.ProgressBar
}

func newIngestProgress(w io.Writer) *ingestProgress {
	f, ok := w.(*os.File)
	return &ingestProgress{w: w, tty: ok && term.IsTerminal(int(f.Fd()))}
}

func (p *ingestProgress) update(done, total int) {
	if !p.tty || total == 0 {
		return
	}
	if p.bar == nil {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("embedding chunks"),
			progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionThrottle(50*time.Millisecond))
	}
	p.bar.Set(done)
}

func (p *ingestProgress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
