package main

import "math"

// group is one `go test -bench` run: a package, a benchmark pattern and a
// benchtime, summarised by one or more benchstat views.
type group struct {
	ID        string // names the raw output file, <ID>.txt
	Title     string
	About     string // what is measured against what
	Pkg       string // package path relative to the module root, "./event"
	Bench     string // -bench pattern
	Benchtime string // -benchtime; fixed counts (Nx) for pipelines whose setup is costly
	Views     []view
}

// view is one benchstat table of a group's results.
type view struct {
	Filter string // benchstat -filter; empty means all
	Col    string // benchstat -col; the baseline value first
}

// sel names one measurement: a benchmark's full name (without the
// -GOMAXPROCS suffix) in a group, and a unit as go test prints it.
type sel struct {
	Group, Name, Unit string
}

// figure is one line of the summary: a measurement, optionally beside a
// baseline, and optionally a target.
type figure struct {
	Title    string
	Subject  sel
	Baseline *sel
	// Ratio combines subject and baseline so that the target reads the
	// way the issue states it; RatioText says how.
	Ratio     func(subject, baseline float64) float64
	RatioText string
	// Target applies to the ratio when there is a baseline, else to the
	// subject itself. Nil means no target (a figure to watch).
	Target *target
	// TargetSubject applies the target to the subject even beside a
	// baseline: the issue states an absolute bound (≤ 1 µs), and the
	// baseline shows what it is measured against.
	TargetSubject bool
	// RatioUnit, when set, is what the ratio counts (allocs/alert), and it
	// is written with that unit instead of as a multiple.
	RatioUnit string
}

type target struct {
	AtLeast bool // ≥ Value when true, ≤ Value when false
	Value   float64
}

func (t target) met(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	if t.AtLeast {
		return v >= t.Value
	}
	return v <= t.Value
}

func atLeast(v float64) *target { return &target{AtLeast: true, Value: v} }
func atMost(v float64) *target  { return &target{Value: v} }

// subjectOverBaseline suits units where the subject should be high
// (events/s) or where the target caps a cost (ns/op ≤ 3× the floor).
func subjectOverBaseline(s, b float64) float64 { return s / b }

// perAlertOf99 is the growth per alert from a notification of one alert
// (the baseline) to one of 100 (the subject).
func perAlertOf99(s, b float64) float64 { return (s - b) / 99 }

// baselineOverSubject is a speed-up or a saving: how many times less the
// subject costs than the baseline.
func baselineOverSubject(s, b float64) float64 { return b / s }

// suite is what `make bench` runs, in the order it is reported.
var suite = []group{
	{
		ID:    "encode",
		Title: "JSON encoding: generated encoder vs protojson.Marshal",
		About: "The reference event (AlertCreated, 10 labels, 3 annotations) in its envelope, encoded " +
			"by the generated AppendJSON into a reused buffer and by protojson.Marshal.",
		Pkg: "./event/eventrecorderpb", Bench: "^BenchmarkEncode$", Benchtime: "0.5s",
		Views: []view{{Col: "/impl@(protojson generated)"}},
	},
	{
		ID:    "record",
		Title: "RecordEvent hot path vs a buffered-channel send",
		About: "What the caller pays per accepted RecordEvent with recording enabled, on one goroutine " +
			"and under RunParallel, against the floor: a blocking send of a pointer on a buffered channel " +
			"of the same size, with a consumer. RecordEvent never blocks, so the benchmark yields while " +
			"the queue is over half full, as the floor's send waits when its buffer is full (timed in " +
			"both); drops/op shows the queue never filled. Disabled: a context without recording, lazy " +
			"(RecordEventFunc) and eager.",
		Pkg: "./event", Bench: "^BenchmarkRecordEvent(Disabled)?$", Benchtime: "0.5s",
		Views: []view{
			{Filter: ".name:RecordEvent", Col: "/impl@(chan recorder)"},
			{Filter: ".name:RecordEventDisabled", Col: "/impl@(eager lazy)"},
		},
	},
	{
		ID:    "construct",
		Title: "Building an event: generated constructors vs one allocation per message",
		About: "What instrumented code pays on its own goroutine to build an event, against protobuf's own " +
			"way of building the same message tree: a literal with one heap object per message (&LabelPair{} " +
			"per pair, timestamppb.New per timestamp), checked to build equal messages. alert_created is the " +
			"reference alert (10 labels, 3 annotations); alert_created+record adds RecordEvent into a recorder " +
			"whose file output writes to /dev/null, the caller waiting with the timer stopped while the queue is " +
			"over half full, so that the time is the caller's and not how fast the consumer drains (allocs/op " +
			"counts the consumer's envelopes made while the timer ran); notification is NewNotificationEvent of " +
			"1 or 100 alerts of the reference shape, each converted by GroupedAlertAsProto. cpu-ns/op is the CPU " +
			"time of the benchmark goroutine's own thread, to which it is locked: the caller's cost without the " +
			"time it waited for a core other processes held, which moves ns/op on a shared machine.",
		Pkg: "./event", Bench: "^BenchmarkConstruct$", Benchtime: "0.5s",
		Views: []view{{Col: "/impl@(literal generated)"}},
	},
	{
		ID:    "queue",
		Title: "Queue: ring buffer vs buffered channel",
		About: "Items moved from 1, 2 or 8 producers to one batching consumer.",
		Pkg:   "./queue", Bench: "^BenchmarkQueue$", Benchtime: "0.5s",
		Views: []view{{Col: "/impl@(chan ring)"}},
	},
	{
		ID:    "file",
		Title: "File output: sustained lossless throughput vs a naive pipeline",
		About: "Events/s from the first RecordEvent until the file holds the last line (Close), with a " +
			"queue larger than the run so that nothing drops (checked, as is the file's line count). " +
			"Naive: a channel, one goroutine, protojson.Marshal and one write(2) per event. allocs/op " +
			"is per event, the envelope the consumer builds included.",
		Pkg: "./internal/bench", Bench: "^BenchmarkFileThroughput$", Benchtime: "200000x",
		Views: []view{{Col: "/impl@(naive recorder)"}},
	},
	{
		ID:    "fanout",
		Title: "Fan-out: CPU per event, three file outputs vs one",
		About: "User+system CPU time of the whole process (getrusage) per event, from the first " +
			"RecordEvent until Close returns, with three JSON file outputs against one. dest=null: every " +
			"output writes to /dev/null, so the figure is what fanning out costs the recorder and the " +
			"file sink (encoding, batching, the write(2) calls) and not the filesystem; the target applies " +
			"there. dest=file: real files, where each output also costs the kernel a copy of every " +
			"event's bytes into the page cache, shown apart as system time.",
		Pkg: "./internal/bench", Bench: "^BenchmarkFanOut$", Benchtime: "100000x",
		Views: []view{{Col: "/sinks@(1 3)"}},
	},
	{
		ID:    "webhook",
		Title: "Webhook output vs bare HTTP posts to the same loopback server",
		About: "Events/s to an httptest server that counts the events it receives (checked). The " +
			"recorder runs the output's defaults (4 workers, queue 1024, batches of 100) and is paced " +
			"to keep at most 1024 events unresolved, so nothing drops. Bare: the same client " +
			"(prometheus/common, default config) in 4 goroutines posting pre-encoded bodies, one " +
			"event per request or arrays of 100.",
		Pkg: "./internal/bench", Bench: "^BenchmarkWebhookThroughput$", Benchtime: "20000x",
		Views: []view{{Col: "/impl@(bare recorder)"}},
	},
	{
		ID:    "kafka",
		Title: "Kafka output vs a bare sarama AsyncProducer, into kfake",
		About: "Events/s until the broker acknowledged the last record (acks=leader, JSON, no " +
			"compression), into an in-process kfake broker that discards record bytes but advances " +
			"offsets (the count is checked there). Both keep at most 1024 records unacknowledged; the " +
			"bare producer sends pre-encoded values with the output's key and headers.",
		Pkg: "./internal/bench", Bench: "^BenchmarkKafkaThroughput$", Benchtime: "50000x",
		Views: []view{{Col: "/impl@(sarama recorder)"}},
	},
	{
		ID:    "memory",
		Title: "Memory held per queued event",
		About: "Live heap per event waiting in the recorder's queue while its only output is stalled " +
			"(65536 events; queue slot included). shared: one EventData recorded over and over (the " +
			"recorder's own cost); fresh: each built by NewAlertCreatedEvent.",
		Pkg: "./internal/bench", Bench: "^BenchmarkQueuedMemory$", Benchtime: "2x",
		Views: []view{{Col: "/data@(shared fresh)"}},
	},
	{
		ID:    "sink-file",
		Title: "sink/file: Deliver of 64-event batches",
		About: "The file sink alone: one write per batch, and with fsync=batch one fsync.",
		Pkg:   "./sink/file", Bench: "^BenchmarkDeliver$", Benchtime: "0.5s",
		Views: []view{{Col: "/fsync@(none batch)"}},
	},
	{
		ID:    "sink-webhook",
		Title: "sink/webhook: sustained delivery to a loopback receiver",
		About: "The webhook sink alone, single, batch and gzip-compressed batch.",
		Pkg:   "./sink/webhook", Bench: "^BenchmarkDeliver$", Benchtime: "0.5s",
		Views: []view{{}},
	},
	{
		ID:    "sink-kafka",
		Title: "sink/kafka: the sink vs a bare sarama producer, into kfake",
		About: "The Kafka sink alone against sarama with the same settings, both with 4096 messages " +
			"outstanding at most.",
		Pkg: "./sink/kafka", Bench: "^Benchmark(Sink|SaramaFloor)$", Benchtime: "50000x",
		Views: []view{{Col: ".name@(SaramaFloor Sink)"}},
	},
}

// profileRun is the benchmark profiled for the file pipeline.
var profileRun = struct {
	Pkg, Bench, Benchtime string
}{"./internal/bench", "^BenchmarkFileThroughput$/^impl=recorder$", "500000x"}

func s(group, name, unit string) sel { return sel{Group: group, Name: name, Unit: unit} }
func ps(group, name, unit string) *sel {
	v := s(group, name, unit)
	return &v
}

// figures are the summary lines, with the targets of the performance issue.
var figures = []figure{
	{
		Title:   "Encode time: generated vs protojson.Marshal",
		Subject: s("encode", "BenchmarkEncode/impl=generated", "ns/op"), Baseline: ps("encode", "BenchmarkEncode/impl=protojson", "ns/op"),
		Ratio: baselineOverSubject, RatioText: "protojson ÷ generated", Target: atLeast(5),
	},
	{
		Title:   "Encode allocations: generated vs protojson.Marshal",
		Subject: s("encode", "BenchmarkEncode/impl=generated", "allocs/op"), Baseline: ps("encode", "BenchmarkEncode/impl=protojson", "allocs/op"),
		Ratio: baselineOverSubject, RatioText: "protojson ÷ generated", Target: atLeast(5),
	},
	{
		Title:   "RecordEvent, 1 goroutine, vs channel send",
		Subject: s("record", "BenchmarkRecordEvent/impl=recorder/par=1", "ns/op"), Baseline: ps("record", "BenchmarkRecordEvent/impl=chan/par=1", "ns/op"),
		Ratio: subjectOverBaseline, RatioText: "recorder ÷ chan", Target: atMost(3),
	},
	{
		Title:   "RecordEvent, RunParallel, vs channel send",
		Subject: s("record", "BenchmarkRecordEvent/impl=recorder/par=parallel", "ns/op"), Baseline: ps("record", "BenchmarkRecordEvent/impl=chan/par=parallel", "ns/op"),
		Ratio: subjectOverBaseline, RatioText: "recorder ÷ chan", Target: atMost(3),
	},
	{
		Title:   "RecordEvent allocations, 1 goroutine",
		Subject: s("record", "BenchmarkRecordEvent/impl=recorder/par=1", "allocs/op"), Target: atMost(2),
	},
	{
		Title:   "RecordEvent allocations, RunParallel",
		Subject: s("record", "BenchmarkRecordEvent/impl=recorder/par=parallel", "allocs/op"), Target: atMost(2),
	},
	{
		Title:   "RecordEventFunc allocations, recording disabled",
		Subject: s("record", "BenchmarkRecordEventDisabled/impl=lazy", "allocs/op"), Target: atMost(0),
	},
	{
		Title:    "Caller's cost: NewAlertCreatedEvent + RecordEvent, file output (reference alert)",
		Subject:  s("construct", "BenchmarkConstruct/event=alert_created+record/impl=generated", "ns/op"),
		Baseline: ps("construct", "BenchmarkConstruct/event=alert_created+record/impl=literal", "ns/op"),
		Ratio:    baselineOverSubject, RatioText: "literal ÷ generated", Target: atMost(1000), TargetSubject: true,
	},
	{
		Title:    "Caller's cost, CPU of the caller's thread",
		Subject:  s("construct", "BenchmarkConstruct/event=alert_created+record/impl=generated", "cpu-ns/op"),
		Baseline: ps("construct", "BenchmarkConstruct/event=alert_created+record/impl=literal", "cpu-ns/op"),
		Ratio:    baselineOverSubject, RatioText: "literal ÷ generated", Target: atMost(1000), TargetSubject: true,
	},
	{
		Title:    "Caller's allocations: NewAlertCreatedEvent + RecordEvent, file output",
		Subject:  s("construct", "BenchmarkConstruct/event=alert_created+record/impl=generated", "allocs/op"),
		Baseline: ps("construct", "BenchmarkConstruct/event=alert_created+record/impl=literal", "allocs/op"),
		Ratio:    baselineOverSubject, RatioText: "literal ÷ generated", Target: atMost(5), TargetSubject: true,
	},
	{
		Title:    "NewAlertCreatedEvent alone",
		Subject:  s("construct", "BenchmarkConstruct/event=alert_created/impl=generated", "ns/op"),
		Baseline: ps("construct", "BenchmarkConstruct/event=alert_created/impl=literal", "ns/op"),
		Ratio:    baselineOverSubject, RatioText: "literal ÷ generated",
	},
	{
		Title:    "NewAlertCreatedEvent allocations",
		Subject:  s("construct", "BenchmarkConstruct/event=alert_created/impl=generated", "allocs/op"),
		Baseline: ps("construct", "BenchmarkConstruct/event=alert_created/impl=literal", "allocs/op"),
		Ratio:    baselineOverSubject, RatioText: "literal ÷ generated",
	},
	{
		Title:    "Notification of 100 alerts",
		Subject:  s("construct", "BenchmarkConstruct/event=notification/alerts=100/impl=generated", "ns/op"),
		Baseline: ps("construct", "BenchmarkConstruct/event=notification/alerts=100/impl=literal", "ns/op"),
		Ratio:    baselineOverSubject, RatioText: "literal ÷ generated",
	},
	{
		Title:    "Notification of 100 alerts, allocations",
		Subject:  s("construct", "BenchmarkConstruct/event=notification/alerts=100/impl=generated", "allocs/op"),
		Baseline: ps("construct", "BenchmarkConstruct/event=notification/alerts=100/impl=literal", "allocs/op"),
		Ratio:    baselineOverSubject, RatioText: "literal ÷ generated",
	},
	{
		Title:    "Notification allocations per alert, 100 alerts vs 1",
		Subject:  s("construct", "BenchmarkConstruct/event=notification/alerts=100/impl=generated", "allocs/op"),
		Baseline: ps("construct", "BenchmarkConstruct/event=notification/alerts=1/impl=generated", "allocs/op"),
		Ratio:    perAlertOf99, RatioText: "(100 alerts − 1) ÷ 99", RatioUnit: "allocs/alert", Target: atMost(1),
	},
	{
		Title:   "Queue, 1 producer: ring vs channel",
		Subject: s("queue", "BenchmarkQueue/impl=ring/producers=1", "ns/op"), Baseline: ps("queue", "BenchmarkQueue/impl=chan/producers=1", "ns/op"),
		Ratio: baselineOverSubject, RatioText: "chan ÷ ring",
	},
	{
		Title:   "Queue, 8 producers: ring vs channel",
		Subject: s("queue", "BenchmarkQueue/impl=ring/producers=8", "ns/op"), Baseline: ps("queue", "BenchmarkQueue/impl=chan/producers=8", "ns/op"),
		Ratio: baselineOverSubject, RatioText: "chan ÷ ring",
	},
	{
		Title:   "File output throughput vs naive pipeline",
		Subject: s("file", "BenchmarkFileThroughput/impl=recorder", "events/s"), Baseline: ps("file", "BenchmarkFileThroughput/impl=naive", "events/s"),
		Ratio: subjectOverBaseline, RatioText: "recorder ÷ naive", Target: atLeast(10),
	},
	{
		Title:   "File pipeline allocations per delivered event (envelope included)",
		Subject: s("file", "BenchmarkFileThroughput/impl=recorder", "allocs/op"), Baseline: ps("file", "BenchmarkFileThroughput/impl=naive", "allocs/op"),
		Ratio: baselineOverSubject, RatioText: "naive ÷ recorder",
	},
	{
		Title:   "File pipeline bytes allocated per delivered event",
		Subject: s("file", "BenchmarkFileThroughput/impl=recorder", "B/op"), Baseline: ps("file", "BenchmarkFileThroughput/impl=naive", "B/op"),
		Ratio: baselineOverSubject, RatioText: "naive ÷ recorder",
	},
	{
		Title:   "Fan-out CPU per event, 3 outputs vs 1 (to /dev/null)",
		Subject: s("fanout", "BenchmarkFanOut/dest=null/sinks=3", "cpu-ns/event"), Baseline: ps("fanout", "BenchmarkFanOut/dest=null/sinks=1", "cpu-ns/event"),
		Ratio: subjectOverBaseline, RatioText: "3 ÷ 1", Target: atMost(1.3),
	},
	{
		Title:   "Fan-out CPU per event, 3 file outputs vs 1 (real files)",
		Subject: s("fanout", "BenchmarkFanOut/dest=file/sinks=3", "cpu-ns/event"), Baseline: ps("fanout", "BenchmarkFanOut/dest=file/sinks=1", "cpu-ns/event"),
		Ratio: subjectOverBaseline, RatioText: "3 ÷ 1",
	},
	{
		Title:   "Fan-out user CPU per event, 3 file outputs vs 1 (real files)",
		Subject: s("fanout", "BenchmarkFanOut/dest=file/sinks=3", "user-ns/event"), Baseline: ps("fanout", "BenchmarkFanOut/dest=file/sinks=1", "user-ns/event"),
		Ratio: subjectOverBaseline, RatioText: "3 ÷ 1",
	},
	{
		Title:   "Fan-out system CPU per event, 3 file outputs vs 1 (real files)",
		Subject: s("fanout", "BenchmarkFanOut/dest=file/sinks=3", "sys-ns/event"), Baseline: ps("fanout", "BenchmarkFanOut/dest=file/sinks=1", "sys-ns/event"),
		Ratio: subjectOverBaseline, RatioText: "3 ÷ 1",
	},
	{
		Title:   "Webhook single-event throughput vs bare HTTP",
		Subject: s("webhook", "BenchmarkWebhookThroughput/mode=single/impl=recorder", "events/s"), Baseline: ps("webhook", "BenchmarkWebhookThroughput/mode=single/impl=bare", "events/s"),
		Ratio: subjectOverBaseline, RatioText: "recorder ÷ bare",
	},
	{
		Title:   "Webhook batch throughput vs bare HTTP",
		Subject: s("webhook", "BenchmarkWebhookThroughput/mode=batch/impl=recorder", "events/s"), Baseline: ps("webhook", "BenchmarkWebhookThroughput/mode=batch/impl=bare", "events/s"),
		Ratio: subjectOverBaseline, RatioText: "recorder ÷ bare",
	},
	{
		Title:   "Kafka throughput vs bare sarama",
		Subject: s("kafka", "BenchmarkKafkaThroughput/impl=recorder", "events/s"), Baseline: ps("kafka", "BenchmarkKafkaThroughput/impl=sarama", "events/s"),
		Ratio: subjectOverBaseline, RatioText: "recorder ÷ sarama",
	},
	{
		Title:   "Heap held per queued event (recorder's own cost)",
		Subject: s("memory", "BenchmarkQueuedMemory/data=shared", "B/queued-event"),
	},
	{
		Title:   "Heap held per queued event (freshly built reference event)",
		Subject: s("memory", "BenchmarkQueuedMemory/data=fresh", "B/queued-event"),
	},
	{
		Title:   "sink/kafka alone vs bare sarama",
		Subject: s("sink-kafka", "BenchmarkSink", "events/s"), Baseline: ps("sink-kafka", "BenchmarkSaramaFloor", "events/s"),
		Ratio: subjectOverBaseline, RatioText: "sink ÷ sarama",
	},
}
