package sink

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics hands out metric vectors that belong to a kind rather than to one
// output, so that the outputs an ApplyConfig replaces and the ones it
// creates share the same series. Vectors are registered once, under the
// recorder's namespace, with the recorder's Registerer.
type Metrics struct {
	namespace string
	reg       prometheus.Registerer

	mu       sync.Mutex
	counters map[string]*prometheus.CounterVec
	gauges   map[string]*prometheus.GaugeVec
}

// NewMetrics returns a Metrics that registers with reg (nil: nothing is
// registered, the vectors still count).
func NewMetrics(namespace string, reg prometheus.Registerer) *Metrics {
	return &Metrics{namespace: namespace, reg: reg, counters: map[string]*prometheus.CounterVec{}, gauges: map[string]*prometheus.GaugeVec{}}
}

// CounterVec returns the counter vector called name, creating and
// registering it on first use. Later calls with the same name return the
// same vector and ignore help and labels.
func (m *Metrics) CounterVec(name, help string, labels ...string) *prometheus.CounterVec {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.counters[name]; ok {
		return c
	}
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: m.namespace, Name: name, Help: help}, labels)
	if m.reg != nil {
		if err := m.reg.Register(c); err != nil {
			if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
				if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
					c = existing
				}
			}
		}
	}
	m.counters[name] = c
	return c
}

// GaugeVec is CounterVec for a gauge vector (such as what an output's
// buffer holds).
func (m *Metrics) GaugeVec(name, help string, labels ...string) *prometheus.GaugeVec {
	m.mu.Lock()
	defer m.mu.Unlock()
	if g, ok := m.gauges[name]; ok {
		return g
	}
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: m.namespace, Name: name, Help: help}, labels)
	if m.reg != nil {
		if err := m.reg.Register(g); err != nil {
			if are, ok := err.(prometheus.AlreadyRegisteredError); ok {
				if existing, ok := are.ExistingCollector.(*prometheus.GaugeVec); ok {
					g = existing
				}
			}
		}
	}
	m.gauges[name] = g
	return g
}

// NewMetricsWith returns a Metrics that hands out the given vectors by
// name, for callers that own their metric vectors (the reference API's
// output constructors take them as arguments). Other names get fresh,
// unregistered vectors.
func NewMetricsWith(vecs map[string]*prometheus.CounterVec) *Metrics {
	m := NewMetrics("", nil)
	for name, v := range vecs {
		m.counters[name] = v
	}
	return m
}
