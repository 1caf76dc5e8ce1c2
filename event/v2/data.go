package eventrecorder

import (
	"time"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/silence/silencepb"
	"github.com/prometheus/common/model"

	"github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
)

// This file is Alertmanager v0.35's opaque event API: snapshots and event
// data that wrap the schema's messages so that callers cannot build an
// invalid event. Each constructor forwards to its generated counterpart
// (constructors.gen.go, convert.gen.go); what is written here is only the
// wrapping and unwrapping v0.35's types require.

// EventData is an immutable event payload without envelope metadata. Its
// protobuf representation is private so that producers cannot construct
// invalid events.
type EventData struct{ pb *eventsv2pb.EventData }

// Event is an immutable recorded event: EventData in its envelope (time,
// instance, cluster position). Destinations receive it; its protobuf
// representation is private.
type Event struct{ pb *eventsv2pb.Event }

// envelope is e's message; the zero Event is an empty envelope.
func (e Event) envelope() *eventsv2pb.Event {
	if e.pb == nil {
		return &eventsv2pb.Event{}
	}
	return e.pb
}

// MarshalJSON encodes the event as the JSON every JSON output writes: the
// schema's generated encoder, byte for byte protojson's output.
func (e Event) MarshalJSON() ([]byte, error) { return schema.AppendJSON(e.envelope(), nil) }

// MarshalProtobuf encodes the event in the protobuf wire format.
func (e Event) MarshalProtobuf() ([]byte, error) { return schema.AppendProtobuf(e.envelope(), nil) }

// AlertGroup is an immutable aggregation-group snapshot.
type AlertGroup struct{ pb *eventsv2pb.AlertGroupInfo }

// NewAlertGroup snapshots aggregation-group metadata.
func NewAlertGroup(groupKey string, groupLabels model.LabelSet, groupID, receiverName string, matchers labels.Matchers, groupUUID string) AlertGroup {
	return AlertGroup{alertGroupAsProto(groupKey, groupLabels, groupID, receiverName, matchers, groupUUID)}
}

// GroupedAlert is an immutable grouped-alert snapshot.
type GroupedAlert struct{ pb *eventsv2pb.GroupedAlert }

// NewGroupedAlert snapshots an alert and its fingerprint.
func NewGroupedAlert(a *alert.Alert) GroupedAlert { return GroupedAlert{groupedAlertAsProto(a)} }

// NewGroupedAlertReference snapshots a fingerprint-only grouped-alert
// reference.
func NewGroupedAlertReference(fingerprint model.Fingerprint) GroupedAlert {
	return GroupedAlert{groupedAlertReferenceAsProto(fingerprint)}
}

// InhibitRule is an immutable inhibition-rule snapshot.
type InhibitRule struct{ pb *eventsv2pb.InhibitRule }

// NewInhibitRule snapshots an inhibition rule.
func NewInhibitRule(name string, sourceMatchers, targetMatchers labels.Matchers, equal map[model.LabelName]struct{}) InhibitRule {
	return InhibitRule{inhibitRuleAsProto(name, sourceMatchers, targetMatchers, equal)}
}

// NotificationReason describes why a notification was sent.
type NotificationReason int

// The reasons, in v0.35's order (notifyReasonAsProto maps them).
const (
	NotificationReasonUnspecified NotificationReason = iota
	NotificationReasonFirstNotification
	NotificationReasonNewAlertsInGroup
	NotificationReasonNewResolvedAlerts
	NotificationReasonAllAlertsResolved
	NotificationReasonRepeatIntervalElapsed
)

// Notification contains the snapshots used to construct a notification
// event.
type Notification struct {
	Alerts         []GroupedAlert
	FiringAlerts   []GroupedAlert
	ResolvedAlerts []GroupedAlert
	MutedAlerts    []GroupedAlert
	Group          AlertGroup
	RepeatInterval time.Duration
	Reason         NotificationReason
	FlushID        uint64
	Integration    string
	IntegrationIdx int64
}

// NewAlertmanagerStartupEvent constructs startup event data.
func NewAlertmanagerStartupEvent(version, buildContext string) EventData {
	return EventData{newAlertmanagerStartupEventData(version, buildContext)}
}

// NewAlertmanagerShutdownEvent constructs shutdown event data.
func NewAlertmanagerShutdownEvent() EventData { return EventData{newAlertmanagerShutdownEventData()} }

// NewAlertCreatedEvent constructs alert-created event data.
func NewAlertCreatedEvent(a *alert.Alert) EventData { return EventData{newAlertCreatedEventData(a)} }

// NewAlertGroupedEvent constructs alert-grouped event data.
func NewAlertGroupedEvent(group AlertGroup, groupedAlert GroupedAlert) EventData {
	return EventData{newAlertGroupedEventData(group.pb, groupedAlert.pb)}
}

// NewAlertResolvedEvent constructs alert-resolved event data.
func NewAlertResolvedEvent(group AlertGroup, groupedAlert GroupedAlert) EventData {
	return EventData{newAlertResolvedEventData(group.pb, groupedAlert.pb)}
}

// NewNotificationEvent constructs notification event data.
func NewNotificationEvent(notification Notification) EventData {
	return EventData{newNotificationEventData(notificationParams{
		Alerts:         groupedAlerts(notification.Alerts),
		FiringAlerts:   groupedAlerts(notification.FiringAlerts),
		ResolvedAlerts: groupedAlerts(notification.ResolvedAlerts),
		MutedAlerts:    groupedAlerts(notification.MutedAlerts),
		Group:          notification.Group.pb,
		RepeatInterval: notification.RepeatInterval,
		Reason:         notifyReasonAsProto(int(notification.Reason)),
		FlushID:        notification.FlushID,
		Integration:    notification.Integration,
		IntegrationIdx: notification.IntegrationIdx,
	})}
}

// NewSilenceCreatedEvent constructs silence-created event data.
func NewSilenceCreatedEvent(silence *silencepb.Silence) EventData {
	return EventData{newSilenceCreatedEventData(silence)}
}

// NewSilenceUpdatedEvent constructs silence-updated event data.
func NewSilenceUpdatedEvent(silence *silencepb.Silence) EventData {
	return EventData{newSilenceUpdatedEventData(silence)}
}

// NewSilenceMutedAlertEvent constructs silence-muted-alert event data.
func NewSilenceMutedAlertEvent(silence *silencepb.Silence, fp model.Fingerprint, labelSet model.LabelSet) EventData {
	return EventData{newSilenceMutedAlertEventData(silence, fp, labelSet)}
}

// NewInhibitionMutedAlertEvent constructs inhibition-muted-alert event
// data.
func NewInhibitionMutedAlertEvent(rules []InhibitRule, fp model.Fingerprint, labelSet model.LabelSet, inhibitingFPs []model.Fingerprint) EventData {
	pbRules := make([]*eventsv2pb.InhibitRule, len(rules))
	for i, r := range rules {
		pbRules[i] = r.pb
	}
	return EventData{newInhibitionMutedAlertEventData(pbRules, fp, labelSet, inhibitingFPs)}
}

// groupedAlerts unwraps snapshots into the schema's messages; like v0.35 it
// keeps the list's length, an empty list included.
func groupedAlerts(in []GroupedAlert) []*eventsv2pb.GroupedAlert {
	out := make([]*eventsv2pb.GroupedAlert, len(in))
	for i, a := range in {
		out[i] = a.pb
	}
	return out
}
