// Package metrictest reads Prometheus metrics back in tests, so that
// conservation checks (for every output: success + unacknowledged +
// failure + output drops == the events it was given) are made against
// what a scrape would show rather than against internal counters.
package metrictest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Sum adds up every series of the metric called name whose labels include
// want: counter and gauge values, and histogram sample counts.
func Sum(t testing.TB, g prometheus.Gatherer, name string, want map[string]string) float64 {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if have[k] != v {
					continue series
				}
			}
			switch {
			case m.GetCounter() != nil:
				sum += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				sum += m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}

// Accounted is what the metrics, under the default namespace, say became
// of the events output was given: its alertmanager_events_recorded_total
// of every result (success, unacknowledged, failure) plus its
// alertmanager_event_output_drops_total. Once the output has settled, the
// recorder's conservation rule says it equals the events handed to it.
func Accounted(t testing.TB, g prometheus.Gatherer, output string) float64 {
	t.Helper()
	by := map[string]string{"output": output}
	return Sum(t, g, "alertmanager_events_recorded_total", by) + Sum(t, g, "alertmanager_event_output_drops_total", by)
}
