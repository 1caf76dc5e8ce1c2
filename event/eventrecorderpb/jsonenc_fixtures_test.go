package eventrecorderpb

import (
	"fmt"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Fixtures shared by the equivalence tests, the fuzz seeds and the
// benchmark. They build the protobuf structs directly so that the encoder is
// tested against the schema alone.

func ts(secs int64, nanos int32) *timestamppb.Timestamp {
	return &timestamppb.Timestamp{Seconds: secs, Nanos: nanos}
}

func dur(secs int64, nanos int32) *durationpb.Duration {
	return &durationpb.Duration{Seconds: secs, Nanos: nanos}
}

func labelSet(kv ...string) *LabelSet {
	ls := &LabelSet{}
	for i := 0; i+1 < len(kv); i += 2 {
		ls.Labels = append(ls.Labels, &LabelPair{Key: kv[i], Value: kv[i+1]})
	}
	return ls
}

func fullAlert() *Alert {
	return &Alert{
		Fingerprint: 0xfedcba9876543210,
		Name:        "HighLatency",
		Labels:      labelSet("alertname", "HighLatency", "env", "prod", "severity", "critical"),
		Annotations: labelSet("summary", "p99 latency > 1s", "runbook", "https://runbooks.example/latency?x=1&y=<2>"),
		StartsAt:    ts(1700000000, 123000000),
		EndsAt:      ts(1700003600, 0),
		Resolved:    true,
	}
}

func fullGroupedAlert() *GroupedAlert {
	return &GroupedAlert{Hash: 18446744073709551615, Details: fullAlert()}
}

func fullMatcher(t Matcher_Type) *Matcher {
	return &Matcher{Type: t, Name: "env", Pattern: "prod.*", Rendered: `env=~"prod.*"`}
}

func fullGroupInfo() *AlertGroupInfo {
	return &AlertGroupInfo{
		GroupKey:     `{}/{env="prod"}:{alertname="HighLatency"}`,
		GroupLabels:  labelSet("alertname", "HighLatency"),
		GroupId:      "0f3c9a",
		ReceiverName: "team-pager",
		Matchers:     []*Matcher{fullMatcher(Matcher_TYPE_EQUAL), fullMatcher(Matcher_TYPE_REGEXP)},
		GroupUuid:    "7d1e5c0a-3b7e-4c43-9a8e-0d6b1f2c3a4b",
	}
}

func fullSilence() *Silence {
	return &Silence{
		Id:          "5b0c3f0e-silence",
		Matchers:    []*Matcher{fullMatcher(Matcher_TYPE_NOT_EQUAL)},
		Annotations: labelSet("ticket", "OPS-1234"),
		StartsAt:    ts(1700000000, 0),
		EndsAt:      ts(1700086400, 500000000),
		UpdatedAt:   ts(1700000001, 1000),
		CreatedBy:   "jane@example.com",
		Comment:     "maintenance\n\t\"window\"",
		MatcherSets: []*MatcherSet{
			{Matchers: []*Matcher{fullMatcher(Matcher_TYPE_NOT_EQUAL)}},
			{Matchers: []*Matcher{fullMatcher(Matcher_TYPE_NOT_REGEXP), fullMatcher(Matcher_TYPE_EQUAL)}},
		},
	}
}

func fullMutedAlert() *MutedAlert {
	return &MutedAlert{Labels: labelSet("alertname", "Muted", "instance", "10.0.0.1:9100"), Fingerprint: 42}
}

// eventArm is one arm of EventData, fully populated.
type eventArm struct {
	name string // the oneof field name
	data *EventData
}

// allArms returns every arm of EventData.event_type with every field of
// its payload set; TestAllArmsCovered keeps it in step with the schema.
func allArms() []eventArm {
	return []eventArm{
		{"alertmanager_startup_event", &EventData{EventType: &EventData_AlertmanagerStartupEvent{
			AlertmanagerStartupEvent: &AlertmanagerStartupEvent{Version: "0.33.1", BuildContext: "go1.26 linux/amd64"},
		}}},
		{"alertmanager_shutdown_event", &EventData{EventType: &EventData_AlertmanagerShutdownEvent{
			AlertmanagerShutdownEvent: &AlertmanagerShutdownEvent{},
		}}},
		{"alert_created", &EventData{EventType: &EventData_AlertCreated{
			AlertCreated: &AlertCreatedEvent{Alert: fullAlert()},
		}}},
		{"alert_resolved", &EventData{EventType: &EventData_AlertResolved{
			AlertResolved: &AlertResolvedEvent{Alert: fullGroupedAlert(), GroupInfo: fullGroupInfo()},
		}}},
		{"alert_grouped", &EventData{EventType: &EventData_AlertGrouped{
			AlertGrouped: &AlertGroupedEvent{Alert: fullGroupedAlert(), GroupInfo: fullGroupInfo()},
		}}},
		{"notification", &EventData{EventType: &EventData_Notification{
			Notification: &NotificationEvent{
				Alerts:         []*GroupedAlert{fullGroupedAlert(), {Hash: 1}},
				FiringAlerts:   []*GroupedAlert{fullGroupedAlert()},
				ResolvedAlerts: []*GroupedAlert{{Hash: 2, Details: &Alert{Name: "Gone", Resolved: true}}},
				MutedAlerts:    []*GroupedAlert{{Hash: 3}},
				GroupInfo:      fullGroupInfo(),
				RepeatInterval: dur(14400, 0),
				Reason:         NotifyReason_NOTIFY_REASON_NEW_ALERTS_IN_GROUP,
				FlushId:        9007199254740993, // 2^53+1: would lose precision as a JSON number
				Integration:    &Integration{Name: "webhook", Index: -9223372036854775808},
			},
		}}},
		{"silence_created", &EventData{EventType: &EventData_SilenceCreated{
			SilenceCreated: &SilenceCreatedEvent{Silence: fullSilence()},
		}}},
		{"silence_updated", &EventData{EventType: &EventData_SilenceUpdated{
			SilenceUpdated: &SilenceUpdatedEvent{Silence: fullSilence()},
		}}},
		{"silence_muted_alert", &EventData{EventType: &EventData_SilenceMutedAlert{
			SilenceMutedAlert: &SilenceMutedAlertEvent{Silence: fullSilence(), MutedAlert: fullMutedAlert()},
		}}},
		{"inhibition_muted_alert", &EventData{EventType: &EventData_InhibitionMutedAlert{
			InhibitionMutedAlert: &InhibitionMutedAlertEvent{
				InhibitRules: []*InhibitRule{{
					SourceMatchers: []*Matcher{fullMatcher(Matcher_TYPE_EQUAL)},
					TargetMatchers: []*Matcher{fullMatcher(Matcher_TYPE_REGEXP), fullMatcher(Matcher_TYPE_NOT_EQUAL)},
					EqualLabels:    []string{"cluster", "namespace"},
					Name:           "critical-inhibits-warning",
				}, {}},
				MutedAlert:             fullMutedAlert(),
				InhibitingFingerprints: []uint64{0, 1, 18446744073709551615},
			},
		}}},
	}
}

// envelope wraps data as an output with include_id receives it: with the
// event id, so that the equivalence tests cover the id field too.
func envelope(data *EventData) *Event {
	return &Event{
		Timestamp:       ts(1700000000, 123456789),
		Instance:        "alertmanager-0.alertmanager:9093",
		Data:            data,
		ClusterPosition: 2,
		Id:              "018bcfe5-6a4b-7c3d-8e4f-5a6b7c8d9eaf",
	}
}

// referenceEvent is the event the encoder targets are measured on: an
// AlertCreated with 10 labels and 3 annotations, without an id (as the
// default, include_id off, writes it).
func referenceEvent() *Event {
	labels := make([]string, 0, 20)
	for i := range 10 {
		labels = append(labels, fmt.Sprintf("label_%02d", i), fmt.Sprintf("value-%d-of-a-typical-length", i))
	}
	ev := envelope(&EventData{EventType: &EventData_AlertCreated{AlertCreated: &AlertCreatedEvent{Alert: &Alert{
		Fingerprint: 0x1b2c3d4e5f607182,
		Name:        "KubePodCrashLooping",
		Labels:      labelSet(labels...),
		Annotations: labelSet(
			"summary", "Pod is crash looping.",
			"description", `Pod "payments/api-7d9f" (container "api") is in waiting state (reason: "CrashLoopBackOff").`,
			"runbook_url", "https://runbooks.example.com/kubernetes/kubepodcrashlooping",
		),
		StartsAt: ts(1700000000, 123000000),
		EndsAt:   ts(1700000300, 123000000),
	}}}})
	ev.Id = ""
	return ev
}
