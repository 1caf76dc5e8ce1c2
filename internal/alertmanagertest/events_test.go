//go:build linux

package alertmanagertest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	v2pb "github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
)

// recorded is one event as an output holds it, read into the terms the
// checks use whichever schema generation wrote it: the generations differ
// in shape (label pair lists against maps, a grouped alert's hash against
// its fingerprint), not in what the lifecycle asserts.
type recorded struct {
	raw      []byte // the JSON, without the file's newline
	typ      string // the event-type name: the EventData oneof arm
	ts       time.Time
	instance string
	v        view
}

// view holds the fields of an event the checks read; which are filled
// depends on typ.
type view struct {
	buildContext string
	alert        alertView // alert_created; the grouped alert's details in alert_grouped and alert_resolved
	groupedKey   uint64    // alert_grouped, alert_resolved: v1's hash, v2's fingerprint
	receiver     string    // group_info.receiver_name
	silence      silenceView
	mutedFP      uint64 // silence_muted_alert, inhibition_muted_alert
	mutedLabels  map[string]string
	inhibiting   []uint64
	rules        []ruleView
	integration  string
	reason       string
	alerts       []groupedView // notification
	firing       []uint64
	resolved     []uint64
	muted        []uint64
}

type alertView struct {
	name     string
	fp       uint64
	labels   map[string]string
	resolved bool
}

type groupedView struct {
	key   uint64 // v1's hash, v2's fingerprint
	alert alertView
}

type silenceView struct {
	id, comment, createdBy string
	endsAt                 time.Time
	matchers               []string // rendered
}

type ruleView struct {
	name                  string
	source, target, equal []string
}

func parseEvent(t *testing.T, gen int, where string, raw []byte) recorded {
	t.Helper()
	var r recorded
	var err error
	switch gen {
	case 1:
		r, err = parseV1(raw)
	case 2:
		r, err = parseV2(raw)
	default:
		t.Fatalf("schema generation %d", gen)
	}
	if err != nil {
		t.Fatalf("%s: not an event of schema generation %d: %v: %s", where, gen, err, raw)
	}
	return r
}

func oneofArm(m protoreflect.Message) string {
	od := m.Descriptor().Oneofs().ByName("event_type")
	if fd := m.WhichOneof(od); fd != nil {
		return string(fd.Name())
	}
	return ""
}

func timeOf(ts *timestamppb.Timestamp) time.Time { return ts.AsTime() }

func rendered[M interface{ GetRendered() string }](ms []M) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.GetRendered())
	}
	return out
}

func parseV1(raw []byte) (recorded, error) {
	ev := &pb.Event{}
	if err := protojson.Unmarshal(raw, ev); err != nil {
		return recorded{}, err
	}
	pairs := func(ls *pb.LabelSet) map[string]string {
		m := map[string]string{}
		for _, l := range ls.GetLabels() {
			m[l.GetKey()] = l.GetValue()
		}
		return m
	}
	alert := func(a *pb.Alert) alertView {
		return alertView{name: a.GetName(), fp: a.GetFingerprint(), labels: pairs(a.GetLabels()), resolved: a.GetResolved()}
	}
	silence := func(s *pb.Silence) silenceView {
		return silenceView{id: s.GetId(), comment: s.GetComment(), createdBy: s.GetCreatedBy(), endsAt: timeOf(s.GetEndsAt()), matchers: rendered(s.GetMatchers())}
	}
	hashes := func(gs []*pb.GroupedAlert) []uint64 {
		out := []uint64{}
		for _, g := range gs {
			out = append(out, g.GetHash())
		}
		return out
	}
	d := ev.GetData()
	r := recorded{raw: raw, typ: oneofArm(d.ProtoReflect()), ts: timeOf(ev.GetTimestamp()), instance: ev.GetInstance()}
	v := &r.v
	v.buildContext = d.GetAlertmanagerStartupEvent().GetBuildContext()
	switch r.typ {
	case "alert_created":
		v.alert = alert(d.GetAlertCreated().GetAlert())
	case "alert_grouped":
		g := d.GetAlertGrouped()
		v.alert, v.groupedKey, v.receiver = alert(g.GetAlert().GetDetails()), g.GetAlert().GetHash(), g.GetGroupInfo().GetReceiverName()
	case "alert_resolved":
		g := d.GetAlertResolved()
		v.alert, v.groupedKey, v.receiver = alert(g.GetAlert().GetDetails()), g.GetAlert().GetHash(), g.GetGroupInfo().GetReceiverName()
	case "silence_created":
		v.silence = silence(d.GetSilenceCreated().GetSilence())
	case "silence_updated":
		v.silence = silence(d.GetSilenceUpdated().GetSilence())
	case "silence_muted_alert":
		m := d.GetSilenceMutedAlert()
		v.silence, v.mutedFP, v.mutedLabels = silence(m.GetSilence()), m.GetMutedAlert().GetFingerprint(), pairs(m.GetMutedAlert().GetLabels())
	case "inhibition_muted_alert":
		m := d.GetInhibitionMutedAlert()
		v.mutedFP, v.mutedLabels, v.inhibiting = m.GetMutedAlert().GetFingerprint(), pairs(m.GetMutedAlert().GetLabels()), m.GetInhibitingFingerprints()
		for _, rule := range m.GetInhibitRules() {
			v.rules = append(v.rules, ruleView{name: rule.GetName(), source: rendered(rule.GetSourceMatchers()), target: rendered(rule.GetTargetMatchers()), equal: rule.GetEqualLabels()})
		}
	case "notification":
		n := d.GetNotification()
		v.receiver, v.integration, v.reason = n.GetGroupInfo().GetReceiverName(), n.GetIntegration().GetName(), n.GetReason().String()
		for _, g := range n.GetAlerts() {
			v.alerts = append(v.alerts, groupedView{key: g.GetHash(), alert: alert(g.GetDetails())})
		}
		v.firing, v.resolved, v.muted = hashes(n.GetFiringAlerts()), hashes(n.GetResolvedAlerts()), hashes(n.GetMutedAlerts())
	}
	return r, nil
}

// parseV2 reads an events.v2 line strictly (an unknown field is an
// error), so reading Alertmanager v0.35's own output also checks that
// event/v2/eventsv2pb describes it.
func parseV2(raw []byte) (recorded, error) {
	ev := &v2pb.Event{}
	if err := protojson.Unmarshal(raw, ev); err != nil {
		return recorded{}, err
	}
	alert := func(a *v2pb.Alert) alertView {
		return alertView{name: a.GetName(), fp: a.GetFingerprint(), labels: a.GetLabels(), resolved: a.GetResolved()}
	}
	silence := func(s *v2pb.Silence) silenceView {
		return silenceView{id: s.GetId(), comment: s.GetComment(), createdBy: s.GetCreatedBy(), endsAt: timeOf(s.GetEndsAt()), matchers: rendered(s.GetMatchers())}
	}
	fps := func(gs []*v2pb.GroupedAlert) []uint64 {
		out := []uint64{}
		for _, g := range gs {
			out = append(out, g.GetFingerprint())
		}
		return out
	}
	d := ev.GetData()
	r := recorded{raw: raw, typ: oneofArm(d.ProtoReflect()), ts: timeOf(ev.GetTimestamp()), instance: ev.GetInstance()}
	v := &r.v
	v.buildContext = d.GetAlertmanagerStartupEvent().GetBuildContext()
	switch r.typ {
	case "alert_created":
		v.alert = alert(d.GetAlertCreated().GetAlert())
	case "alert_grouped":
		g := d.GetAlertGrouped()
		v.alert, v.groupedKey, v.receiver = alert(g.GetAlert().GetDetails()), g.GetAlert().GetFingerprint(), g.GetGroupInfo().GetReceiverName()
	case "alert_resolved":
		g := d.GetAlertResolved()
		v.alert, v.groupedKey, v.receiver = alert(g.GetAlert().GetDetails()), g.GetAlert().GetFingerprint(), g.GetGroupInfo().GetReceiverName()
	case "silence_created":
		v.silence = silence(d.GetSilenceCreated().GetSilence())
	case "silence_updated":
		v.silence = silence(d.GetSilenceUpdated().GetSilence())
	case "silence_muted_alert":
		m := d.GetSilenceMutedAlert()
		v.silence, v.mutedFP, v.mutedLabels = silence(m.GetSilence()), m.GetMutedAlert().GetFingerprint(), m.GetMutedAlert().GetLabels()
	case "inhibition_muted_alert":
		m := d.GetInhibitionMutedAlert()
		v.mutedFP, v.mutedLabels, v.inhibiting = m.GetMutedAlert().GetFingerprint(), m.GetMutedAlert().GetLabels(), m.GetInhibitingFingerprints()
		for _, rule := range m.GetInhibitRules() {
			v.rules = append(v.rules, ruleView{name: rule.GetName(), source: rendered(rule.GetSourceMatchers()), target: rendered(rule.GetTargetMatchers()), equal: rule.GetEqualLabels()})
		}
	case "notification":
		n := d.GetNotification()
		v.receiver, v.integration, v.reason = n.GetGroupInfo().GetReceiverName(), n.GetIntegration().GetName(), n.GetReason().String()
		for _, g := range n.GetAlerts() {
			v.alerts = append(v.alerts, groupedView{key: g.GetFingerprint(), alert: alert(g.GetDetails())})
		}
		v.firing, v.resolved, v.muted = fps(n.GetFiringAlerts()), fps(n.GetResolvedAlerts()), fps(n.GetMutedAlerts())
	}
	return r, nil
}

// readEventLines parses the complete lines of a JSONL file; a missing file
// holds no events.
func readEventLines(t *testing.T, gen int, path string) []recorded {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[:i+1]
	} else {
		b = nil
	}
	var out []recorded
	for n, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		out = append(out, parseEvent(t, gen, fmt.Sprintf("%s:%d", path, n+1), bytes.TrimSuffix(line, []byte("\n"))))
	}
	return out
}

// v2LabelFields are the events.v2 fields that are label sets, which v0.35
// writes as JSON objects of strings where the first generation wrote
// {"labels":[{"key":...,"value":...}]}.
var v2LabelFields = []string{"labels", "annotations", "groupLabels"}

// checkV2JSON asserts, on one event's JSON as written, what the second
// generation changed on the wire: label sets are objects of strings, a
// grouped alert carries "fingerprint" (never the first generation's
// "hash") equal to its details' fingerprint, and 64-bit integers
// (fingerprints, clusterPosition, flushId) are JSON strings.
func checkV2JSON(e recorded) error {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(e.raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return err
	}
	var problems []string
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				p := path + "." + k
				switch {
				case slices.Contains(v2LabelFields, k):
					obj, ok := c.(map[string]any)
					if !ok {
						problems = append(problems, fmt.Sprintf("%s is %T, want an object of strings", p, c))
						continue
					}
					for lk, lv := range obj {
						if _, ok := lv.(string); !ok {
							problems = append(problems, fmt.Sprintf("%s.%s is %T, want a string", p, lk, lv))
						}
					}
					continue
				case k == "hash":
					problems = append(problems, p+": the first generation's grouped-alert hash")
				case k == "fingerprint" || k == "clusterPosition" || k == "flushId" || k == "index":
					if _, ok := c.(string); !ok {
						problems = append(problems, fmt.Sprintf("%s is %T (%v), want a 64-bit integer as a JSON string", p, c, c))
					}
				case k == "inhibitingFingerprints":
					list, _ := c.([]any)
					for _, f := range list {
						if _, ok := f.(string); !ok {
							problems = append(problems, fmt.Sprintf("%s holds %T (%v), want 64-bit integers as JSON strings", p, f, f))
						}
					}
				}
				walk(p, c)
			}
			if d, ok := v["details"].(map[string]any); ok && v["fingerprint"] != d["fingerprint"] {
				problems = append(problems, fmt.Sprintf("%s: grouped alert fingerprint %v, its details' %v", path, v["fingerprint"], d["fingerprint"]))
			}
		case []any:
			for _, c := range v {
				walk(path+"[]", c)
			}
		}
	}
	walk("", doc)
	if len(problems) > 0 {
		slices.Sort(problems)
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// shape is, per event type, the set of JSON paths (object keys joined by
// dots, array elements as []) that the events of that type hold: what a
// consumer's parser meets, without the values.
func shape(t *testing.T, evs []recorded) map[string][]string {
	t.Helper()
	sets := map[string]map[string]bool{}
	for _, e := range evs {
		var doc any
		if err := json.Unmarshal(e.raw, &doc); err != nil {
			t.Fatalf("%s: %v", e.raw, err)
		}
		set := sets[e.typ]
		if set == nil {
			set = map[string]bool{}
			sets[e.typ] = set
		}
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, c := range v {
					walk(path+"."+k, c)
				}
			case []any:
				for _, c := range v {
					walk(path+"[]", c)
				}
			default:
				set[path] = true
			}
		}
		walk("", doc)
	}
	out := map[string][]string{}
	for typ, set := range sets {
		out[typ] = slices.Sorted(maps.Keys(set))
	}
	return out
}

// goldenV035 is one lifecycle as stock Alertmanager v0.35.0 recorded it
// (testdata/v0.35.0-lifecycle.md describes it and its volatile fields).
const goldenV035 = "testdata/v0.35.0-lifecycle.jsonl"

// TestV035Golden needs no Alertmanager: it reads the recorded v0.35.0
// lifecycle with this module's events.v2 schema, strictly, and checks the
// wire shape the end-to-end test asserts on live output, so a schema
// change that stops reading v0.35's JSON fails in every `make test`.
func TestV035Golden(t *testing.T) {
	evs := readEventLines(t, 2, goldenV035)
	seen := map[string]int{}
	for i, e := range evs {
		seen[e.typ]++
		if err := checkV2JSON(e); err != nil {
			t.Errorf("%s:%d (%s): %v", goldenV035, i+1, e.typ, err)
		}
	}
	for _, typ := range allEventTypes {
		if seen[typ] == 0 {
			t.Errorf("%s holds no %s event", goldenV035, typ)
		}
	}
	if len(seen) != len(allEventTypes) {
		t.Errorf("%s: event types %v, want exactly %v", goldenV035, seen, allEventTypes)
	}
}
