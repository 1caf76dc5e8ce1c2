// Command eventrecorder is the event recorder's companion tool: it shows
// what the recorder does (demo), checks configuration files before they
// reach a running process (check-config), backfills outputs from recorded
// JSONL files (replay) and makes those files readable (tail), in either
// schema generation: v1 (package event) and v2 (event/v2), told apart line
// by line (package jsonl's Detector) or chosen with --schema.
//
// It uses only the module's public API, the same as any program embedding
// the recorder.
//
// Exit status: 0 on success; 1 when the command found a problem (an
// invalid configuration, an output that cannot start, events dropped or
// failed, malformed lines); 2 on a usage error or an unreadable file.
// SIGINT and SIGTERM end every command promptly, even one waiting on a
// FIFO: tail with 0, the others with 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/eventrecorder/eventrecorder/event/runtime"
)

// Exit codes.
const (
	exitOK      = 0
	exitProblem = 1
	exitUsage   = 2
)

// app carries the process's streams so that subcommands never touch the
// os globals directly and their output can be asserted.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// stdoutTTY and stderrTTY say whether the streams are terminals:
	// colours and the progress bar appear only there.
	stdoutTTY, stderrTTY bool
}

type command struct {
	name    string
	args    string
	summary string
	run     func(ctx context.Context, a *app, args []string) int
}

// commands is filled in init: the subcommands look their own usage up in
// it, which a plain initializer would make an initialization cycle.
var commands []command

func init() {
	commands = []command{
		{"demo", "[--config FILE] [--out FILE] [--schema v1|v2]", "record a realistic alert lifecycle into ./events.jsonl and stdout", runDemo},
		{"check-config", "[--schema v1|v2] FILE", "validate a configuration and list its outputs", runCheckConfig},
		{"replay", "--config FILE [--schema v1|v2] FILE.jsonl... (or - for stdin)", "re-send recorded events to the configured outputs", runReplay},
		{"tail", "[-f] [--type T]... [--label k=v]... [-n N] [--schema v1|v2] FILE", "show recorded events one per line", runTail},
	}
}

func main() {
	// The first SIGINT or SIGTERM cancels ctx: every command gives up
	// what it waits for (a FIFO's writer included), lets the outputs flush
	// what they were given and reports. Handling stops first, so that
	// once ctx is done a second signal ends the process at once, flushed
	// or not.
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		signal.Stop(sigs)
		cancel()
	}()
	a := &app{
		stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr,
		stdoutTTY: term.IsTerminal(int(os.Stdout.Fd())),
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
	}
	os.Exit(a.main(ctx, os.Args[1:]))
}

func (a *app) main(ctx context.Context, args []string) int {
	if len(args) == 0 {
		a.usage(a.stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			if c, ok := lookup(args[1]); ok {
				return c.run(ctx, a, []string{"-h"})
			}
		}
		a.usage(a.stdout)
		return exitOK
	}
	c, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(a.stderr, "eventrecorder: unknown command %q\n\n", args[0])
		a.usage(a.stderr)
		return exitUsage
	}
	return c.run(ctx, a, args[1:])
}

func lookup(name string) (command, bool) {
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == name })
	if i < 0 {
		return command{}, false
	}
	return commands[i], true
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: eventrecorder COMMAND [ARGS]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'eventrecorder COMMAND -h' for a command's flags.")
	fmt.Fprintln(w, "Exit status: 0 ok; 1 problem found (invalid configuration, events dropped or")
	fmt.Fprintln(w, "failed, malformed lines); 2 usage error or unreadable file.")
}

// newFlags returns a flag set whose usage names the command and its
// arguments, writing to stderr.
func (a *app) newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	c, _ := lookup(name)
	fs.Usage = func() {
		fmt.Fprintf(a.stderr, "Usage: eventrecorder %s %s\n\n%s.\n\nFlags:\n", c.name, c.args, capitalize(c.summary))
		fs.PrintDefaults()
	}
	return fs
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// parse parses flags anywhere among the arguments (so "tail FILE -f"
// works as well as "tail -f FILE") and returns the positional ones. A lone
// "-" is positional (standard input); "--" ends the flags. It returns
// done=true with the exit code when parsing ended the command (-h or an
// error, already reported).
func parse(fs *flag.FlagSet, args []string) (positional []string, code int, done bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, true
			}
			return nil, exitUsage, true
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, 0, false
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), 0, false
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// usageError reports a usage problem the flag package cannot see.
func (a *app) usageError(fs *flag.FlagSet, format string, args ...any) int {
	fmt.Fprintf(a.stderr, "eventrecorder %s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fmt.Fprintf(a.stderr, "Run 'eventrecorder %s -h' for usage.\n", fs.Name())
	return exitUsage
}

// logFlag adds --log-level and returns a function building the logger.
func (a *app) logFlag(fs *flag.FlagSet) func() (*slog.Logger, error) {
	level := fs.String("log-level", "warn", "recorder and output logs to show on stderr: debug, info, warn or error")
	return func() (*slog.Logger, error) {
		var l slog.Level
		if err := l.UnmarshalText([]byte(*level)); err != nil {
			return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", *level)
		}
		return slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: l})), nil
	}
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// interruption words an error that ended a command early: a cancelled
// context is a signal.
func interruption(err error) error {
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted")
	}
	return err
}

// interrupted reports whether err came of a signal (ctx ended), saying so
// on stderr for command name.
func (a *app) interrupted(ctx context.Context, name string, err error) bool {
	if err == nil || ctx.Err() == nil {
		return false
	}
	fmt.Fprintf(a.stderr, "eventrecorder %s: interrupted\n", name)
	return true
}

// closeRecorder closes rec. Close lets the outputs deliver what they were
// given, which can take up to timeout; if a signal comes first (or came),
// it says so, and that a second signal ends the process at once (main
// stops handling signals after the first).
func (a *app) closeRecorder(ctx context.Context, name string, rec recorder, timeout time.Duration) error {
	said := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(said)
		fmt.Fprintf(a.stderr, "eventrecorder %s: interrupted; waiting up to %v for the outputs to deliver what they were given (signal again to exit at once)\n", name, timeout)
	})
	err := rec.Close()
	if !stop() {
		<-said // the notice comes before the summary
	}
	return err
}

// newRecorder is cfg.start (the package's New), given up when ctx ends: a
// file output on a FIFO opens only once the FIFO has a reader, and nothing
// else would end that wait. A recorder that starts after all is closed.
func newRecorder(ctx context.Context, cfg *config, opts runtime.Options) (recorder, error) {
	type started struct {
		rec recorder
		err error
	}
	ch := make(chan started, 1)
	go func() {
		rec, err := cfg.start(opts)
		ch <- started{rec, err}
	}()
	select {
	case s := <-ch:
		return s.rec, s.err
	case <-ctx.Done():
		go func() {
			if s := <-ch; s.err == nil {
				_ = s.rec.Close()
			}
		}()
		return nil, ctx.Err()
	}
}
