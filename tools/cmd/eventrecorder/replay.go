package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/tools/internal/input"
	"github.com/eventrecorder/eventrecorder/tools/internal/jsonl"
	"github.com/eventrecorder/eventrecorder/tools/internal/progress"
)

func runReplay(ctx context.Context, a *app, args []string) int {
	fs := a.newFlags("replay")
	configPath := fs.String("config", "", "configuration whose outputs receive the events (required)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long the outputs may take to flush at the end")
	logger := a.logFlag(fs)
	paths, code, done := parse(fs, args)
	if done {
		return code
	}
	if *configPath == "" {
		return a.usageError(fs, "--config is required")
	}
	if len(paths) == 0 {
		return a.usageError(fs, "want at least one JSONL file (or - for stdin)")
	}
	stdins := 0
	for _, p := range paths {
		if p == jsonl.Stdin {
			stdins++
		}
	}
	if stdins > 1 {
		return a.usageError(fs, "standard input (-) can be read only once")
	}
	log, err := logger()
	if err != nil {
		return a.usageError(fs, "%v", err)
	}
	b, err := input.ReadFile(ctx, *configPath)
	if a.interrupted(ctx, "replay", err) {
		return exitProblem
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "eventrecorder replay: cannot read configuration: %v\n", err)
		return exitUsage
	}
	cfg, err := event.LoadConfig(b)
	var outputs []event.OutputInfo
	if err == nil {
		outputs, err = cfg.Describe()
	}
	if err != nil {
		a.printConfigErrors(*configPath, err)
		return exitProblem
	}
	if len(outputs) == 0 {
		fmt.Fprintf(a.stderr, "eventrecorder replay: %s configures no outputs; nothing to replay into\n", *configPath)
		return exitProblem
	}
	// Every input must be readable before anything is sent, so that a
	// typo in a path does not leave a half-done backfill.
	inputs := make([]*jsonl.Input, 0, len(paths))
	defer func() {
		for _, in := range inputs {
			_ = in.Close()
		}
	}()
	var totalSize int64
	for _, p := range paths {
		in, err := jsonl.Open(ctx, p)
		if a.interrupted(ctx, "replay", err) {
			return exitProblem
		}
		if err != nil {
			fmt.Fprintf(a.stderr, "eventrecorder replay: cannot read input: %v\n", err)
			return exitUsage
		}
		inputs = append(inputs, in)
		if in.Size < 0 || totalSize < 0 {
			totalSize = -1
		} else {
			totalSize += in.Size
		}
	}

	// No Instance: a replayed event keeps its own, and the Kafka output
	// keys records by it as it did when the event was first recorded.
	rec, err := newRecorder(ctx, cfg, event.Options{Logger: log, CloseTimeout: *timeout})
	if a.interrupted(ctx, "replay", err) {
		return exitProblem
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "eventrecorder replay: cannot start the outputs: %v\n", err)
		return exitProblem
	}

	var bar *progress.Bar // nil, drawing nothing, unless stderr is a terminal
	if a.stderrTTY {
		bar = progress.New(a.stderr, "replaying", totalSize)
	}
	var (
		sent        = tally{}
		malformed   int
		interrupted error
		consumed    int64
	)
	for _, in := range inputs {
		if interrupted != nil {
			break
		}
		sc := jsonl.NewScanner(in.Reader, in.Name)
		for interrupted == nil {
			line, err := sc.Next()
			if err == io.EOF {
				break
			}
			if ctx.Err() != nil {
				// A signal; or the read of a FIFO or stdin given up for one.
				interrupted = ctx.Err()
				break
			}
			if err != nil {
				bar.Clear()
				fmt.Fprintf(a.stderr, "%s: read error, rest of the file skipped: %v\n", in.Name, err)
				malformed++
				break
			}
			bar.Set(consumed + in.Raw.N)
			if line.Err != nil { // longer than jsonl.MaxLineBytes
				bar.Clear()
				fmt.Fprintf(a.stderr, "%s: %v\n", line.Pos(), line.Err)
				malformed++
				continue
			}
			if jsonl.Blank(line.Text) {
				continue
			}
			ev, err := jsonl.Decode(line.Text)
			if err != nil {
				bar.Clear()
				fmt.Fprintf(a.stderr, "%s: malformed line skipped: %v\n", line.Pos(), err)
				malformed++
				continue
			}
			if err := rec.Replay(ctx, ev); err != nil {
				interrupted = err
				break
			}
			sent.add(ev.GetData())
		}
		consumed += in.Raw.N
	}
	bar.Finish()
	closeErr := a.closeRecorder(ctx, "replay", rec, *timeout)

	fmt.Fprintf(a.stderr, "replayed %d events from %d %s to %d %s:\n", sent.total(), len(inputs),
		plural(len(inputs), "input", "inputs"), len(outputs), plural(len(outputs), "output", "outputs"))
	ok := summarize(a.stderr, rec, outputs, sent)
	if malformed > 0 {
		fmt.Fprintf(a.stderr, "  %d malformed %s skipped (listed above)\n", malformed, plural(malformed, "line", "lines"))
		ok = false
	}
	if closeErr != nil {
		fmt.Fprintf(a.stderr, "eventrecorder replay: closing the recorder: %v\n", closeErr)
		ok = false
	}
	if interrupted != nil {
		fmt.Fprintf(a.stderr, "eventrecorder replay: stopped early: %v\n", interruption(interrupted))
		ok = false
	}
	if !ok {
		return exitProblem
	}
	return exitOK
}
