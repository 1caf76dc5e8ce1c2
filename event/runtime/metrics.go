package runtime

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventrecorder/eventrecorder/sink"
)

// DefaultNamespace prefixes every metric name, so that dashboards built for
// Alertmanager's recorder keep working.
const DefaultNamespace = "alertmanager"

// Values of the result label of events_recorded_total. For every output,
// the three results and event_output_drops_total add up to the events it
// was given.
const (
	// ResultSuccess: the destination acknowledged the event.
	ResultSuccess = "success"
	// ResultUnacknowledged: the output sent the event without asking for
	// an acknowledgement (Kafka with acks: none), so nothing confirms
	// that the destination stored it.
	ResultUnacknowledged = "unacknowledged"
	// ResultFailure: the output gave up on the event.
	ResultFailure = "failure"
	// ResultPersisted: the output closed with the event still in its
	// durable buffer, from which the next start delivers it.
	ResultPersisted = "persisted"
)

// metrics are one recorder's Prometheus series. Names and labels follow the
// wire reference; the latency histogram is our addition. Recorders that
// share a registry share its series, which are therefore cumulative over
// all of them, as Prometheus expects; what one recorder did (Stats,
// Dropped) is counted beside them, per recorder.
type metrics struct {
	recorded        *prometheus.CounterVec // event_type, output, result
	bytesWritten    *prometheus.CounterVec // event_type, output
	dropped         *prometheus.CounterVec // event_type
	serializeErrors *prometheus.CounterVec // event_type
	outputDrops     *prometheus.CounterVec // output
	latency         *prometheus.HistogramVec
	queueLength     *queueLength
	// untrackQueue takes the recorder's queue out of queueLength.
	untrackQueue func()
	kinds        *sink.Metrics
}

func newMetrics(namespace string, reg prometheus.Registerer, queueLen func() float64) *metrics {
	m := &metrics{
		recorded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "events_recorded_total",
			Help: "Events handed to an output, by event type, output and result (success: the destination acknowledged it; unacknowledged: sent without asking for an acknowledgement, as Kafka acks=none does; failure: the output gave up on it; persisted: left in the output's durable buffer at close, for the next start to deliver).",
		}, []string{"event_type", "output", "result"}),
		bytesWritten: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "event_recorder_bytes_written_total",
			Help: "Encoded bytes of the events an output delivered or sent unacknowledged, with each line's newline for file and stdout outputs.",
		}, []string{"event_type", "output"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "events_dropped_total",
			Help: "Events dropped before reaching any output because the recorder's queue was full or the recorder was closed.",
		}, []string{"event_type"}),
		serializeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "event_serialize_errors_total",
			Help: "Events that could not be encoded (once per event and wire format).",
		}, []string{"event_type"}),
		outputDrops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "event_output_drops_total",
			Help: "Events an output shed without trying because its own buffer was full.",
		}, []string{"output"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "event_recorder_delivery_latency_seconds",
			Help:    "Time from RecordEvent to the output's acknowledgement, for delivered events.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}, []string{"output"}),
		queueLength: &queueLength{desc: prometheus.NewDesc(
			prometheus.BuildFQName(namespace, "", "event_recorder_queue_length"),
			"Events waiting in the recorder's queue (in the queues of every recorder registered here).", nil, nil),
			lens: map[int]func() float64{}},
		kinds: sink.NewMetrics(namespace, reg),
	}
	if reg != nil {
		m.recorded = register(reg, m.recorded)
		m.bytesWritten = register(reg, m.bytesWritten)
		m.dropped = register(reg, m.dropped)
		m.serializeErrors = register(reg, m.serializeErrors)
		m.outputDrops = register(reg, m.outputDrops)
		m.latency = register(reg, m.latency)
		m.queueLength = register(reg, m.queueLength)
	}
	m.untrackQueue = m.queueLength.add(queueLen)
	return m
}

// register registers c, or returns the collector already registered under
// the same name, so that two recorders sharing a registry share series
// instead of one of them counting into the void.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
	}
	return c
}

// queueLength is the queue-length gauge. Recorders that share a registry
// share one, whose value is the sum of their queues: each adds its queue
// when it starts and takes it out when it closes, so that neither a
// second recorder's queue goes unseen nor a closed one stays referenced.
type queueLength struct {
	desc *prometheus.Desc
	mu   sync.Mutex
	next int
	lens map[int]func() float64
}

func (q *queueLength) add(f func() float64) (remove func()) {
	q.mu.Lock()
	defer q.mu.Unlock()
	id := q.next
	q.next++
	q.lens[id] = f
	return func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		delete(q.lens, id)
	}
}

func (q *queueLength) Describe(ch chan<- *prometheus.Desc) { ch <- q.desc }

func (q *queueLength) Collect(ch chan<- prometheus.Metric) {
	q.mu.Lock()
	var sum float64
	for _, f := range q.lens {
		sum += f()
	}
	q.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(q.desc, prometheus.GaugeValue, sum)
}
