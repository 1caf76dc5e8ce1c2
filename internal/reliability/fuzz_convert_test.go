package reliability_test

import (
	"encoding/binary"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/prometheus/alertmanager/alert"
	"github.com/prometheus/alertmanager/pkg/labels"
	"github.com/prometheus/alertmanager/silence/silencepb"
	"github.com/prometheus/common/model"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
)

// source turns fuzz bytes into Alertmanager values. Running out of bytes
// yields zeros, so every input decodes to something.
type source struct {
	b       []byte
	invalid bool // some string handed out is not valid UTF-8
}

func (s *source) byte() byte {
	if len(s.b) == 0 {
		return 0
	}
	c := s.b[0]
	s.b = s.b[1:]
	return c
}

func (s *source) uint64() uint64 {
	var buf [8]byte
	n := copy(buf[:], s.b)
	s.b = s.b[n:]
	return binary.LittleEndian.Uint64(buf[:])
}

// str is a length-prefixed string, possibly invalid UTF-8; short strings
// are common so that names collide and sets have duplicates to sort.
func (s *source) str() string {
	n := int(s.byte() % 24)
	n = min(n, len(s.b))
	out := string(s.b[:n])
	s.b = s.b[n:]
	if !utf8.ValidString(out) {
		s.invalid = true
	}
	return out
}

func (s *source) time() time.Time {
	return time.Unix(int64(s.uint64()%(1<<36))-(1<<35), int64(s.uint64()%2e9)) // past, future, bad nanos
}

func (s *source) labelSet() model.LabelSet {
	if s.byte()%8 == 0 {
		return nil
	}
	ls := model.LabelSet{}
	for range s.byte() % 8 {
		ls[model.LabelName(s.str())] = model.LabelValue(s.str())
	}
	return ls
}

// matcher is built either through labels.NewMatcher (valid regexes only)
// or as a struct literal with any type and any pattern, the way a newer
// Alertmanager or a hand-built value could hand one over.
func (s *source) matcher() *labels.Matcher {
	t, name, value := s.byte(), s.str(), s.str()
	switch t % 3 {
	case 0:
		return nil
	case 1:
		if m, err := labels.NewMatcher(labels.MatchType(t%4), name, value); err == nil {
			return m
		}
	}
	return &labels.Matcher{Type: labels.MatchType(int(t) - 2), Name: name, Value: value}
}

func (s *source) matchers() labels.Matchers {
	if s.byte()%5 == 0 {
		return nil
	}
	var ms labels.Matchers
	for range s.byte() % 5 {
		ms = append(ms, s.matcher())
	}
	return ms
}

func (s *source) timestamp() *timestamppb.Timestamp {
	if s.byte()%4 == 0 {
		return nil
	}
	return &timestamppb.Timestamp{Seconds: int64(s.uint64()), Nanos: int32(s.uint64())}
}

func (s *source) silence() *silencepb.Silence {
	if s.byte()%16 == 0 {
		return nil
	}
	sil := &silencepb.Silence{Id: s.str(), CreatedBy: s.str(), Comment: s.str(),
		StartsAt: s.timestamp(), EndsAt: s.timestamp(), UpdatedAt: s.timestamp()}
	for range s.byte() % 4 {
		set := &silencepb.MatcherSet{}
		for range s.byte() % 4 {
			var m *silencepb.Matcher
			if s.byte()%8 != 0 {
				// Any type number and any pattern: bad regexes included.
				m = &silencepb.Matcher{Type: silencepb.Matcher_Type(int32(s.byte()) - 2), Name: s.str(), Pattern: s.str()}
			}
			set.Matchers = append(set.Matchers, m)
		}
		sil.MatcherSets = append(sil.MatcherSets, set)
	}
	if n := s.byte() % 4; n > 0 {
		sil.Annotations = map[string]string{}
		for range n {
			sil.Annotations[s.str()] = s.str()
		}
	}
	return sil
}

func (s *source) alert() *alert.Alert {
	if s.byte()%16 == 0 {
		return nil
	}
	return &alert.Alert{Alert: model.Alert{Labels: s.labelSet(), Annotations: s.labelSet(), StartsAt: s.time(), EndsAt: s.time()}, UpdatedAt: s.time()}
}

func (s *source) grouped() []*eventrecorderpb.GroupedAlert {
	var out []*eventrecorderpb.GroupedAlert
	for range s.byte() % 3 {
		out = append(out, event.GroupedAlertAsProto(s.alert(), s.uint64()))
	}
	return out
}

// checkLabelSet checks a converted label set against its source: the
// same pairs, sorted by name, nil for nil.
func checkLabelSet(t *testing.T, what string, ls model.LabelSet, got *eventrecorderpb.LabelSet) {
	t.Helper()
	if ls == nil {
		if got != nil {
			t.Fatalf("%s: nil set converted to %v", what, got)
		}
		return
	}
	if got == nil || len(got.GetLabels()) != len(ls) {
		t.Fatalf("%s: %d pairs converted to %v", what, len(ls), got)
	}
	for i, p := range got.GetLabels() {
		if i > 0 && got.GetLabels()[i-1].GetKey() >= p.GetKey() {
			t.Fatalf("%s: pairs not sorted by name: %v", what, got)
		}
		if v, ok := ls[model.LabelName(p.GetKey())]; !ok || string(v) != p.GetValue() {
			t.Fatalf("%s: pair %q=%q is not in the source set", what, p.GetKey(), p.GetValue())
		}
	}
}

func checkMatcher(t *testing.T, m *labels.Matcher, got *eventrecorderpb.Matcher) {
	t.Helper()
	if m == nil {
		if got != nil {
			t.Fatalf("nil matcher converted to %v", got)
		}
		return
	}
	if got.GetName() != m.Name || got.GetPattern() != m.Value {
		t.Fatalf("matcher %#v converted to %v", m, got)
	}
	known := m.Type >= labels.MatchEqual && m.Type <= labels.MatchNotRegexp
	if known != (got.GetType() != eventrecorderpb.Matcher_TYPE_UNSPECIFIED) || (known && got.GetRendered() != m.String()) || (!known && got.GetRendered() != "") {
		t.Fatalf("matcher of type %d converted to type %v rendered %q", m.Type, got.GetType(), got.GetRendered())
	}
}

// checkEncodes marshals msg: it must succeed when every string is valid
// UTF-8 (and may fail only cleanly otherwise), and round-trip.
func checkEncodes(t *testing.T, msg proto.Message, validUTF8 bool) {
	t.Helper()
	b, err := proto.Marshal(msg)
	if err != nil {
		if validUTF8 {
			t.Fatalf("proto.Marshal(%T) of valid UTF-8: %v", msg, err)
		}
		if !strings.Contains(err.Error(), "UTF-8") {
			t.Fatalf("proto.Marshal(%T) failed for another reason than UTF-8: %v", msg, err)
		}
		return
	}
	back := msg.ProtoReflect().New().Interface()
	if err := proto.Unmarshal(b, back); err != nil {
		t.Fatalf("proto.Unmarshal of what Marshal wrote: %v", err)
	}
	if !proto.Equal(msg, back) {
		t.Fatalf("round trip changed %T", msg)
	}
	if _, err := protojson.Marshal(msg); err != nil && validUTF8 && !strings.Contains(err.Error(), "Timestamp") {
		// Out-of-range timestamps are protojson's to refuse; nothing
		// else in a valid-UTF-8 message may fail.
		t.Fatalf("protojson.Marshal(%T): %v", msg, err)
	}
}

// FuzzConverters feeds random Alertmanager values — label sets, matchers
// of any type with any pattern (bad regular expressions included),
// silences with several matcher sets, alerts with any times — through the
// generated converters and constructors. They must never panic; label
// sets come out sorted and complete; matchers keep their name and
// pattern; and every event marshals (or fails cleanly on invalid UTF-8)
// and survives a round trip.
func FuzzConverters(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x01\x05alert\x03one\x09alertname\x04Test\x02\x02\x03job\x01a"))
	f.Add([]byte("\x02\x07\x05a.*b(\x04name\x01\x03\x08\x01\x02\x06[a-z\x04name\xff\x02\x01"))
	f.Add([]byte("\x05\x03\xff\xfe\xfd\x02\xc3\x28\x03\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"))
	f.Add([]byte(strings.Repeat("\x07\x03abc\x03def\x02=~\x05(((((", 6)))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := &source{b: b}

		ls := s.labelSet()
		checkLabelSet(t, "LabelSetAsProto", ls, event.LabelSetAsProto(ls))

		ms := s.matchers()
		got := event.MatchersAsProto(ms)
		if (ms == nil) != (got == nil) || len(got) != len(ms) {
			t.Fatalf("%d matchers converted to %d", len(ms), len(got))
		}
		for i, m := range ms {
			checkMatcher(t, m, got[i])
		}

		sil := s.silence()
		sp := event.SilenceAsProto(sil)
		if sil == nil {
			if sp != nil {
				t.Fatalf("nil silence converted to %v", sp)
			}
		} else {
			if len(sp.GetMatcherSets()) != len(sil.GetMatcherSets()) {
				t.Fatalf("%d matcher sets converted to %d", len(sil.GetMatcherSets()), len(sp.GetMatcherSets()))
			}
			if len(sil.GetMatcherSets()) > 0 && !slices.EqualFunc(sp.GetMatchers(), sp.GetMatcherSets()[0].GetMatchers(), func(a, b *eventrecorderpb.Matcher) bool { return proto.Equal(a, b) }) {
				t.Fatalf("Silence.matchers is not the first matcher set")
			}
			for i, set := range sil.GetMatcherSets() {
				for j, m := range set.GetMatchers() {
					pm := sp.GetMatcherSets()[i].GetMatchers()[j]
					if m.GetName() != pm.GetName() || m.GetPattern() != pm.GetPattern() {
						t.Fatalf("silence matcher %v converted to %v", m, pm)
					}
				}
			}
			var ann model.LabelSet
			if sil.Annotations != nil {
				ann = model.LabelSet{}
				for k, v := range sil.Annotations {
					ann[model.LabelName(k)] = model.LabelValue(v)
				}
			}
			checkLabelSet(t, "silence annotations", ann, sp.GetAnnotations())
		}

		al := s.alert()
		ap := event.AlertAsProto(al)
		if al != nil {
			checkLabelSet(t, "alert labels", al.Labels, ap.GetLabels())
			checkLabelSet(t, "alert annotations", al.Annotations, ap.GetAnnotations())
		}

		equal := map[model.LabelName]struct{}{}
		for k := range ls {
			equal[k] = struct{}{}
		}
		rule := event.InhibitRuleAsProto(ms, s.matchers(), equal)
		if !slices.IsSorted(rule.GetEqualLabels()) || len(rule.GetEqualLabels()) != len(equal) {
			t.Fatalf("equal labels %v: not sorted or not all %d", rule.GetEqualLabels(), len(equal))
		}

		group := &eventrecorderpb.AlertGroupInfo{GroupKey: s.str(), GroupLabels: event.LabelSetAsProto(s.labelSet()), Matchers: event.MatchersAsProto(s.matchers())}
		var fps []model.Fingerprint
		for range s.byte() % 3 {
			fps = append(fps, model.Fingerprint(s.uint64()))
		}
		for _, data := range []*eventrecorderpb.EventData{
			event.NewAlertCreatedEvent(al),
			event.NewAlertResolvedEvent(al, s.uint64(), group),
			event.NewAlertGroupedEvent(s.alert(), s.uint64(), group),
			event.NewSilenceCreatedEvent(sp),
			event.NewSilenceUpdatedEvent(sp),
			event.NewSilenceMutedAlertEvent(sp, model.Fingerprint(s.uint64()), ls),
			event.NewInhibitionMutedAlertEvent([]*eventrecorderpb.InhibitRule{rule, nil}, model.Fingerprint(s.uint64()), ls, fps),
			event.NewNotificationEvent(event.NotificationParams{
				GroupInfo: group, Integration: s.str(), IntegrationIndex: int(s.byte()),
				Reason: eventrecorderpb.NotifyReason(s.byte()), FlushID: s.uint64(), RepeatInterval: time.Duration(s.uint64()),
				Alerts: s.grouped(), FiringAlerts: s.grouped(), ResolvedAlerts: s.grouped(), MutedAlerts: s.grouped(),
			}),
			event.NewAlertmanagerStartupEvent(s.str(), s.str()),
		} {
			if name := event.EventTypeName(data); name == event.EventTypeUnknown {
				t.Fatalf("constructor returned an event of unknown type: %v", data)
			}
			ts := timestamppb.New(time.Unix(1700000000, 0))
			checkEncodes(t, &eventrecorderpb.Event{Timestamp: ts, Instance: "fuzz", Data: data}, !s.invalid)
		}
	})
}
