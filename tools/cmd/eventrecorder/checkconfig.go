package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"go.yaml.in/yaml/v2"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/runtime"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/tools/internal/input"
	"github.com/eventrecorder/eventrecorder/tools/internal/jsonl"
)

func runCheckConfig(ctx context.Context, a *app, args []string) int {
	fs := a.newFlags("check-config")
	schemaArg := fs.String("schema", "v1", "schema generation whose configuration semantics apply: v1 (package event) or v2 (event/v2, Alertmanager v0.35: every output needs a name, unique per kind)")
	pos, code, done := parse(fs, args)
	if done {
		return code
	}
	schema, err := jsonl.ParseSchema(*schemaArg)
	if err != nil {
		return a.usageError(fs, "--schema %q is not v1 or v2", *schemaArg)
	}
	gen, err := generationOf(schema)
	if err != nil {
		fmt.Fprintf(a.stderr, "eventrecorder check-config: %v\n", err)
		return exitProblem
	}
	if len(pos) != 1 {
		return a.usageError(fs, "want exactly one configuration file (or - for stdin), got %d arguments", len(pos))
	}
	path := pos[0]
	var b []byte
	if path == "-" {
		path = "stdin"
		b, err = event.ReadConfig(input.Reader(ctx, a.stdin))
	} else {
		b, err = input.ReadFile(ctx, path)
	}
	if a.interrupted(ctx, "check-config", err) {
		return exitProblem
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "eventrecorder check-config: cannot read configuration: %v\n", err)
		return exitUsage
	}
	// LoadConfig is exactly what a program embedding the recorder calls
	// (LoadConfigFile is os.ReadFile plus LoadConfig); Describe then lists
	// the outputs without creating files or connecting.
	cfg, err := gen.load(b)
	var outputs []runtime.OutputInfo
	if err == nil {
		outputs, err = cfg.describe()
	}
	if err != nil {
		a.printConfigErrors(path, schema, err)
		return exitProblem
	}
	if len(outputs) == 0 {
		fmt.Fprintf(a.stdout, "%s: valid for schema %s, no outputs (a recorder with this configuration records nothing)\n", path, schema)
		return exitOK
	}
	fmt.Fprintf(a.stdout, "%s: valid for schema %s (%s), %d %s\n", path, schema, gen.semantics, len(outputs), plural(len(outputs), "output", "outputs"))
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	for _, o := range outputs {
		types := "all event types"
		if len(o.EventTypes) > 0 {
			types = "event_types: " + strings.Join(o.EventTypes, ", ")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", o.Path, o.Name, o.Format, types)
	}
	_ = tw.Flush()
	return exitOK
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// printConfigErrors writes one line per problem, each prefixed with the
// file and naming the field, like a compiler's error list. The library
// lists at most sink.MaxProblems and counts the rest; the count says how
// many there are in all.
func (a *app) printConfigErrors(source string, schema jsonl.Schema, err error) {
	problems, more := flatten(err)
	total := len(problems) + more
	fmt.Fprintf(a.stderr, "%s: invalid configuration for schema %s, %d %s:\n", source, schema, total, plural(total, "problem", "problems"))
	for _, p := range problems {
		fmt.Fprintf(a.stderr, "  %s: %s\n", source, p)
	}
	if more > 0 {
		fmt.Fprintf(a.stderr, "  %s: %v\n", source, &sink.MoreProblems{N: more})
	}
}

// flatten lists the individual problems in a configuration error (see
// sink.Problems), and how many more the error only counts.
func flatten(err error) ([]string, int) {
	var out []string
	more := 0
	for _, e := range sink.Problems(err) {
		var te *yaml.TypeError
		var m *sink.MoreProblems
		switch {
		case errors.As(e, &m):
			more += m.N
		case errors.As(e, &te) && e == error(te):
			// yaml's own list of problems, one per line already.
			out = append(out, te.Errors...)
		default:
			for _, line := range strings.Split(e.Error(), "\n") {
				if line = strings.TrimSpace(line); line != "" {
					out = append(out, line)
				}
			}
		}
	}
	return out, more
}
