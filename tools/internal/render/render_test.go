package render_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/tools/internal/render"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

var at = time.Date(2025, 3, 14, 9, 26, 53, 120_000_000, time.UTC)

func wrap(d *eventrecorderpb.EventData) *eventrecorderpb.Event {
	return &eventrecorderpb.Event{Timestamp: timestamppb.New(at), Instance: "am-1:9093", Data: d}
}

func labels(kv ...string) *eventrecorderpb.LabelSet {
	ls := &eventrecorderpb.LabelSet{}
	for i := 0; i < len(kv); i += 2 {
		ls.Labels = append(ls.Labels, &eventrecorderpb.LabelPair{Key: kv[i], Value: kv[i+1]})
	}
	return ls
}

var (
	alert = &eventrecorderpb.Alert{
		Fingerprint: 0xabc, Name: "NodeDown",
		Labels:      labels("alertname", "NodeDown", "instance", "node-7"),
		Annotations: labels("summary", "node down"),
	}
	silence = &eventrecorderpb.Silence{
		Id: "s-1", CreatedBy: "alice", Comment: "kernel upgrade",
		EndsAt: timestamppb.New(at.Add(time.Hour)),
		Matchers: []*eventrecorderpb.Matcher{
			{Type: eventrecorderpb.Matcher_TYPE_EQUAL, Name: "alertname", Pattern: "NodeDown", Rendered: `alertname="NodeDown"`},
			{Type: eventrecorderpb.Matcher_TYPE_REGEXP, Name: "instance", Pattern: "node-.*"},
		},
		Annotations: labels("ticket", "CHG-1"),
	}
	group = &eventrecorderpb.AlertGroupInfo{ReceiverName: "pager", GroupLabels: labels("cluster", "eu")}
)

func TestLine(t *testing.T) {
	for _, tc := range []struct {
		data *eventrecorderpb.EventData
		want string
	}{
		{event.NewAlertmanagerStartupEvent("0.33.1", "ctx"),
			`2025-03-14T09:26:53.120Z alertmanager_startup_event  version=0.33.1 instance=am-1:9093`},
		{event.NewAlertmanagerShutdownEvent(),
			`2025-03-14T09:26:53.120Z alertmanager_shutdown_event instance=am-1:9093`},
		{&eventrecorderpb.EventData{EventType: &eventrecorderpb.EventData_AlertCreated{AlertCreated: &eventrecorderpb.AlertCreatedEvent{Alert: alert}}},
			`2025-03-14T09:26:53.120Z alert_created               alertname=NodeDown state=firing fingerprint=2748 instance=am-1:9093`},
		{&eventrecorderpb.EventData{EventType: &eventrecorderpb.EventData_AlertResolved{AlertResolved: &eventrecorderpb.AlertResolvedEvent{
			Alert: &eventrecorderpb.GroupedAlert{Details: alert}, GroupInfo: group}}},
			`2025-03-14T09:26:53.120Z alert_resolved              alertname=NodeDown receiver=pager group={cluster="eu"} instance=am-1:9093`},
		{&eventrecorderpb.EventData{EventType: &eventrecorderpb.EventData_Notification{Notification: &eventrecorderpb.NotificationEvent{
			Alerts:         []*eventrecorderpb.GroupedAlert{{Details: alert}, {Details: alert}},
			ResolvedAlerts: []*eventrecorderpb.GroupedAlert{{Details: alert}},
			MutedAlerts:    []*eventrecorderpb.GroupedAlert{{Details: alert}},
			GroupInfo:      group,
			Reason:         eventrecorderpb.NotifyReason_NOTIFY_REASON_ALL_ALERTS_RESOLVED,
			Integration:    &eventrecorderpb.Integration{Name: "webhook", Index: 2},
		}}},
			`2025-03-14T09:26:53.120Z notification                receiver=pager integration=webhook[2] reason=all_alerts_resolved firing=0 resolved=1 muted=1 alertnames=NodeDown instance=am-1:9093`},
		{event.NewSilenceUpdatedEvent(silence),
			`2025-03-14T09:26:53.120Z silence_updated             silence=s-1 by=alice matchers={alertname="NodeDown",instance=~"node-.*"} ends=2025-03-14T10:26:53Z comment="kernel upgrade" instance=am-1:9093`},
		{event.NewSilenceMutedAlertEvent(silence, 0xabc, nil),
			`2025-03-14T09:26:53.120Z silence_muted_alert         silence=s-1 fingerprint=2748 instance=am-1:9093`},
		{&eventrecorderpb.EventData{EventType: &eventrecorderpb.EventData_InhibitionMutedAlert{InhibitionMutedAlert: &eventrecorderpb.InhibitionMutedAlertEvent{
			InhibitRules: []*eventrecorderpb.InhibitRule{{
				SourceMatchers: []*eventrecorderpb.Matcher{{Type: eventrecorderpb.Matcher_TYPE_EQUAL, Name: "severity", Pattern: "critical"}},
				TargetMatchers: []*eventrecorderpb.Matcher{{Type: eventrecorderpb.Matcher_TYPE_NOT_EQUAL, Name: "severity", Pattern: "critical"}},
			}},
			MutedAlert:             &eventrecorderpb.MutedAlert{Labels: labels("alertname", "HighLatency"), Fingerprint: 1},
			InhibitingFingerprints: []uint64{2, 3},
		}}},
			`2025-03-14T09:26:53.120Z inhibition_muted_alert      alertname=HighLatency rule={severity="critical"}->{severity!="critical"} inhibited_by=2,3 instance=am-1:9093`},
		{nil, `2025-03-14T09:26:53.120Z unknown                     instance=am-1:9093`},
	} {
		if got := render.Line(wrap(tc.data), false); got != tc.want {
			t.Errorf("Line:\n got %s\nwant %s", got, tc.want)
		}
	}
}

func TestLineColour(t *testing.T) {
	ev := wrap(&eventrecorderpb.EventData{EventType: &eventrecorderpb.EventData_AlertCreated{AlertCreated: &eventrecorderpb.AlertCreatedEvent{Alert: alert}}})
	plain := render.Line(ev, false)
	if strings.Contains(plain, "\x1b[") {
		t.Errorf("uncoloured line has escape codes: %q", plain)
	}
	colored := render.Line(ev, true)
	if !strings.Contains(colored, "\x1b[31malert_created") || !strings.Contains(colored, "\x1b[2m2025-03-14") {
		t.Errorf("coloured line lacks red type or dim time: %q", colored)
	}
	stripped := strings.NewReplacer("\x1b[0m", "", "\x1b[2m", "", "\x1b[31m", "").Replace(colored)
	if stripped != plain {
		t.Errorf("colour changed the text:\n%q\n%q", stripped, plain)
	}
}

func TestLabels(t *testing.T) {
	pairs := func(ev *eventrecorderpb.Event) []string {
		var out []string
		for _, p := range render.Labels(ev) {
			out = append(out, p.Key+"="+p.Value)
		}
		slices.Sort(out) // the walk's order is protobuf's field order, not promised
		return out
	}
	grouped := wrap(&eventrecorderpb.EventData{EventType: &eventrecorderpb.EventData_AlertGrouped{AlertGrouped: &eventrecorderpb.AlertGroupedEvent{
		Alert: &eventrecorderpb.GroupedAlert{Details: alert}, GroupInfo: group}}})
	if got, want := pairs(grouped), []string{"alertname=NodeDown", "cluster=eu", "instance=node-7"}; !slices.Equal(got, want) {
		t.Errorf("grouped alert labels %v, want %v (annotations excluded)", got, want)
	}
	// A silence is about the labels its equality matchers name; regexp
	// matchers and annotations name no label value.
	if got, want := pairs(wrap(event.NewSilenceCreatedEvent(silence))), []string{"alertname=NodeDown"}; !slices.Equal(got, want) {
		t.Errorf("silence labels %v, want %v", got, want)
	}
	if got := pairs(wrap(event.NewAlertmanagerStartupEvent("1", ""))); len(got) != 0 {
		t.Errorf("startup labels %v, want none", got)
	}
}

func TestFilter(t *testing.T) {
	created := wrap(&eventrecorderpb.EventData{EventType: &eventrecorderpb.EventData_AlertCreated{AlertCreated: &eventrecorderpb.AlertCreatedEvent{Alert: alert}}})
	sil := wrap(event.NewSilenceCreatedEvent(silence))
	start := wrap(event.NewAlertmanagerStartupEvent("1", ""))
	for _, tc := range []struct {
		name string
		f    render.Filter
		want []bool // created, silence, startup
	}{
		{"none", render.Filter{}, []bool{true, true, true}},
		{"one type", render.Filter{Types: []string{"silence_created"}}, []bool{false, true, false}},
		{"two types", render.Filter{Types: []string{"silence_created", "alert_created"}}, []bool{true, true, false}},
		{"label", render.Filter{Labels: []render.Pair{{"alertname", "NodeDown"}}}, []bool{true, true, false}},
		{"labels all", render.Filter{Labels: []render.Pair{{"alertname", "NodeDown"}, {"instance", "node-7"}}}, []bool{true, false, false}},
		{"label value differs", render.Filter{Labels: []render.Pair{{"alertname", "Other"}}}, []bool{false, false, false}},
		{"annotation is not a label", render.Filter{Labels: []render.Pair{{"summary", "node down"}}}, []bool{false, false, false}},
		{"type and label", render.Filter{Types: []string{"alert_created"}, Labels: []render.Pair{{"alertname", "NodeDown"}}}, []bool{true, false, false}},
	} {
		got := []bool{tc.f.Match(created), tc.f.Match(sil), tc.f.Match(start)}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: matches %v, want %v", tc.name, got, tc.want)
		}
	}
}
