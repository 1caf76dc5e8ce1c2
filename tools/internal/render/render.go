// Package render turns recorded events into one readable line each, for
// eventrecorder tail, and decides which events a tail filter selects.
//
// Lines lead with the time and the event type, then the few fields a person
// scanning an incident wants: the alert name and state, the silence id, the
// receiver, the notification reason. Values are written key=value and
// quoted only when needed, so lines stay greppable.
package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
)

// TimeFormat is the timestamp layout of a line: UTC, millisecond precision,
// fixed width so that columns line up.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// typeWidth pads the event type so that the fields start in one column.
var typeWidth = func() int {
	w := 0
	for _, t := range event.EventTypeNames() {
		w = max(w, len(t))
	}
	return w
}()

// ANSI SGR codes. Colours follow the alert's fate: red while it fires,
// green once resolved, magenta when muted, blue for operators' silences.
const (
	reset   = "\x1b[0m"
	bold    = "\x1b[1m"
	dim     = "\x1b[2m"
	red     = "\x1b[31m"
	green   = "\x1b[32m"
	yellow  = "\x1b[33m"
	blue    = "\x1b[34m"
	magenta = "\x1b[35m"
	cyan    = "\x1b[36m"
)

var typeColor = map[string]string{
	event.EventTypeAlertmanagerStartupEvent:  bold,
	event.EventTypeAlertmanagerShutdownEvent: bold,
	event.EventTypeAlertCreated:              red,
	event.EventTypeAlertGrouped:              yellow,
	event.EventTypeAlertResolved:             green,
	event.EventTypeNotification:              cyan,
	event.EventTypeSilenceCreated:            blue,
	event.EventTypeSilenceUpdated:            blue,
	event.EventTypeSilenceMutedAlert:         magenta,
	event.EventTypeInhibitionMutedAlert:      magenta,
}

// Line renders ev as one line without a trailing newline. With color set
// the time is dimmed and the type coloured by what it means.
func Line(ev *eventrecorderpb.Event, color bool) string {
	var b strings.Builder
	ts := "-"
	if t := ev.GetTimestamp(); t != nil {
		ts = t.AsTime().UTC().Format(TimeFormat)
	}
	typ := event.EventTypeName(ev.GetData())
	if color {
		b.WriteString(dim + ts + reset + " ")
		c, ok := typeColor[typ]
		if !ok {
			c = bold
		}
		fmt.Fprintf(&b, "%s%-*s%s", c, typeWidth, typ, reset)
	} else {
		fmt.Fprintf(&b, "%s %-*s", ts, typeWidth, typ)
	}
	for _, f := range Fields(ev) {
		b.WriteByte(' ')
		b.WriteString(f.Key)
		b.WriteByte('=')
		b.WriteString(quote(f.Value))
	}
	return strings.TrimRight(b.String(), " ")
}

// Field is one key=value of a line.
type Field struct{ Key, Value string }

// Fields returns the salient fields of ev, in display order, ending with
// the instance that recorded it.
func Fields(ev *eventrecorderpb.Event) []Field {
	var fs []Field
	add := func(k, v string) {
		if v != "" {
			fs = append(fs, Field{k, v})
		}
	}
	d := ev.GetData()
	switch d.GetEventType().(type) {
	case *eventrecorderpb.EventData_AlertmanagerStartupEvent:
		add("version", d.GetAlertmanagerStartupEvent().GetVersion())
	case *eventrecorderpb.EventData_AlertCreated:
		a := d.GetAlertCreated().GetAlert()
		add("alertname", a.GetName())
		add("state", state(a))
		add("fingerprint", fingerprint(a.GetFingerprint()))
	case *eventrecorderpb.EventData_AlertGrouped:
		e := d.GetAlertGrouped()
		add("alertname", e.GetAlert().GetDetails().GetName())
		add("receiver", e.GetGroupInfo().GetReceiverName())
		add("group", labelString(e.GetGroupInfo().GetGroupLabels()))
	case *eventrecorderpb.EventData_AlertResolved:
		e := d.GetAlertResolved()
		add("alertname", e.GetAlert().GetDetails().GetName())
		add("receiver", e.GetGroupInfo().GetReceiverName())
		add("group", labelString(e.GetGroupInfo().GetGroupLabels()))
	case *eventrecorderpb.EventData_Notification:
		n := d.GetNotification()
		add("receiver", n.GetGroupInfo().GetReceiverName())
		add("integration", integration(n.GetIntegration()))
		add("reason", reason(n.GetReason()))
		add("firing", strconv.Itoa(len(n.GetFiringAlerts())))
		add("resolved", strconv.Itoa(len(n.GetResolvedAlerts())))
		if m := len(n.GetMutedAlerts()); m > 0 {
			add("muted", strconv.Itoa(m))
		}
		add("alertnames", strings.Join(alertNames(n.GetAlerts()), ","))
	case *eventrecorderpb.EventData_SilenceCreated:
		silenceFields(d.GetSilenceCreated().GetSilence(), add)
	case *eventrecorderpb.EventData_SilenceUpdated:
		silenceFields(d.GetSilenceUpdated().GetSilence(), add)
	case *eventrecorderpb.EventData_SilenceMutedAlert:
		e := d.GetSilenceMutedAlert()
		add("alertname", labelValue(e.GetMutedAlert().GetLabels(), "alertname"))
		add("silence", e.GetSilence().GetId())
		add("fingerprint", fingerprint(e.GetMutedAlert().GetFingerprint()))
	case *eventrecorderpb.EventData_InhibitionMutedAlert:
		e := d.GetInhibitionMutedAlert()
		add("alertname", labelValue(e.GetMutedAlert().GetLabels(), "alertname"))
		var rules []string
		for _, r := range e.GetInhibitRules() {
			rules = append(rules, ruleString(r))
		}
		add("rule", strings.Join(rules, "; "))
		var by []string
		for _, fp := range e.GetInhibitingFingerprints() {
			by = append(by, fingerprint(fp))
		}
		add("inhibited_by", strings.Join(by, ","))
	case *eventrecorderpb.EventData_AlertmanagerShutdownEvent:
	default:
		// An event type newer than this tool: show the alert it is
		// about, if any label set says.
		for _, p := range Labels(ev) {
			if p.Key == "alertname" {
				add("alertname", p.Value)
				break
			}
		}
	}
	add("instance", ev.GetInstance())
	return fs
}

func silenceFields(s *eventrecorderpb.Silence, add func(k, v string)) {
	add("silence", s.GetId())
	add("by", s.GetCreatedBy())
	var ms []string
	for _, m := range s.GetMatchers() {
		ms = append(ms, matcherString(m))
	}
	add("matchers", "{"+strings.Join(ms, ",")+"}")
	if e := s.GetEndsAt(); e != nil {
		add("ends", e.AsTime().UTC().Format(time.RFC3339))
	}
	add("comment", s.GetComment())
}

func state(a *eventrecorderpb.Alert) string {
	if a == nil {
		return ""
	}
	if a.GetResolved() {
		return "resolved"
	}
	return "firing"
}

// fingerprint prints as the JSONL file holds it, in decimal (protojson
// writes a uint64 as a decimal string), so that grepping the file for what
// tail shows finds the event. Alertmanager's own display is hex.
func fingerprint(fp uint64) string { return strconv.FormatUint(fp, 10) }

func integration(i *eventrecorderpb.Integration) string {
	if i == nil || i.GetName() == "" {
		return ""
	}
	return fmt.Sprintf("%s[%d]", i.GetName(), i.GetIndex())
}

// reason drops the enum prefix: NOTIFY_REASON_FIRST_NOTIFICATION becomes
// first_notification.
func reason(r eventrecorderpb.NotifyReason) string {
	return strings.ToLower(strings.TrimPrefix(r.String(), "NOTIFY_REASON_"))
}

func alertNames(as []*eventrecorderpb.GroupedAlert) []string {
	var names []string
	for _, a := range as {
		if n := a.GetDetails().GetName(); n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

func labelValue(ls *eventrecorderpb.LabelSet, name string) string {
	for _, p := range ls.GetLabels() {
		if p.GetKey() == name {
			return p.GetValue()
		}
	}
	return ""
}

func labelString(ls *eventrecorderpb.LabelSet) string {
	if len(ls.GetLabels()) == 0 {
		return ""
	}
	parts := make([]string, len(ls.GetLabels()))
	for i, p := range ls.GetLabels() {
		parts[i] = p.GetKey() + "=" + strconv.Quote(p.GetValue())
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func matcherString(m *eventrecorderpb.Matcher) string {
	if r := m.GetRendered(); r != "" {
		return r
	}
	op := map[eventrecorderpb.Matcher_Type]string{
		eventrecorderpb.Matcher_TYPE_EQUAL:      "=",
		eventrecorderpb.Matcher_TYPE_NOT_EQUAL:  "!=",
		eventrecorderpb.Matcher_TYPE_REGEXP:     "=~",
		eventrecorderpb.Matcher_TYPE_NOT_REGEXP: "!~",
	}[m.GetType()]
	if op == "" {
		op = "?"
	}
	return m.GetName() + op + strconv.Quote(m.GetPattern())
}

func ruleString(r *eventrecorderpb.InhibitRule) string {
	if r.GetName() != "" {
		return r.GetName()
	}
	var src, tgt []string
	for _, m := range r.GetSourceMatchers() {
		src = append(src, matcherString(m))
	}
	for _, m := range r.GetTargetMatchers() {
		tgt = append(tgt, matcherString(m))
	}
	return "{" + strings.Join(src, ",") + "}->{" + strings.Join(tgt, ",") + "}"
}

// quote leaves values without white space alone (label sets and matchers
// keep their own quotes, as Alertmanager prints them) and Go-quotes the
// rest, so that a line still splits on spaces unambiguously.
func quote(v string) string {
	if v == "" || strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(v)
	}
	return v
}

// Pair is a label name and value.
type Pair struct{ Key, Value string }

var (
	labelSetName = (&eventrecorderpb.LabelSet{}).ProtoReflect().Descriptor().FullName()
	silenceName  = (&eventrecorderpb.Silence{}).ProtoReflect().Descriptor().FullName()
	matcherName  = (&eventrecorderpb.Matcher{}).ProtoReflect().Descriptor().FullName()
)

// Labels returns the labels an event is about: every label set in it
// (alert labels, muted alert labels, group labels, the alerts of a
// notification) except annotations, plus the equality matchers of a
// silence, which name the labels of the alerts it silences. It walks the
// message generically, so event types added to the schema later are
// covered without changes here.
func Labels(ev *eventrecorderpb.Event) []Pair {
	var out []Pair
	walk(ev.GetData().ProtoReflect(), false, &out)
	return out
}

func walk(m protoreflect.Message, inSilence bool, out *[]Pair) {
	if !m.IsValid() {
		return
	}
	switch m.Descriptor().FullName() {
	case labelSetName:
		for _, p := range m.Interface().(*eventrecorderpb.LabelSet).GetLabels() {
			*out = append(*out, Pair{p.GetKey(), p.GetValue()})
		}
		return
	case matcherName:
		if mt := m.Interface().(*eventrecorderpb.Matcher); inSilence && mt.GetType() == eventrecorderpb.Matcher_TYPE_EQUAL {
			*out = append(*out, Pair{mt.GetName(), mt.GetPattern()})
		}
		return
	case silenceName:
		inSilence = true
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Message() == nil || fd.IsMap() || fd.Name() == "annotations" {
			return true
		}
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				walk(l.Get(i).Message(), inSilence, out)
			}
			return true
		}
		walk(v.Message(), inSilence, out)
		return true
	})
}

// Filter selects events by type and labels.
type Filter struct {
	// Types accepts events of any of these types; empty accepts all.
	Types []string
	// Labels must all be present among the event's Labels.
	Labels []Pair
}

// Match reports whether ev passes the filter.
func (f Filter) Match(ev *eventrecorderpb.Event) bool {
	if len(f.Types) > 0 && !slices.Contains(f.Types, event.EventTypeName(ev.GetData())) {
		return false
	}
	if len(f.Labels) == 0 {
		return true
	}
	have := Labels(ev)
	for _, want := range f.Labels {
		if !slices.Contains(have, want) {
			return false
		}
	}
	return true
}
