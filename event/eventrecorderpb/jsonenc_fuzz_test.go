package eventrecorderpb

import (
	"strings"
	"testing"
)

// fuzzArms is the number of shapes fuzzEvent builds: the ten arms of
// EventData, an envelope without data and one with an empty EventData.
const fuzzArms = 12

// fuzzEvent builds an event of the shape arm selects with every string,
// integer, enum, timestamp and duration of it taken from the fuzz inputs.
// The envelope's timestamp is kept in range so that most inputs reach the
// payload; the payload's timestamps and durations use the raw inputs, so
// out-of-range values (and protojson's errors for them) are explored too.
func fuzzEvent(arm uint8, s1, s2, s3 string, i int64, n int32, u uint64, u32 uint32, flag bool) *Event {
	const tsRange = 253402300799 + 62135596800 + 1
	envTS := ts(i%tsRange, int32(uint32(n)%1000000000))
	if envTS.Seconds > 253402300799 {
		envTS.Seconds -= tsRange
	}
	rawTS := ts(i, n)
	labels := labelSet(s1, s2, s2, s3)
	parts := strings.Split(s3, ",")
	alert := &Alert{Fingerprint: u, Name: s1, Labels: labels, Annotations: labelSet(s3, s1), StartsAt: envTS, EndsAt: rawTS, Resolved: flag}
	grouped := &GroupedAlert{Hash: u ^ 0x5555}
	if flag {
		grouped.Details = alert
	} else if n%2 == 0 {
		grouped.Details = &Alert{} // optional set to its zero value
	}
	matcher := &Matcher{Type: Matcher_Type(n%7 - 1), Name: s1, Pattern: s2, Rendered: s3}
	info := &AlertGroupInfo{GroupKey: s3, GroupLabels: labels, GroupId: s2, ReceiverName: s1, Matchers: []*Matcher{matcher}, GroupUuid: s2}
	silence := &Silence{
		Id: s1, Matchers: []*Matcher{matcher}, Annotations: labels,
		StartsAt: envTS, EndsAt: envTS, UpdatedAt: rawTS, CreatedBy: s2, Comment: s3,
		MatcherSets: []*MatcherSet{{Matchers: []*Matcher{matcher, matcher}}, {}},
	}
	muted := &MutedAlert{Labels: labels, Fingerprint: u}

	var data *EventData
	switch arm % fuzzArms {
	case 0:
		data = &EventData{EventType: &EventData_AlertmanagerStartupEvent{AlertmanagerStartupEvent: &AlertmanagerStartupEvent{Version: s1, BuildContext: s2}}}
	case 1:
		data = &EventData{EventType: &EventData_AlertmanagerShutdownEvent{AlertmanagerShutdownEvent: &AlertmanagerShutdownEvent{}}}
	case 2:
		data = &EventData{EventType: &EventData_AlertCreated{AlertCreated: &AlertCreatedEvent{Alert: alert}}}
	case 3:
		data = &EventData{EventType: &EventData_AlertResolved{AlertResolved: &AlertResolvedEvent{Alert: grouped, GroupInfo: info}}}
	case 4:
		data = &EventData{EventType: &EventData_AlertGrouped{AlertGrouped: &AlertGroupedEvent{Alert: grouped, GroupInfo: info}}}
	case 5:
		data = &EventData{EventType: &EventData_Notification{Notification: &NotificationEvent{
			Alerts: []*GroupedAlert{grouped, {}}, FiringAlerts: []*GroupedAlert{grouped}, ResolvedAlerts: nil,
			MutedAlerts: []*GroupedAlert{{Hash: uint64(u32)}}, GroupInfo: info,
			RepeatInterval: dur(i/1000, n), Reason: NotifyReason(n), FlushId: u,
			Integration: &Integration{Name: s2, Index: i},
		}}}
	case 6:
		data = &EventData{EventType: &EventData_SilenceCreated{SilenceCreated: &SilenceCreatedEvent{Silence: silence}}}
	case 7:
		data = &EventData{EventType: &EventData_SilenceUpdated{SilenceUpdated: &SilenceUpdatedEvent{Silence: silence}}}
	case 8:
		data = &EventData{EventType: &EventData_SilenceMutedAlert{SilenceMutedAlert: &SilenceMutedAlertEvent{Silence: silence, MutedAlert: muted}}}
	case 9:
		data = &EventData{EventType: &EventData_InhibitionMutedAlert{InhibitionMutedAlert: &InhibitionMutedAlertEvent{
			InhibitRules: []*InhibitRule{{SourceMatchers: []*Matcher{matcher}, TargetMatchers: []*Matcher{matcher}, EqualLabels: parts, Name: s1}},
			MutedAlert:   muted, InhibitingFingerprints: []uint64{u, uint64(u32), uint64(i)},
		}}}
	case 10:
		data = nil
	default:
		data = &EventData{}
	}
	return &Event{Timestamp: envTS, Instance: s1, Data: data, ClusterPosition: u32}
}

// FuzzAppendJSON cross-checks the generated encoder against protojson (see
// checkEquivalent) on events of every shape built from fuzz inputs.
func FuzzAppendJSON(f *testing.F) {
	for arm := range uint8(fuzzArms) {
		f.Add(arm, "HighLatency", "prod", "a,b,c", int64(1700000000), int32(123456789), uint64(0xfedcba9876543210), uint32(3), true)
		f.Add(arm, "", "", "", int64(0), int32(0), uint64(0), uint32(0), false)
	}
	for i, s := range trickyStrings {
		f.Add(uint8(i%fuzzArms), s, s+"\x00", "\u2028<&>"+s, int64(-1), int32(-1), uint64(1<<63), uint32(1<<31), i%2 == 0)
	}
	f.Add(uint8(2), "bad \xff utf-8", "x", "y", int64(253402300800), int32(0), uint64(1), uint32(1), true)
	f.Add(uint8(5), "x", "y", "z", int64(315576000001000), int32(-5), uint64(1), uint32(1), false)
	f.Add(uint8(6), "x", "y", "z", int64(-62135596801), int32(1000000000), uint64(1), uint32(1), false)
	f.Fuzz(func(t *testing.T, arm uint8, s1, s2, s3 string, i int64, n int32, u uint64, u32 uint32, flag bool) {
		checkEquivalent(t, fuzzEvent(arm, s1, s2, s3, i, n, u, u32, flag))
	})
}
