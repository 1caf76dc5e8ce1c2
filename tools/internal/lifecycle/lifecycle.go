// Package lifecycle builds the alert lifecycle the demo records: the
// sequence of events one Alertmanager emits while a node goes down for
// maintenance and comes back, covering every event type of the schema.
//
// It uses only the event package's public constructors and converters, fed
// with Alertmanager's own domain types, so the demo exercises the same code
// path an Alertmanager integration would.
package lifecycle

import (
	"fmt"
	"time"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/silence/silencepb"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
)

// Step is one event of the lifecycle: when it happened, and a sentence
// saying what happened, for the demo's narration.
type Step struct {
	At   time.Time
	What string
	Data *eventrecorderpb.EventData
}

// Steps returns the lifecycle, in the order Alertmanager would record it,
// in the 24 minutes before now, which should be the current time: like
// Alertmanager, the converters judge whether an alert is resolved against
// the clock, so the alerts resolve in the past and the firing ones expire
// in the future.
//
//   - Alertmanager starts;
//   - three minutes later NodeDown (critical) and HighLatency (warning)
//     fire on node-7, arriving in one send from Prometheus, and both join
//     the eu-west group of the oncall-pager receiver;
//   - the first notification goes out for the group after its group_wait
//     of 30s;
//   - an operator silences NodeDown for maintenance; at the group's next
//     flush (group_interval 5m) the silence mutes it;
//   - the inhibition rule "critical inhibits warning on the same
//     instance" mutes HighLatency in the same flush;
//   - the operator extends the silence;
//   - both alerts resolve and leave the group;
//   - Alertmanager shuts down, a minute before now.
//
// Each step's time is when Alertmanager would record it, and the alerts'
// and the silence's own times agree with it.
func Steps(now time.Time) []Step {
	// Literals, since alert.New exists only from v0.35 on; so fingerprints
	// are taken from the labels (a.Fingerprint() is 0 here on v0.35).
	var (
		started = now.Add(-24 * time.Minute)
		// The alerts' StartsAt, and when Prometheus' send arrives.
		fired    = started.Add(3 * time.Minute)
		received = fired.Add(412 * time.Millisecond)
		// The group's first flush, after its group_wait of 30s, and the
		// next, group_interval (5m) later.
		notified = received.Add(30*time.Second + 3*time.Millisecond)
		flushed  = notified.Add(5 * time.Minute)
		silenced = fired.Add(4*time.Minute + 12*time.Second + 507*time.Millisecond)
		extended = fired.Add(12*time.Minute + 41*time.Second + 96*time.Millisecond)
		// The alerts' EndsAt, and when their resolution arrives.
		recovered = fired.Add(18 * time.Minute)
		resolved  = recovered.Add(30*time.Second + 388*time.Millisecond)
		stopped   = now.Add(-time.Minute)
	)
	nodeDown := &alert.Alert{Alert: model.Alert{
		Labels: model.LabelSet{
			"alertname": "NodeDown", "severity": "critical",
			"cluster": "eu-west", "instance": "node-7:9100", "job": "node",
		},
		Annotations: model.LabelSet{
			"summary": "node-7 has been unreachable for 5 minutes",
		},
		StartsAt:     fired,
		EndsAt:       now.Add(time.Hour),
		GeneratorURL: "http://prometheus.example:9090/graph?g0.expr=up%3D%3D0",
	}, UpdatedAt: received}
	highLatency := &alert.Alert{Alert: model.Alert{
		Labels: model.LabelSet{
			"alertname": "HighLatency", "severity": "warning",
			"cluster": "eu-west", "instance": "node-7:9100", "job": "checkout",
		},
		Annotations: model.LabelSet{
			"summary": "p99 latency of checkout on node-7 is above 2s",
		},
		StartsAt: fired,
		EndsAt:   now.Add(time.Hour),
	}, UpdatedAt: received.Add(time.Millisecond)}

	group := &eventrecorderpb.AlertGroupInfo{
		GroupKey:     `{}/{severity=~"critical|warning"}:{cluster="eu-west"}`,
		GroupLabels:  event.LabelSetAsProto(model.LabelSet{"cluster": "eu-west"}),
		GroupId:      "01HZY6R7T0C6XK8V8Q2J4M5N6P",
		ReceiverName: "oncall-pager",
		Matchers:     event.MatchersAsProto(labels.Matchers{mustMatcher(labels.MatchRegexp, "severity", "critical|warning")}),
		GroupUuid:    "6f1c2a9e-3b4d-4e8f-9a0b-1c2d3e4f5a6b",
	}
	hashOf := func(a *alert.Alert) uint64 { return uint64(a.Labels.Fingerprint()) }
	grouped := func(a *alert.Alert) *eventrecorderpb.GroupedAlert {
		return event.GroupedAlertAsProto(a, hashOf(a))
	}

	sil := &silencepb.Silence{
		Id: "4c0ee4b5-29b1-4b34-9a54-7d5b3cf0f0a1",
		MatcherSets: []*silencepb.MatcherSet{{Matchers: []*silencepb.Matcher{
			{Type: silencepb.Matcher_EQUAL, Name: "alertname", Pattern: "NodeDown"},
			{Type: silencepb.Matcher_REGEXP, Name: "instance", Pattern: "node-7:.*"},
		}}},
		StartsAt:    timestamppb.New(silenced),
		EndsAt:      timestamppb.New(silenced.Add(time.Hour)),
		UpdatedAt:   timestamppb.New(silenced),
		CreatedBy:   "alice@example.com",
		Comment:     "Kernel upgrade on node-7 (CHG-4711)",
		Annotations: map[string]string{"ticket": "CHG-4711"},
	}
	silenceCreated := event.SilenceAsProto(sil)
	silenceExtended := event.SilenceAsProto(sil)
	silenceExtended.EndsAt = timestamppb.New(silenced.Add(2 * time.Hour))
	silenceExtended.UpdatedAt = timestamppb.New(extended)
	silenceExtended.Comment = "Kernel upgrade on node-7 (CHG-4711), extended: reboot takes longer"

	rule := event.InhibitRuleAsProto(
		labels.Matchers{mustMatcher(labels.MatchEqual, "severity", "critical")},
		labels.Matchers{mustMatcher(labels.MatchEqual, "severity", "warning")},
		map[model.LabelName]struct{}{"cluster": {}, "instance": {}},
	)
	rule.Name = "critical-inhibits-warning"

	// Resolution: the alerts' EndsAt moves into the past, which is what
	// makes Alertmanager (and AlertAsProto) see them as resolved.
	resolvedNode := *nodeDown
	resolvedNode.EndsAt, resolvedNode.UpdatedAt = recovered, resolved
	resolvedLatency := *highLatency
	resolvedLatency.EndsAt, resolvedLatency.UpdatedAt = recovered, resolved

	ms := time.Millisecond
	return []Step{
		{started, "Alertmanager starts", event.NewAlertmanagerStartupEvent("0.33.1", "(go=go1.26, platform=linux/amd64, user=demo)")},
		{received, "NodeDown fires on node-7", event.NewAlertCreatedEvent(nodeDown)},
		{received.Add(ms), "HighLatency fires on node-7", event.NewAlertCreatedEvent(highLatency)},
		{received.Add(2 * ms), "NodeDown joins the eu-west group", event.NewAlertGroupedEvent(nodeDown, hashOf(nodeDown), group)},
		{received.Add(3 * ms), "HighLatency joins the eu-west group", event.NewAlertGroupedEvent(highLatency, hashOf(highLatency), group)},
		{notified, "oncall-pager is paged for the group", event.NewNotificationEvent(event.NotificationParams{
			GroupInfo:        group,
			Integration:      "pagerduty",
			IntegrationIndex: 0,
			Reason:           eventrecorderpb.NotifyReason_NOTIFY_REASON_FIRST_NOTIFICATION,
			FlushID:          1,
			RepeatInterval:   4 * time.Hour,
			Alerts:           []*eventrecorderpb.GroupedAlert{grouped(nodeDown), grouped(highLatency)},
			FiringAlerts:     []*eventrecorderpb.GroupedAlert{grouped(nodeDown), grouped(highLatency)},
		})},
		{silenced, "alice silences NodeDown for the kernel upgrade", event.NewSilenceCreatedEvent(silenceCreated)},
		{flushed, "the silence mutes NodeDown", event.NewSilenceMutedAlertEvent(silenceCreated, nodeDown.Labels.Fingerprint(), nodeDown.Labels)},
		{flushed.Add(ms), "NodeDown inhibits HighLatency on the same instance", event.NewInhibitionMutedAlertEvent(
			[]*eventrecorderpb.InhibitRule{rule}, highLatency.Labels.Fingerprint(), highLatency.Labels,
			[]model.Fingerprint{nodeDown.Labels.Fingerprint()})},
		{extended, "alice extends the silence", event.NewSilenceUpdatedEvent(silenceExtended)},
		{resolved, "NodeDown resolves", event.NewAlertResolvedEvent(&resolvedNode, hashOf(nodeDown), group)},
		{resolved.Add(ms), "HighLatency resolves", event.NewAlertResolvedEvent(&resolvedLatency, hashOf(highLatency), group)},
		{stopped, "Alertmanager shuts down", event.NewAlertmanagerShutdownEvent()},
	}
}

func mustMatcher(t labels.MatchType, name, value string) *labels.Matcher {
	m, err := labels.NewMatcher(t, name, value)
	if err != nil {
		panic(fmt.Sprintf("lifecycle: matcher %s %s %q: %v", name, t, value, err)) // constant input
	}
	return m
}
