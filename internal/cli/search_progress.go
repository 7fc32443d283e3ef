package cli

import (
	"fmt"
	"time"

	"github.com/schollz/progressbar/v3"
)

// walkProgress reports the progress of a long walk on stderr: a bar on a
// terminal, otherwise a plain line every walkProgressEvery. Nothing is
// shown for walks shorter than walkProgressDelay.
type walkProgress struct {
	env     *Env
	started time.Time
	last    time.Time // of the last plain line
	shown   bool
	bar     *progressbar.ProgressBar
	queries int
}

const (
	walkProgressDelay = time.Second
	walkProgressEvery = 5 * time.Second
)

// walkClock is the clock of walkProgress; tests replace it.
var walkClock = time.Now

func newWalkProgress(env *Env) *walkProgress {
	return &walkProgress{env: env, started: walkClock()}
}

// update records that the walk has made queries model queries and that
// its path has pathLen vertices.
func (p *walkProgress) update(queries, pathLen int) {
	p.queries = queries
	t := walkClock()
	elapsed := t.Sub(p.started)
	if elapsed < walkProgressDelay {
		return
	}
	if p.env.StderrIsTerminal {
		if p.bar == nil {
			p.bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(p.env.Stderr),
				progressbar.OptionSetDescription("walking to the goal"), progressbar.OptionShowCount(),
				progressbar.OptionSetItsString("queries"), progressbar.OptionShowIts(),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		}
		p.bar.Set(queries)
		p.shown = true
		return
	}
	if !p.shown || t.Sub(p.last) >= walkProgressEvery {
		fmt.Fprintf(p.env.Stderr, "search: %s so far, path at %s (%.0f s)\n",
			plural(queries, "model query", "model queries"), plural(pathLen, "vertex", "vertices"), elapsed.Seconds())
		p.last, p.shown = t, true
	}
}

// finish ends the bar and, after plain progress lines, prints the total.
func (p *walkProgress) finish() {
	switch {
	case p.bar != nil:
		p.bar.Finish()
	case p.shown:
		fmt.Fprintf(p.env.Stderr, "search: done after %s (%.1f s)\n", plural(p.queries, "model query", "model queries"), walkClock().Sub(p.started).Seconds())
	}
}
