package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/eventrecorder/eventrecorder/event/runtime"
	"github.com/eventrecorder/eventrecorder/tools/internal/input"
	"github.com/eventrecorder/eventrecorder/tools/internal/jsonl"
	"github.com/eventrecorder/eventrecorder/tools/internal/lifecycle"
)

// defaultConfig is what the demo records into when --config is not given:
// a JSONL file and standard output, so it needs no external service.
//
//go:embed demo.yaml
var defaultConfig []byte

func runDemo(ctx context.Context, a *app, args []string) int {
	fs := a.newFlags("demo")
	configPath := fs.String("config", "", "send the lifecycle to the outputs of this configuration instead of the defaults")
	out := fs.String("out", "events.jsonl", "file the default configuration appends to (not with --config)")
	instance := fs.String("instance", "demo-alertmanager:9093", "instance name stamped on every event")
	timeout := fs.Duration("timeout", 10*time.Second, "how long Close may take to flush the outputs")
	logger := a.logFlag(fs)
	schemaArg := fs.String("schema", "v1", "schema generation to record in: v1 (package event, Alertmanager v0.33's JSON) or v2 (event/v2, Alertmanager v0.35's: label sets as objects)")
	pos, code, done := parse(fs, args)
	if done {
		return code
	}
	if len(pos) > 0 {
		return a.usageError(fs, "unexpected argument %q", pos[0])
	}
	outSet := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "out" {
			outSet = true
		}
	})
	if outSet && *configPath != "" {
		return a.usageError(fs, "--out applies to the default configuration; set the file output's path in %s instead", *configPath)
	}
	log, err := logger()
	if err != nil {
		return a.usageError(fs, "%v", err)
	}
	schema, err := jsonl.ParseSchema(*schemaArg)
	if err != nil {
		return a.usageError(fs, "--schema %q is not v1 or v2", *schemaArg)
	}
	gen, err := generationOf(schema)
	if err != nil {
		fmt.Fprintf(a.stderr, "eventrecorder demo: %v\n", err)
		return exitProblem
	}

	var cfg *config
	source := "built-in demo configuration"
	if *configPath != "" {
		b, err := input.ReadFile(ctx, *configPath)
		if a.interrupted(ctx, "demo", err) {
			return exitProblem
		}
		if err != nil {
			fmt.Fprintf(a.stderr, "eventrecorder demo: cannot read configuration: %v\n", err)
			return exitUsage
		}
		if cfg, err = gen.load(b); err != nil {
			a.printConfigErrors(*configPath, schema, err)
			return exitProblem
		}
		source = *configPath
	} else {
		if cfg, err = gen.load(gen.demoConfig); err != nil {
			fmt.Fprintf(a.stderr, "eventrecorder demo: built-in configuration: %v\n", err) // a bug in this program
			return exitProblem
		}
		cfg.setFile(*out)
	}
	outputs, err := cfg.describe()
	if err != nil {
		a.printConfigErrors(source, schema, err)
		return exitProblem
	}

	rec, err := newRecorder(ctx, cfg, runtime.Options{Instance: *instance, Logger: log, CloseTimeout: *timeout})
	if a.interrupted(ctx, "demo", err) {
		return exitProblem
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "eventrecorder demo: cannot start the outputs: %v\n", err)
		return exitProblem
	}
	now := time.Now()
	steps := lifecycle.Steps(now)
	fmt.Fprintf(a.stderr, "recording an alert lifecycle of %d events from the last %d minutes (%s) in schema %s to %d outputs from the %s\n",
		len(steps), int(now.Sub(steps[0].At).Round(time.Minute).Minutes()), "NodeDown and HighLatency on node-7: fired, grouped, paged, silenced, inhibited, resolved",
		schema, len(outputs), source)
	sent := tally{}
	var interrupted error
	for _, s := range steps {
		// Replay rather than RecordEvent, which stamps the current time:
		// the lifecycle took minutes, the demo takes milliseconds. Replay
		// sends an event with its own envelope through the same queue,
		// encoders and outputs.
		ev := gen.wrap(s.Data, s.At, *instance)
		if interrupted = rec.Replay(ctx, ev); interrupted != nil {
			break
		}
		sent.add(ev.TypeName())
	}
	closeErr := a.closeRecorder(ctx, "demo", rec, *timeout)

	fmt.Fprintf(a.stderr, "recorded %d events as instance %s in schema %s:\n", sent.total(), *instance, schema)
	ok := summarize(a.stderr, rec, outputs, sent)
	if closeErr != nil {
		fmt.Fprintf(a.stderr, "eventrecorder demo: closing the recorder: %v\n", closeErr)
		ok = false
	}
	if interrupted != nil {
		fmt.Fprintf(a.stderr, "eventrecorder demo: stopped early: %v\n", interruption(interrupted))
		return exitProblem
	}
	if !ok {
		fmt.Fprintln(a.stderr, "eventrecorder demo: some events did not reach their outputs")
		return exitProblem
	}
	if *configPath == "" {
		fmt.Fprintf(a.stderr, "next: %s tail %s\n", invocation(), shellQuote(*out))
	}
	return exitOK
}

// invocation returns a command that runs this program again from the
// current directory, for the demo's suggestion of what to run next:
//   - under go run (as make demo runs it), "go run ./tools/cmd/eventrecorder":
//     the executable is a temporary build, gone when go run ends;
//   - started by a bare name, which the shell found on the PATH, that name;
//   - otherwise the path it was started by (bin/eventrecorder, ./eventrecorder).
func invocation() string {
	exe, _ := os.Executable()
	if builtByGoRun(exe) {
		const pkg = "./tools/cmd/eventrecorder"
		if fi, err := os.Stat(filepath.FromSlash(pkg)); err == nil && fi.IsDir() {
			return "go run " + pkg
		}
		// Run from elsewhere in the module: the import path works there.
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Path != "" {
			return "go run " + bi.Path
		}
		return "go run " + pkg
	}
	if !strings.ContainsRune(os.Args[0], filepath.Separator) {
		return os.Args[0]
	}
	return shellQuote(os.Args[0])
}

// builtByGoRun reports whether exe lies in a directory the go command
// builds into: go run's temporary go-build* directory, or the build cache
// (by default named go-build) where newer go commands keep the binaries
// they run.
func builtByGoRun(exe string) bool {
	for _, part := range strings.Split(filepath.ToSlash(filepath.Dir(exe)), "/") {
		if strings.HasPrefix(part, "go-build") {
			return true
		}
	}
	return false
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// characters that need no quoting.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:@+,%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
