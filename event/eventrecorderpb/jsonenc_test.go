package eventrecorderpb

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// jsonAppender is what the generator adds to every message.
type jsonAppender interface {
	proto.Message
	AppendJSON(b []byte) ([]byte, error)
}

// checkEquivalent checks the generated encoder against protojson for m:
// both fail with the same message, or both succeed, our output is compact
// JSON equal as a JSON value to protojson's, and protojson reads it back as
// a message equal to m. It reports whether the encoders succeeded.
func checkEquivalent(t testing.TB, m jsonAppender) bool {
	t.Helper()
	want, wantErr := protojson.Marshal(m)

	// A prefix in the buffer checks the append contract: kept on success,
	// and the buffer comes back at its original length on error.
	const prefix = "prefix:"
	got, err := m.AppendJSON([]byte(prefix))
	if wantErr != nil {
		if err == nil {
			t.Fatalf("protojson fails with %q, AppendJSON succeeds with %s", wantErr, got)
		}
		// protojson randomly uses U+00A0 after "proto:" to discourage
		// comparing error texts; ours mirrors the text with a plain space.
		if w := strings.ReplaceAll(wantErr.Error(), "\u00a0", " "); err.Error() != w {
			t.Fatalf("AppendJSON error %q, protojson error %q", err, w)
		}
		if string(got) != prefix {
			t.Fatalf("on error AppendJSON returned %q, want the buffer as passed (%q)", got, prefix)
		}
		return false
	}
	if err != nil {
		t.Fatalf("AppendJSON: %v (protojson succeeds with %s)", err, want)
	}
	if !bytes.HasPrefix(got, []byte(prefix)) {
		t.Fatalf("AppendJSON lost the buffer's prefix: %q", got)
	}
	got = got[len(prefix):]

	var compact bytes.Buffer
	if err := json.Compact(&compact, got); err != nil {
		t.Fatalf("AppendJSON produced invalid JSON %q: %v", got, err)
	}
	if !bytes.Equal(compact.Bytes(), got) {
		t.Fatalf("AppendJSON output has insignificant whitespace:\n%s", got)
	}
	if g, w := decodeJSON(t, got), decodeJSON(t, want); !reflect.DeepEqual(g, w) {
		t.Fatalf("JSON values differ\n ours:      %s\n protojson: %s", got, want)
	}
	// Stricter than equal values: protojson's bytes once its random
	// insignificant spaces are removed. This pins down escaping (\u007f and
	// a raw DEL decode alike) and the member order (declaration order).
	var wantCompact bytes.Buffer
	if err := json.Compact(&wantCompact, want); err != nil {
		t.Fatalf("protojson produced invalid JSON %q: %v", want, err)
	}
	if !bytes.Equal(got, wantCompact.Bytes()) {
		t.Fatalf("bytes differ from protojson's without its spaces\n ours:      %q\n protojson: %q", got, wantCompact.Bytes())
	}

	back := m.ProtoReflect().Type().New().Interface()
	if err := protojson.Unmarshal(got, back); err != nil {
		t.Fatalf("protojson.Unmarshal(%s): %v", got, err)
	}
	orig := proto.Message(m)
	if !m.ProtoReflect().IsValid() {
		// A nil message encodes as {}; proto.Equal deliberately tells nil
		// and empty apart, so compare with the empty message.
		orig = back.ProtoReflect().Type().New().Interface()
	}
	if !proto.Equal(back, orig) {
		t.Fatalf("round trip through our JSON changed the message\n JSON: %s\n in:   %v\n out:  %v", got, m, back)
	}
	return true
}

func decodeJSON(t testing.TB, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber() // compare numbers by their digits, not as float64
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	if d.More() {
		t.Fatalf("trailing data after the JSON value in %s", b)
	}
	return v
}

func TestAppendJSONEveryArm(t *testing.T) {
	for _, arm := range allArms() {
		t.Run(arm.name, func(t *testing.T) {
			ev := envelope(arm.data)
			if !checkEquivalent(t, ev) {
				t.Fatal("fully populated event failed to encode")
			}
			// Every message on its own too, not only inside the envelope.
			walkMessages(ev.ProtoReflect(), func(m protoreflect.Message) {
				checkEquivalent(t, m.Interface().(jsonAppender))
			})
		})
	}
}

// TestAllArmsCovered keeps allArms in step with the schema: every arm of
// the oneof appears once, with every field of its payload populated
// somewhere (so a new field cannot escape the equivalence tests).
func TestAllArmsCovered(t *testing.T) {
	od := (&EventData{}).ProtoReflect().Descriptor().Oneofs().ByName("event_type")
	seen := map[protoreflect.Name]bool{}
	populated := map[protoreflect.FullName]bool{}
	for _, arm := range allArms() {
		m := arm.data.ProtoReflect()
		fd := m.WhichOneof(od)
		if fd == nil || string(fd.Name()) != arm.name || seen[fd.Name()] {
			t.Fatalf("arm %q: set field %v, or listed twice", arm.name, fd)
		}
		seen[fd.Name()] = true
		walkMessages(envelope(arm.data).ProtoReflect(), func(m protoreflect.Message) {
			m.Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
				populated[fd.FullName()] = true
				return true
			})
		})
	}
	if len(seen) != od.Fields().Len() {
		t.Fatalf("allArms covers %d of %d arms", len(seen), od.Fields().Len())
	}
	var check func(md protoreflect.MessageDescriptor, done map[protoreflect.FullName]bool)
	check = func(md protoreflect.MessageDescriptor, done map[protoreflect.FullName]bool) {
		if done[md.FullName()] || md.ParentFile().Package() != File_eventrecorderpb_eventrecorder_proto.Package() {
			return
		}
		done[md.FullName()] = true
		for i := 0; i < md.Fields().Len(); i++ {
			fd := md.Fields().Get(i)
			if !populated[fd.FullName()] {
				t.Errorf("no fixture populates %s", fd.FullName())
			}
			if fd.Message() != nil {
				check(fd.Message(), done)
			}
		}
	}
	check((&Event{}).ProtoReflect().Descriptor(), map[protoreflect.FullName]bool{})
}

// walkMessages calls fn for every message of the schema's package in m's
// tree, m included.
func walkMessages(m protoreflect.Message, fn func(protoreflect.Message)) {
	if m.Descriptor().ParentFile().Package() != File_eventrecorderpb_eventrecorder_proto.Package() {
		return
	}
	fn(m)
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Message() == nil:
		case fd.IsList():
			for i := 0; i < v.List().Len(); i++ {
				walkMessages(v.List().Get(i).Message(), fn)
			}
		default:
			walkMessages(v.Message(), fn)
		}
		return true
	})
}

// eachStringSlot calls fn once for every string value in m's tree (string
// fields and elements of repeated strings), with a setter that replaces it.
func eachStringSlot(m protoreflect.Message, fn func(where string, set func(string))) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Kind() == protoreflect.StringKind && fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				fn(string(fd.FullName()), func(s string) { l.Set(i, protoreflect.ValueOfString(s)) })
			}
		case fd.Kind() == protoreflect.StringKind:
			fn(string(fd.FullName()), func(s string) { m.Set(fd, protoreflect.ValueOfString(s)) })
		case fd.Message() != nil && fd.IsList():
			for i := 0; i < v.List().Len(); i++ {
				eachStringSlot(v.List().Get(i).Message(), fn)
			}
		case fd.Message() != nil:
			eachStringSlot(v.Message(), fn)
		}
		return true
	})
}

// trickyStrings exercise every branch of protojson's escaper.
var trickyStrings = []string{
	`"quoted" and \backslashed\ and /slashed/`,
	"<script>alert('x')</script> & friends", // no HTML escaping in protojson
	"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f",
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x20\x7f",
	"line\u2028separator\u2029paragraph", // left as they are by protojson
	"héllo wörld ☃ 日本語 😀 \U0010ffff",
	"\ufffd is a valid replacement character",
	"trailing escape\n",
	"\t",
	" ",
	"",
}

func TestAppendJSONStrings(t *testing.T) {
	for _, arm := range allArms() {
		for _, s := range trickyStrings {
			// Every string of the event at once: each slot is encoded
			// independently, so this covers each slot with each string.
			ev := envelope(arm.data)
			eachStringSlot(ev.ProtoReflect(), func(_ string, set func(string)) { set(s) })
			if !checkEquivalent(t, ev) {
				t.Fatalf("%s with every string %q: encoding failed", arm.name, s)
			}
		}
	}
}

func TestAppendJSONInvalidUTF8(t *testing.T) {
	bad := []string{
		"\xff",
		"valid prefix \xc3",     // truncated sequence at the end
		"\xed\xa0\x80surrogate", // UTF-16 surrogate encoded as UTF-8
		"overlong \xc0\xaf",
		"ok\x80ok",
	}
	n := 0
	for _, arm := range allArms() {
		ev := envelope(arm.data)
		eachStringSlot(ev.ProtoReflect(), func(where string, set func(string)) {
			for _, s := range bad {
				set(s)
				if checkEquivalent(t, ev) {
					t.Fatalf("%s = %q: both encoders accepted invalid UTF-8", where, s)
				}
				n++
			}
			set("ok")
		})
	}
	if n < 100 {
		t.Fatalf("only %d invalid-UTF-8 cases ran; the fixtures lost their strings", n)
	}
}

func TestAppendJSONEdgeCases(t *testing.T) {
	cases := map[string]jsonAppender{
		"nil event":                (*Event)(nil),
		"nil alert":                (*Alert)(nil),
		"empty event":              &Event{},
		"empty data":               &Event{Data: &EventData{}},
		"typed nil arm":            &EventData{EventType: (*EventData_AlertCreated)(nil)},
		"arm with nil payload":     &EventData{EventType: &EventData_AlertCreated{}},
		"arm with empty payload":   &EventData{EventType: &EventData_AlertCreated{AlertCreated: &AlertCreatedEvent{}}},
		"shutdown arm":             &EventData{EventType: &EventData_AlertmanagerShutdownEvent{AlertmanagerShutdownEvent: &AlertmanagerShutdownEvent{}}},
		"zero values":              &Alert{Fingerprint: 0, Name: "", Resolved: false, Labels: nil},
		"empty submessages":        &Alert{Labels: &LabelSet{}, Annotations: &LabelSet{}, StartsAt: ts(0, 0), EndsAt: ts(0, 0)},
		"optional unset":           &GroupedAlert{Hash: 7},
		"optional set to zero":     &GroupedAlert{Details: &Alert{}},
		"empty label pair in list": &LabelSet{Labels: []*LabelPair{{}, {Key: "k"}, {Value: "v"}}},
		"nil element in list":      &LabelSet{Labels: []*LabelPair{nil, {Key: "k"}}},
		"empty repeated":           &InhibitionMutedAlertEvent{InhibitRules: []*InhibitRule{}, InhibitingFingerprints: []uint64{}},
		"repeated zeros":           &InhibitionMutedAlertEvent{InhibitingFingerprints: []uint64{0, 0}, InhibitRules: []*InhibitRule{{EqualLabels: []string{"", ""}}}},
		"max uint64":               &MutedAlert{Fingerprint: math.MaxUint64},
		"max int64":                &Integration{Index: math.MaxInt64},
		"min int64":                &Integration{Index: math.MinInt64},
		"minus one int64":          &Integration{Index: -1},
		"max uint32":               &Event{ClusterPosition: math.MaxUint32},
		"unknown enum":             &NotificationEvent{Reason: NotifyReason(99)},
		"negative unknown enum":    &Matcher{Type: Matcher_Type(-5)},
		"max enum":                 &Matcher{Type: Matcher_Type(math.MaxInt32)},
		"min enum":                 &Matcher{Type: Matcher_Type(math.MinInt32)},
		"last enum value":          &NotificationEvent{Reason: NotifyReason_NOTIFY_REASON_REPEAT_INTERVAL_ELAPSED},
		"every matcher type": &MatcherSet{Matchers: []*Matcher{
			{Type: Matcher_TYPE_UNSPECIFIED}, {Type: Matcher_TYPE_EQUAL}, {Type: Matcher_TYPE_REGEXP},
			{Type: Matcher_TYPE_NOT_EQUAL}, {Type: Matcher_TYPE_NOT_REGEXP},
		}},
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			if !checkEquivalent(t, m) {
				t.Fatal("encoding failed")
			}
		})
	}
}

func TestAppendJSONTimestamps(t *testing.T) {
	const (
		minSecs = -62135596800 // 0001-01-01T00:00:00Z
		maxSecs = 253402300799 // 9999-12-31T23:59:59Z
	)
	var secs = []int64{
		minSecs, minSecs + 1, maxSecs, maxSecs - 86400,
		0, -1, 1, 1700000000,
		951782400,   // 2000-02-29, a leap day in a century leap year
		-2203891200, // 1900-03-01, after a century non-leap February
		4107456000,  // 2100-02-28 ... 2100-03-01 below
		4107542400,
		946684799,                  // 1999-12-31T23:59:59Z
		-62104060800, -62072524800, // year 2 and year 3
		-11644473600, // 1601-01-01, start of a 400-year era
	}
	// Every day boundary of a leap year and a common year.
	for d := int64(0); d < 366+365; d++ {
		secs = append(secs, 946684800+d*86400-1, 946684800+d*86400)
	}
	nanos := []int32{0, 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
		120000000, 123000000, 123400000, 123456000, 123456700, 123456789, 999999999, 999000000, 999999000}
	for _, s := range secs {
		for _, n := range nanos {
			if !checkEquivalent(t, &Alert{StartsAt: ts(s, n)}) {
				t.Fatalf("timestamp {%d, %d} failed to encode", s, n)
			}
		}
	}
	for _, bad := range [][2]int64{
		{minSecs - 1, 0}, {maxSecs + 1, 0}, {math.MinInt64, 0}, {math.MaxInt64, 0},
		{0, -1}, {0, 1000000000}, {0, math.MinInt32}, {0, math.MaxInt32},
	} {
		m := &Event{Instance: "x", Timestamp: ts(bad[0], int32(bad[1]))}
		if checkEquivalent(t, m) {
			t.Fatalf("timestamp %v accepted", bad)
		}
		if checkEquivalent(t, &Silence{UpdatedAt: ts(bad[0], int32(bad[1]))}) {
			t.Fatalf("timestamp %v accepted in Silence.updated_at", bad)
		}
	}
}

func TestAppendJSONDurations(t *testing.T) {
	const maxSecs = 315576000000
	for _, d := range [][2]int64{
		{0, 0}, {1, 0}, {-1, 0}, {1, 500000000}, {-1, -500000000},
		{0, 500000000}, {0, -500000000}, {0, 1}, {0, -1}, {0, 1000}, {0, -1000}, {0, 1000000},
		{0, 999999999}, {0, -999999999}, {3600, 123456789}, {-3600, -123456700},
		{maxSecs, 999999999}, {-maxSecs, -999999999}, {maxSecs, 0}, {-maxSecs, 0},
	} {
		if !checkEquivalent(t, &NotificationEvent{RepeatInterval: dur(d[0], int32(d[1]))}) {
			t.Fatalf("duration %v failed to encode", d)
		}
	}
	for _, d := range [][2]int64{
		{maxSecs + 1, 0}, {-maxSecs - 1, 0}, {0, 1000000000}, {0, -1000000000},
		{1, -1}, {-1, 1}, {math.MaxInt64, 0}, {math.MinInt64, 0},
	} {
		if checkEquivalent(t, &NotificationEvent{RepeatInterval: dur(d[0], int32(d[1]))}) {
			t.Fatalf("duration %v accepted", d)
		}
	}
}

// TestAppendJSONNoAllocs checks the steady state the recorder relies on:
// with a buffer that has room, encoding allocates nothing.
func TestAppendJSONNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	events := []*Event{referenceEvent()}
	for _, arm := range allArms() {
		events = append(events, envelope(arm.data))
	}
	for _, ev := range events {
		buf, err := ev.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(100, func() {
			buf, err = ev.AppendJSON(buf[:0])
		})
		if err != nil || allocs != 0 {
			t.Fatalf("%s: %v allocations per encode (err %v)", buf, allocs, err)
		}
	}
}

// TestAppendJSONStringPositions puts each byte class the escaper treats
// differently at every position of strings around the 8-byte width of its
// fast path, alone and next to another, so that a wrong mask or offset in
// the word-at-a-time scan shows up.
func TestAppendJSONStringPositions(t *testing.T) {
	specials := []string{"\x00", "\x1f", " ", "!", "\"", "#", "\\", "[", "]", "\x7f", "é", "€", "😀", "\u2028", "\xff", "\xc3", "\x80"}
	for n := 1; n <= 20; n++ {
		for p := 0; p < n; p++ {
			for _, sp := range specials {
				for _, next := range []string{"", "\"", "\x01", "é"} {
					s := strings.Repeat("a", p) + sp + next + strings.Repeat("b", n-p-1)
					checkEquivalent(t, &LabelPair{Key: s, Value: "v" + s})
				}
			}
		}
	}
}
