package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/event/runtime"
	eventv2 "github.com/eventrecorder/eventrecorder/event/v2"
	"github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
	"github.com/eventrecorder/eventrecorder/tools/internal/convert"
	"github.com/eventrecorder/eventrecorder/tools/internal/jsonl"
)

// schemaFlag adds --schema, the event-schema generation of the input
// lines (tail, replay) or of what is written (demo, check-config).
func schemaFlag(fs *flag.FlagSet) *string {
	return fs.String("schema", "auto", "schema generation of the events: v1 (package event, Alertmanager v0.33), v2 (event/v2, Alertmanager v0.35) or auto (each line's shape tells)")
}

// parseSchemaFlag returns the generation --schema asks for; auto is
// jsonl.SchemaUnknown, detection.
func parseSchemaFlag(v string) (jsonl.Schema, error) {
	if v == "auto" {
		return jsonl.SchemaUnknown, nil
	}
	s, err := jsonl.ParseSchema(v)
	if err != nil {
		return s, fmt.Errorf("--schema %q is not v1, v2 or auto", v)
	}
	return s, nil
}

// lineError words a line the Detector refused, after its file:line.
func lineError(err error) string {
	var mixed *jsonl.MixedError
	if errors.As(err, &mixed) {
		return "line of another schema generation skipped: " + err.Error()
	}
	return "malformed line skipped: " + err.Error()
}

// schemaNote says which generation a command read or wrote, for its
// summary.
func schemaNote(d *jsonl.Detector) string {
	s, at, why := d.Decided()
	switch {
	case s == jsonl.SchemaUnknown:
		return "schema: none (no events)"
	case at != "":
		return fmt.Sprintf("schema %s, detected at %s (%s)", s, at, why)
	}
	return fmt.Sprintf("schema %s (%s)", s, why)
}

// recorder is what the commands use of a started recorder, of either
// generation.
type recorder interface {
	// Replay sends ev, of the recorder's generation, with its own
	// envelope.
	Replay(ctx context.Context, ev jsonl.Event) error
	Stats() []runtime.OutputStats
	Dropped() uint64
	Close() error
}

// config is a configuration loaded with one generation's semantics (its
// package's LoadConfig).
type config struct {
	// describe is the package's Config.Describe: the outputs, checked,
	// without starting them.
	describe func() ([]runtime.OutputInfo, error)
	// setFile sets the first file output's path (the demo's --out).
	setFile func(path string)
	// start is the package's New.
	start func(opts runtime.Options) (recorder, error)
}

// generation is one schema generation's public API, as the commands use
// it: package event for v1, event/v2 for v2.
type generation struct {
	schema jsonl.Schema
	// pkg is the package, for messages.
	pkg string
	// semantics says what is particular to the generation's
	// configuration, for check-config.
	semantics string
	// load is the package's LoadConfig.
	load func(b []byte) (*config, error)
	// wrap puts the demo's lifecycle event data (built in v1 terms, see
	// package lifecycle) into an envelope of the generation.
	wrap func(d *eventrecorderpb.EventData, at time.Time, instance string) jsonl.Event
	// demoConfig is the demo's built-in configuration.
	demoConfig []byte
}

// generations holds the API of each generation this build has.
var generations = map[jsonl.Schema]generation{
	jsonl.SchemaV1: {
		schema:    jsonl.SchemaV1,
		pkg:       "github.com/eventrecorder/eventrecorder/event",
		semantics: "output names optional",
		load: func(b []byte) (*config, error) {
			cfg, err := event.LoadConfig(b)
			if err != nil {
				return nil, err
			}
			return &config{
				describe: cfg.Describe,
				setFile:  func(path string) { cfg.FileOutputs[0].Path = path },
				start: func(opts runtime.Options) (recorder, error) {
					rec, err := event.New(cfg, opts)
					return v1Recorder{rec}, err
				},
			}, nil
		},
		wrap: func(d *eventrecorderpb.EventData, at time.Time, instance string) jsonl.Event {
			return jsonl.Event{V1: &eventrecorderpb.Event{Timestamp: timestamppb.New(at), Instance: instance, Data: d}}
		},
		demoConfig: defaultConfig,
	},
	jsonl.SchemaV2: {
		schema:    jsonl.SchemaV2,
		pkg:       "github.com/eventrecorder/eventrecorder/event/v2",
		semantics: "every output named, names unique per kind",
		load: func(b []byte) (*config, error) {
			cfg, err := eventv2.LoadConfig(b)
			if err != nil {
				return nil, err
			}
			return &config{
				describe: cfg.Describe,
				setFile:  func(path string) { cfg.FileOutputs[0].Path = path },
				start: func(opts runtime.Options) (recorder, error) {
					rec, err := eventv2.New(cfg, opts)
					return v2Recorder{rec}, err
				},
			}, nil
		},
		wrap: func(d *eventrecorderpb.EventData, at time.Time, instance string) jsonl.Event {
			return jsonl.Event{V2: &eventsv2pb.Event{Timestamp: timestamppb.New(at), Instance: instance, Data: convert.V2Data(d)}}
		},
		demoConfig: defaultConfigV2,
	},
}

// defaultConfigV2 is defaultConfig with the names v2 requires.
//
//go:embed demo-v2.yaml
var defaultConfigV2 []byte

type v2Recorder struct{ eventv2.Recorder }

func (r v2Recorder) Replay(ctx context.Context, ev jsonl.Event) error {
	return r.Recorder.Replay(ctx, ev.V2)
}

type v1Recorder struct{ event.Recorder }

func (r v1Recorder) Replay(ctx context.Context, ev jsonl.Event) error {
	return r.Recorder.Replay(ctx, ev.V1)
}

// generationOf returns the API of generation s, or an error saying this
// build lacks it.
func generationOf(s jsonl.Schema) (generation, error) {
	g, ok := generations[s]
	if !ok {
		return generation{}, fmt.Errorf("schema %s is not available in this build", s)
	}
	return g, nil
}
