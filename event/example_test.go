package event_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/sink"
)

// Recording into a JSONL file output, then reading the file back the way
// any consumer would: one protojson Event per line.
func Example_fileOutput() {
	dir, err := os.MkdirTemp("", "eventrecorder-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "events.jsonl")

	cfg := event.Config{FileOutputs: []event.FileOutputConfig{{Path: path}}}
	rec, err := event.New(cfg, event.Options{Instance: "am-1:9093"})
	if err != nil {
		fmt.Println(err)
		return
	}

	// Recording is opt-in per call path.
	ctx := event.WithEventRecording(context.Background())
	rec.RecordEvent(ctx, event.NewAlertmanagerStartupEvent("0.33.1", "go1.26"))
	nodeDown := &alert.Alert{Alert: model.Alert{
		Labels:   model.LabelSet{"alertname": "NodeDown", "instance": "node-7"},
		StartsAt: time.Now(),
	}}
	rec.RecordEvent(ctx, event.NewAlertCreatedEvent(nodeDown))
	rec.RecordEvent(context.Background(), event.NewAlertmanagerShutdownEvent()) // not enabled: not recorded

	// Close delivers everything accepted before returning.
	if err := rec.Close(); err != nil {
		fmt.Println(err)
		return
	}

	f, err := os.Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev eventrecorderpb.Event
		if err := protojson.Unmarshal(sc.Bytes(), &ev); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(event.EventTypeName(ev.GetData()), ev.GetInstance())
	}
	// Output:
	// alertmanager_startup_event am-1:9093
	// alert_created am-1:9093
}

// auditConfig configures the "audit" output kind of the example below: a
// kind defined outside this module, the way a user adds a destination.
type auditConfig struct {
	// Prefix starts every line the output prints.
	Prefix string `yaml:"prefix"`
	// Filter and Naming add the event_types and name settings every
	// output supports.
	sink.Filter `yaml:",inline"`
	sink.Naming `yaml:",inline"`
}

// Validate is called after decoding; errors name the field relative to
// the output, and the recorder prefixes "audit_outputs[i]".
func (c *auditConfig) Validate() error {
	if c.Prefix == "" {
		return sink.Errorf("prefix", "is required")
	}
	return nil
}

// auditSink prints one line per event. It delivers synchronously, so it
// reports each batch before Deliver returns.
type auditSink struct {
	cfg auditConfig
	env sink.Env[*eventrecorderpb.Event]
}

// Name honours a configured name, so that two audit outputs with the same
// prefix can coexist.
func (s *auditSink) Name() string { return sink.NameOr(s.cfg, "audit:"+s.cfg.Prefix) }

func (s *auditSink) Deliver(batch []sink.Message[*eventrecorderpb.Event]) {
	for _, m := range batch {
		fmt.Println(s.cfg.Prefix, m.Type, m.Event.GetInstance())
	}
	s.env.Reporter.Report(batch, sink.Delivered, nil)
}

func (s *auditSink) Close() error { return nil }

var registerAudit sync.Once

// A custom output kind, registered from outside the module and configured
// in YAML under "audit_outputs" like the built-in kinds.
func ExampleRegisterKind() {
	// Register once per process, before loading configuration; usually
	// from an init function.
	registerAudit.Do(func() {
		err := event.RegisterKind(sink.KindOf[*eventrecorderpb.Event, auditConfig]{
			Name: "audit",
			New: func(cfg auditConfig, env sink.Env[*eventrecorderpb.Event]) (sink.Sink[*eventrecorderpb.Event], error) {
				return &auditSink{cfg: cfg, env: env}, nil
			},
			// Deliver is done with the values when it returns.
			Synchronous: true,
		}.Kind())
		if err != nil {
			panic(err)
		}
	})

	// The kind's own validation runs at load time, with the path.
	_, err := event.LoadConfig([]byte("audit_outputs:\n  - {}\n"))
	fmt.Println(err)

	cfg, err := event.LoadConfig([]byte(`
audit_outputs:
  - prefix: AUDIT
    event_types: [silence_created, silence_updated]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := event.New(cfg, event.Options{Instance: "am-1:9093"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := event.WithEventRecording(context.Background())
	rec.RecordEvent(ctx, event.NewAlertmanagerStartupEvent("0.33.1", ""))
	rec.RecordEvent(ctx, event.NewSilenceCreatedEvent(&eventrecorderpb.Silence{Id: "4c0ee4b5"}))
	if err := rec.Close(); err != nil {
		fmt.Println(err)
	}
	for _, s := range rec.Stats() {
		fmt.Printf("%s: delivered %d\n", s.Name, s.Delivered)
	}
	// Output:
	// audit_outputs[0].prefix: is required
	// AUDIT silence_created am-1:9093
	// audit:AUDIT: delivered 1
}

// RecordEventFunc builds the event only when the context enables
// recording, so a hot path that is not recorded pays no allocation.
func ExampleRecorder_RecordEventFunc() {
	dir, err := os.MkdirTemp("", "eventrecorder-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	cfg := event.Config{FileOutputs: []event.FileOutputConfig{{Path: filepath.Join(dir, "events.jsonl")}}}
	rec, err := event.New(cfg, event.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}

	builds := 0
	build := func() *eventrecorderpb.EventData {
		builds++
		a := &alert.Alert{Alert: model.Alert{Labels: model.LabelSet{"alertname": "HighLatency"}}}
		return event.NewAlertCreatedEvent(a)
	}
	rec.RecordEventFunc(context.Background(), build)                           // not enabled: build is not called
	rec.RecordEventFunc(event.WithEventRecording(context.Background()), build) // enabled: built and queued
	if err := rec.Close(); err != nil {
		fmt.Println(err)
	}
	fmt.Println("built:", builds, "delivered:", rec.Stats()[0].Delivered)
	// Output:
	// built: 1 delivered: 1
}

// Hot reload: ApplyConfigErr diffs the outputs. An unchanged output keeps
// running (same open file, nothing lost), new ones start, removed ones are
// drained and closed; an invalid configuration changes nothing.
func ExampleRecorder_ApplyConfigErr() {
	dir, err := os.MkdirTemp("", "eventrecorder-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	a := event.FileOutputConfig{Path: filepath.Join(dir, "a.jsonl")}
	b := event.FileOutputConfig{Path: filepath.Join(dir, "b.jsonl")}

	rec, err := event.New(event.Config{FileOutputs: []event.FileOutputConfig{a}}, event.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := event.WithEventRecording(context.Background())
	rec.RecordEvent(ctx, event.NewAlertmanagerStartupEvent("0.33.1", ""))

	// Add b; a is unchanged and keeps running with its counts.
	if err := rec.ApplyConfigErr(event.Config{FileOutputs: []event.FileOutputConfig{a, b}}); err != nil {
		fmt.Println(err)
	}
	rec.RecordEvent(ctx, event.NewAlertmanagerShutdownEvent())

	// A bad configuration is rejected whole, naming the field; a and b
	// stay in force.
	bad := event.Config{FileOutputs: []event.FileOutputConfig{a, {Path: b.Path, Fsync: "always"}}}
	if err := rec.ApplyConfigErr(bad); err != nil {
		fmt.Println(err)
	}

	if err := rec.Close(); err != nil {
		fmt.Println(err)
	}
	// b got the shutdown event, and the startup event too if that was
	// still queued at the reload: events go to the outputs configured
	// when they are delivered.
	stats := rec.Stats()
	fmt.Printf("%d outputs; %s delivered %d\n", len(stats), filepath.Base(stats[0].Name), stats[0].Delivered)
	// Output:
	// file_outputs[1].fsync: must be "none" or "batch", got "always"
	// 2 outputs; a.jsonl delivered 2
}
