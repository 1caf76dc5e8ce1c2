package lifecycle_test

import (
	"slices"
	"testing"
	"time"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/tools/internal/lifecycle"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// now is the real clock: AlertAsProto judges resolution against it.
var now = time.Now()

func TestStepsCoverEveryEventTypeInLifecycleOrder(t *testing.T) {
	steps := lifecycle.Steps(now)
	var got []string
	for _, s := range steps {
		if s.What == "" {
			t.Errorf("step %s has no description", event.EventTypeName(s.Data))
		}
		got = append(got, event.EventTypeName(s.Data))
	}
	want := []string{
		event.EventTypeAlertmanagerStartupEvent,
		event.EventTypeAlertCreated, event.EventTypeAlertCreated,
		event.EventTypeAlertGrouped, event.EventTypeAlertGrouped,
		event.EventTypeNotification,
		event.EventTypeSilenceCreated,
		event.EventTypeSilenceMutedAlert,
		event.EventTypeInhibitionMutedAlert,
		event.EventTypeSilenceUpdated,
		event.EventTypeAlertResolved, event.EventTypeAlertResolved,
		event.EventTypeAlertmanagerShutdownEvent,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("event types:\n got %v\nwant %v", got, want)
	}
	for _, typ := range event.EventTypeNames() {
		if !slices.Contains(got, typ) {
			t.Errorf("lifecycle lacks event type %s", typ)
		}
	}
}

// The events must tell one consistent story: the silence and the
// inhibition mute the alerts that were created, the inhibiting alert is
// NodeDown, and the resolved alerts are resolved.
func TestStepsAreConsistent(t *testing.T) {
	s := lifecycle.Steps(now)
	nodeDown := s[1].Data.GetAlertCreated().GetAlert()
	highLatency := s[2].Data.GetAlertCreated().GetAlert()
	if nodeDown.GetName() != "NodeDown" || highLatency.GetName() != "HighLatency" {
		t.Fatalf("alerts: %q, %q", nodeDown.GetName(), highLatency.GetName())
	}
	if nodeDown.GetResolved() || highLatency.GetResolved() {
		t.Error("created alerts must be firing")
	}
	if fp := s[3].Data.GetAlertGrouped().GetAlert().GetDetails().GetFingerprint(); fp != nodeDown.GetFingerprint() {
		t.Errorf("grouped NodeDown fingerprint %x, created %x", fp, nodeDown.GetFingerprint())
	}
	n := s[5].Data.GetNotification()
	if len(n.GetFiringAlerts()) != 2 || len(n.GetAlerts()) != 2 || n.GetGroupInfo().GetReceiverName() != "oncall-pager" {
		t.Errorf("notification: %d firing, %d alerts, receiver %q", len(n.GetFiringAlerts()), len(n.GetAlerts()), n.GetGroupInfo().GetReceiverName())
	}
	created := s[6].Data.GetSilenceCreated().GetSilence()
	muted := s[7].Data.GetSilenceMutedAlert()
	if muted.GetSilence().GetId() != created.GetId() || muted.GetMutedAlert().GetFingerprint() != nodeDown.GetFingerprint() {
		t.Errorf("silence %q muted %x; want silence %q muting NodeDown %x", muted.GetSilence().GetId(), muted.GetMutedAlert().GetFingerprint(), created.GetId(), nodeDown.GetFingerprint())
	}
	inh := s[8].Data.GetInhibitionMutedAlert()
	if inh.GetMutedAlert().GetFingerprint() != highLatency.GetFingerprint() ||
		!slices.Equal(inh.GetInhibitingFingerprints(), []uint64{nodeDown.GetFingerprint()}) {
		t.Errorf("inhibition muted %x by %x; want HighLatency %x by NodeDown %x", inh.GetMutedAlert().GetFingerprint(), inh.GetInhibitingFingerprints(), highLatency.GetFingerprint(), nodeDown.GetFingerprint())
	}
	updated := s[9].Data.GetSilenceUpdated().GetSilence()
	if updated.GetId() != created.GetId() || !updated.GetEndsAt().AsTime().After(created.GetEndsAt().AsTime()) {
		t.Errorf("silence update should extend silence %q: ends %v, was %v", created.GetId(), updated.GetEndsAt().AsTime(), created.GetEndsAt().AsTime())
	}
	for _, i := range []int{10, 11} {
		if a := s[i].Data.GetAlertResolved().GetAlert().GetDetails(); !a.GetResolved() {
			t.Errorf("step %d: %s not resolved", i, a.GetName())
		}
	}
	// Building the lifecycle must not change what earlier steps hold
	// (the resolved copies must not alias the created alerts).
	if s[1].Data.GetAlertCreated().GetAlert().GetResolved() {
		t.Error("resolution leaked into the created event")
	}
}

// The steps happen when Alertmanager would record them: in order, at
// distinct milliseconds (what tail shows), over minutes, all in the past;
// and the times inside the events agree with when they are recorded.
func TestStepsTimeline(t *testing.T) {
	s := lifecycle.Steps(now)
	for i, st := range s {
		if st.At.After(now) || st.At.Before(now.Add(-time.Hour)) {
			t.Errorf("step %d (%s) at %v, want within the hour before %v", i, st.What, st.At, now)
		}
		if i > 0 && !st.At.Truncate(time.Millisecond).After(s[i-1].At.Truncate(time.Millisecond)) {
			t.Errorf("step %d (%s) at %v is not a later millisecond than step %d at %v", i, st.What, st.At, i-1, s[i-1].At)
		}
	}
	if span := s[len(s)-1].At.Sub(s[0].At); span < 10*time.Minute {
		t.Errorf("the lifecycle spans %v; an alert fired, silenced and resolved takes minutes", span)
	}
	at := func(i int) time.Time { return s[i].At }
	for _, i := range []int{1, 2} {
		if a := s[i].Data.GetAlertCreated().GetAlert(); at(i).Before(a.GetStartsAt().AsTime()) {
			t.Errorf("%s recorded at %v, before it started at %v", a.GetName(), at(i), a.GetStartsAt().AsTime())
		}
	}
	if n := s[5]; n.At.Sub(at(4)) < 30*time.Second {
		t.Errorf("notification %v after the alerts were grouped; the group waits 30s", n.At.Sub(at(4)))
	}
	created := s[6].Data.GetSilenceCreated().GetSilence()
	if !created.GetStartsAt().AsTime().Equal(at(6)) || !created.GetUpdatedAt().AsTime().Equal(at(6)) {
		t.Errorf("silence created at %v starts at %v, updated %v", at(6), created.GetStartsAt().AsTime(), created.GetUpdatedAt().AsTime())
	}
	if u := s[9].Data.GetSilenceUpdated().GetSilence(); !u.GetUpdatedAt().AsTime().Equal(at(9)) {
		t.Errorf("silence extended at %v, updated %v", at(9), u.GetUpdatedAt().AsTime())
	}
	for _, i := range []int{10, 11} {
		if a := s[i].Data.GetAlertResolved().GetAlert().GetDetails(); at(i).Before(a.GetEndsAt().AsTime()) {
			t.Errorf("%s resolved at %v, before it ended at %v", a.GetName(), at(i), a.GetEndsAt().AsTime())
		}
	}
}
