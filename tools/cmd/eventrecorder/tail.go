package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/tools/internal/convert"
	"github.com/eventrecorder/eventrecorder/tools/internal/jsonl"
	"github.com/eventrecorder/eventrecorder/tools/internal/render"
)

func runTail(ctx context.Context, a *app, args []string) int {
	fs := a.newFlags("tail")
	follow := fs.Bool("f", false, "keep reading as events are appended, across rotation and truncation")
	var types, labelArgs multiFlag
	fs.Var(&types, "type", "show only events of this type (repeatable; any of them)")
	fs.Var(&labelArgs, "label", "show only events about an alert or silence with label `name=value` (repeatable; all of them)")
	last := fs.Int("n", 0, "show only the last `N` matching events already in the file, as tail(1) does (0: none, only new ones with -f; default: all)")
	color := fs.String("color", "auto", "colour the output: auto (on a terminal unless NO_COLOR is set), always or never")
	poll := fs.Duration("poll", 250*time.Millisecond, "with -f, how often to look for new events")
	schemaFlag := schemaFlag(fs)
	verbose := fs.Bool("v", false, "say on standard error which schema generation the lines are, once a line decides it (or at the end, if none did)")
	pos, code, done := parse(fs, args)
	if done {
		return code
	}
	if len(pos) != 1 {
		return a.usageError(fs, "want exactly one JSONL file (or - for stdin), got %d arguments", len(pos))
	}
	path := pos[0]
	if *follow && path == jsonl.Stdin {
		return a.usageError(fs, "-f needs a file, not standard input")
	}
	if *last < 0 {
		return a.usageError(fs, "-n must not be negative, got %d", *last)
	}
	keep := -1 // every existing event
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "n" {
			keep = *last
		}
	})
	known := event.EventTypeNames()
	for _, t := range types {
		if !slices.Contains(known, t) {
			return a.usageError(fs, "--type %q is not an event type (known: %s)", t, strings.Join(known, ", "))
		}
	}
	filter := render.Filter{Types: types}
	for _, l := range labelArgs {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return a.usageError(fs, "--label %q is not name=value", l)
		}
		filter.Labels = append(filter.Labels, render.Pair{Key: k, Value: v})
	}
	schema, err := parseSchemaFlag(*schemaFlag)
	if err != nil {
		return a.usageError(fs, "%v", err)
	}
	var colored bool
	switch *color {
	case "auto":
		colored = a.stdoutTTY && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	case "always":
		colored = true
	case "never":
	default:
		return a.usageError(fs, "--color %q is not auto, always or never", *color)
	}

	out := bufio.NewWriter(a.stdout)
	defer out.Flush()
	t := &tailer{out: out, errw: a.stderr, filter: filter, color: colored, last: keep, det: &jsonl.Detector{Schema: schema}, verbose: *verbose}

	if !*follow {
		in, err := jsonl.Open(ctx, path)
		if err != nil && ctx.Err() != nil {
			return exitOK // a signal is how one stops waiting for a FIFO
		}
		if err != nil {
			fmt.Fprintf(a.stderr, "eventrecorder tail: %v\n", err)
			return exitUsage
		}
		defer in.Close()
		sc := jsonl.NewScanner(in.Reader, in.Name)
		for {
			line, err := sc.Next()
			if err == io.EOF {
				break
			}
			if ctx.Err() != nil {
				// A signal; or the read of a FIFO or stdin given up for one.
				return t.exitCode()
			}
			if err != nil {
				fmt.Fprintf(a.stderr, "%s: read error: %v\n", in.Name, err)
				t.malformed++
				break
			}
			t.line(line)
		}
		t.caughtUp()
		t.noteSchema(true)
		return t.exitCode()
	}

	fl := &jsonl.Follower{
		Path:   path,
		Poll:   *poll,
		OnLine: t.line,
		OnCaughtUp: func() {
			t.caughtUp()
			_ = out.Flush()
		},
		OnReopen: func(reason string) {
			_ = out.Flush()
			fmt.Fprintf(a.stderr, "eventrecorder tail: %s was %s; reading it from the start\n", path, reason)
		},
	}
	if err := fl.Run(ctx); err != nil {
		_ = out.Flush()
		fmt.Fprintf(a.stderr, "eventrecorder tail: %v\n", err)
		if t.started {
			return exitProblem
		}
		return exitUsage
	}
	return t.exitCode()
}

// tailer renders lines; until the existing content has been read it keeps
// only the last N rendered lines when -n asks for them.
type tailer struct {
	out    *bufio.Writer
	errw   io.Writer
	filter render.Filter
	color  bool
	// last is how many of the existing events to show; negative: all.
	last      int
	ring      []string
	live      bool
	started   bool
	malformed int
	// det holds the lines to one schema generation. A line that fits
	// both (startup, shutdown) renders the same in both, so tail shows it
	// at once, in either reading, without waiting for a line that decides.
	det *jsonl.Detector
	// verbose (-v) asks for the generation on standard error, once.
	verbose, noted bool
}

// noteSchema says, once, which generation the lines are, when -v asked:
// as soon as a line decides it, or at the end of a file none of whose
// lines did (final), as "undecided".
func (t *tailer) noteSchema(final bool) {
	if !t.verbose || t.noted {
		return
	}
	s, _, _ := t.det.Decided()
	if s == jsonl.SchemaUnknown && !final {
		return
	}
	t.noted = true
	_ = t.out.Flush()
	if s == jsonl.SchemaUnknown && t.started {
		fmt.Fprintln(t.errw, "eventrecorder tail: schema undecided: every line fits both generations (--schema chooses)")
		return
	}
	fmt.Fprintf(t.errw, "eventrecorder tail: %s\n", schemaNote(t.det))
}

func (t *tailer) line(l jsonl.Line) {
	t.started = true
	if l.Err != nil { // longer than jsonl.MaxLineBytes
		_ = t.out.Flush()
		fmt.Fprintf(t.errw, "%s: %v\n", l.Pos(), l.Err)
		t.malformed++
		return
	}
	if jsonl.Blank(l.Text) {
		return
	}
	dec, amb, err := t.det.Line(l.Pos(), l.Text)
	if err != nil {
		_ = t.out.Flush()
		fmt.Fprintf(t.errw, "%s: %s\n", l.Pos(), lineError(err))
		t.malformed++
		return
	}
	t.noteSchema(false)
	if amb != nil {
		dec = amb.As(jsonl.SchemaV1)
	}
	ev := dec.V1
	if dec.V2 != nil {
		ev = convert.V1(dec.V2)
	}
	if !t.filter.Match(ev) {
		return
	}
	s := render.Line(ev, t.color)
	if !t.live && t.last >= 0 {
		if t.last == 0 {
			return
		}
		if len(t.ring) == t.last {
			t.ring = t.ring[1:]
		}
		t.ring = append(t.ring, s)
		return
	}
	t.out.WriteString(s)
	t.out.WriteByte('\n')
	if t.live {
		// Following: show each event as it arrives.
		_ = t.out.Flush()
	}
}

func (t *tailer) caughtUp() {
	for _, s := range t.ring {
		t.out.WriteString(s)
		t.out.WriteByte('\n')
	}
	t.ring = nil
	t.live = true
}

func (t *tailer) exitCode() int {
	if t.malformed > 0 {
		return exitProblem
	}
	return exitOK
}
