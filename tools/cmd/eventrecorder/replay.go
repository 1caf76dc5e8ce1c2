package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/eventrecorder/eventrecorder/event/runtime"
	"github.com/eventrecorder/eventrecorder/tools/internal/input"
	"github.com/eventrecorder/eventrecorder/tools/internal/jsonl"
	"github.com/eventrecorder/eventrecorder/tools/internal/progress"
)

// maxPending and maxPendingBytes bound the events replay holds back while
// no line has told the schema generation (each a startup, shutdown or
// silence event: the others carry label sets, which tell), in number and
// in the size of their lines; past either, v1 is assumed.
const (
	maxPending      = 1000
	maxPendingBytes = 64 << 20
)

// errConfig is a configuration refused, already reported.
var errConfig = errors.New("invalid configuration")

func runReplay(ctx context.Context, a *app, args []string) int {
	fs := a.newFlags("replay")
	configPath := fs.String("config", "", "configuration whose outputs receive the events (required)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long the outputs may take to flush at the end")
	logger := a.logFlag(fs)
	schemaArg := schemaFlag(fs)
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
	schema, err := parseSchemaFlag(*schemaArg)
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
	det := &jsonl.Detector{Schema: schema}
	// load checks the configuration with the semantics of the generation
	// in force: at once with --schema, otherwise once a line has told it.
	// Nothing is sent before, so a configuration the generation refuses
	// sends nothing.
	var outputs []runtime.OutputInfo
	load := func() (*config, bool) {
		s, _, _ := det.Decided()
		g, err := generationOf(s)
		if err != nil {
			fmt.Fprintf(a.stderr, "eventrecorder replay: %v\n", err)
			return nil, false
		}
		cfg, err := g.load(b)
		if err == nil {
			outputs, err = cfg.describe()
		}
		if err != nil {
			a.printConfigErrors(*configPath, s, err)
			return nil, false
		}
		if len(outputs) == 0 {
			fmt.Fprintf(a.stderr, "eventrecorder replay: %s configures no outputs; nothing to replay into\n", *configPath)
			return nil, false
		}
		return cfg, true
	}
	var cfg *config
	if schema != jsonl.SchemaUnknown {
		var ok bool
		if cfg, ok = load(); !ok {
			return exitProblem
		}
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

	// The recorder starts once the generation is known. Lines fitting
	// both generations before then wait in pending, at most maxPending of
	// them; more, and the default generation is assumed.
	var (
		rec          recorder
		pending      []jsonl.Ambiguous
		pendingBytes int
	)
	startRecorder := func() error {
		if cfg == nil {
			var ok bool
			if cfg, ok = load(); !ok {
				return errConfig
			}
		}
		// No Instance: a replayed event keeps its own, and the Kafka output
		// keys records by it as it did when the event was first recorded.
		r, err := newRecorder(ctx, cfg, runtime.Options{Logger: log, CloseTimeout: *timeout})
		if err != nil {
			return err
		}
		rec = r
		return nil
	}
	if schema != jsonl.SchemaUnknown {
		// Given the generation, the outputs start before anything is
		// read, as they would without detection.
		if err := startRecorder(); err != nil {
			if !a.interrupted(ctx, "replay", err) {
				fmt.Fprintf(a.stderr, "eventrecorder replay: cannot start the outputs: %v\n", err)
			}
			return exitProblem
		}
	}

	var bar *progress.Bar // nil, drawing nothing, unless stderr is a terminal
	if a.stderrTTY {
		bar = progress.New(a.stderr, "replaying", totalSize)
	}
	var (
		sent        = tally{}
		malformed   int
		mixed       int
		interrupted error
		consumed    int64
	)
	// send replays ev, starting the recorder first if need be (the
	// generation is then known) and sending what waited for it.
	send := func(ev jsonl.Event) error {
		if rec == nil {
			if err := startRecorder(); err != nil {
				return err
			}
			s, _, _ := det.Decided()
			for _, p := range pending {
				pe := p.As(s)
				if err := rec.Replay(ctx, pe); err != nil {
					return err
				}
				sent.add(pe.TypeName())
			}
			pending = nil
		}
		if err := rec.Replay(ctx, ev); err != nil {
			return err
		}
		sent.add(ev.TypeName())
		return nil
	}
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
			ev, amb, err := det.Line(line.Pos(), line.Text)
			if err != nil {
				bar.Clear()
				fmt.Fprintf(a.stderr, "%s: %s\n", line.Pos(), lineError(err))
				if errors.As(err, new(*jsonl.MixedError)) {
					mixed++
				} else {
					malformed++
				}
				continue
			}
			if amb != nil {
				if rec == nil {
					if len(pending) < maxPending && pendingBytes+len(line.Text) <= maxPendingBytes {
						pending = append(pending, *amb)
						pendingBytes += len(line.Text)
						continue
					}
					det.Settle(jsonl.DefaultSchema, fmt.Sprintf("assumed: the %d events before %s fit both generations; --schema chooses", len(pending), line.Pos()))
				}
				s, _, _ := det.Decided()
				ev = amb.As(s)
			}
			if err := send(ev); err != nil {
				interrupted = err
				break
			}
		}
		consumed += in.Raw.N
	}
	bar.Finish()
	if rec == nil && interrupted == nil {
		// No line told the generations apart: the default, unless
		// --schema chose.
		settled := det.Settle(jsonl.DefaultSchema, "assumed: no event tells the generations apart; --schema chooses")
		if err := startRecorder(); err == nil {
			for _, p := range pending {
				pe := p.As(settled)
				if interrupted = rec.Replay(ctx, pe); interrupted != nil {
					break
				}
				sent.add(pe.TypeName())
			}
		} else {
			interrupted = err
		}
	}
	if errors.Is(interrupted, errConfig) {
		return exitProblem // said by load
	}
	if rec == nil {
		if !a.interrupted(ctx, "replay", interrupted) {
			fmt.Fprintf(a.stderr, "eventrecorder replay: cannot start the outputs: %v\n", interrupted)
		}
		if len(pending) > 0 {
			fmt.Fprintf(a.stderr, "eventrecorder replay: %d %s fitting both schema generations, held back until a line told which, not sent\n",
				len(pending), plural(len(pending), "event", "events"))
		}
		return exitProblem
	}
	closeErr := a.closeRecorder(ctx, "replay", rec, *timeout)

	fmt.Fprintf(a.stderr, "replayed %d events from %d %s to %d %s:\n", sent.total(), len(inputs),
		plural(len(inputs), "input", "inputs"), len(outputs), plural(len(outputs), "output", "outputs"))
	fmt.Fprintf(a.stderr, "  %s\n", schemaNote(det))
	ok := summarize(a.stderr, rec, outputs, sent)
	if mixed > 0 {
		fmt.Fprintf(a.stderr, "  %d %s of another schema generation skipped (listed above)\n", mixed, plural(mixed, "line", "lines"))
		ok = false
	}
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
