package eventsv2pb

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// mapCases are the contents TestMapsLikeProtojson puts into every map of
// every event type. A nil map and an empty one are both unpopulated (no
// key in the JSON); the others must come out with protojson's key order
// (Go string order, that is byte order, which is not UTF-16 order) and
// escaping (\" \\ \b \f \n \r \t, \u00XX for other control characters and
// DEL-free ASCII as is, U+2028/U+2029 and non-ASCII as UTF-8).
var mapCases = []struct {
	name  string
	empty bool // Mutable, not Clear: a non-nil map with no entries
	kv    map[string]string
}{
	{name: "nil"},
	{name: "empty", empty: true},
	{name: "one", kv: map[string]string{"alertname": "Disk"}},
	{name: "empty key and value", kv: map[string]string{"": "", "a": ""}},
	{name: "escaping", kv: map[string]string{
		`quote"`:                    `say "hi"`,
		`back\slash`:                `C:\path\`,
		"/slash":                    "</script>",
		"<>&'":                      "a&b<c>d'e",
		"ctl\x00\x01\x1f":           "\x7f\x00",
		"ws\t\n\r\b\f":              "line1\nline2\r\n",
		"sep\u2028\u2029":           "\u2028",
		"é":                         "ünïcödé",
		"日本":                        "語",
		"emoji😀":                    "🙂",
		"\ufffd":                    "replacement",
		"space key":                 " ",
		strings.Repeat("long", 100): strings.Repeat("v", 1000),
	}},
	{name: "byte order is not UTF-16 order", kv: map[string]string{
		// U+FFFD is EF BF BD in UTF-8 and FFFD in UTF-16; U+1F600 is
		// F0 9F 98 80 and D83D DE00. A UTF-16 sort puts the emoji first.
		"\ufffd": "1", "\U0001F600": "2", "Z": "3", "a": "4", "_": "5", "A": "6", "0": "7", "~": "8", "\u00e9": "9",
	}},
	// More entries than a map encoder sorts on its stack, so that the
	// allocating path is taken.
	{name: "many keys", kv: manyKeys(3 * jsonencMapScratch)},
}

func manyKeys(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		// Keys of varying length so that prefixes sort before their
		// extensions ("k1" < "k10" < "k2").
		m[fmt.Sprintf("k%d", (i*7919)%n)] = fmt.Sprintf("value %d \"%d\"", i, n-i)
	}
	return m
}

// setEveryMap sets every string map reachable from m (every map of the
// schema is map<string, string>) to the case's content and returns how
// many it set.
func setEveryMap(m protoreflect.Message, empty bool, kv map[string]string) int {
	n := 0
	var visit func(m protoreflect.Message)
	visit = func(m protoreflect.Message) {
		fields := m.Descriptor().Fields()
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			switch {
			case fd.IsMap():
				n++
				m.Clear(fd)
				if empty || kv != nil {
					mp := m.Mutable(fd).Map()
					for k, v := range kv {
						mp.Set(protoreflect.ValueOfString(k).MapKey(), protoreflect.ValueOfString(v))
					}
				}
			case fd.IsList() && fd.Message() != nil:
				if m.Has(fd) {
					l := m.Get(fd).List()
					for j := 0; j < l.Len(); j++ {
						visit(l.Get(j).Message())
					}
				}
			case fd.Message() != nil:
				if m.Has(fd) {
					visit(m.Get(fd).Message())
				}
			}
		}
	}
	visit(m)
	return n
}

// TestMapsLikeProtojson: for every event type and every map content of
// mapCases, the generated encoder writes protojson's bytes. The golden
// events share messages between fields (one silence in several events,
// one alert as details and reference), so each event is cloned first.
func TestMapsLikeProtojson(t *testing.T) {
	events := goldenEvents(t)
	for _, arm := range eventTypes() {
		name := string(arm.Name())
		for _, c := range mapCases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				ev := proto.Clone(events[name]).(*Event)
				n := setEveryMap(ev.ProtoReflect(), c.empty, c.kv)
				if wantMaps := mapsIn[name]; n != wantMaps {
					t.Fatalf("set %d maps, the event type holds %d", n, wantMaps)
				}
				if c.empty {
					// Every map is non-nil and empty, not merely absent.
					forEachMap(ev, func(m map[string]string) {
						if m == nil || len(m) != 0 {
							t.Fatalf("map %v is not a non-nil empty map", m)
						}
					})
				}
				checkSameAsProtojson(t, ev)
				got, err := ev.AppendJSON(nil)
				if err != nil {
					t.Fatal(err)
				}
				for _, key := range []string{`"labels":`, `"annotations":`, `"groupLabels":`} {
					if c.kv == nil && strings.Contains(string(got), key) {
						t.Errorf("an unpopulated map was written (%s): %s", key, got)
					}
				}
			})
		}
	}
}

// mapsIn is how many maps setEveryMap reaches in each golden event, so
// that a case that set none would not pass for the wrong reason.
var mapsIn = map[string]int{
	"alertmanager_startup_event":  0,
	"alertmanager_shutdown_event": 0,
	"alert_created":               2, // labels, annotations
	"alert_resolved":              3, // details' two, group labels
	"alert_grouped":               3,
	"notification":                7, // three alerts' two, group labels
	"silence_created":             1,
	"silence_updated":             1,
	"silence_muted_alert":         2,
	"inhibition_muted_alert":      1,
}

// TestMapInvalidUTF8 is the deterministic form of what the fuzz target
// finds: a key or value that is not UTF-8 fails like protojson, for every
// map of every event type.
func TestMapInvalidUTF8(t *testing.T) {
	events := goldenEvents(t)
	for _, arm := range eventTypes() {
		name := string(arm.Name())
		if mapsIn[name] == 0 {
			continue
		}
		for _, kv := range []map[string]string{{"bad\xff": "v"}, {"k": "bad\xc3"}} {
			ev := proto.Clone(events[name]).(*Event)
			setEveryMap(ev.ProtoReflect(), false, kv)
			checkSameAsProtojson(t, ev)
			if _, err := ev.AppendJSON(nil); err == nil {
				t.Errorf("%s: %q: no error", name, kv)
			}
		}
	}
}

// Test64BitIntegersAsStrings: uint64 and int64 fields (cluster position,
// fingerprints, flush id, integration index) are JSON strings, at their
// extremes too, byte for byte as protojson writes them.
func Test64BitIntegersAsStrings(t *testing.T) {
	events := goldenEvents(t)
	for _, u := range []uint64{0, 1, math.MaxUint32 + 1, math.MaxInt64 + 1, math.MaxUint64} {
		for _, i := range []int64{0, -1, math.MinInt64, math.MaxInt64} {
			ev := proto.Clone(events["notification"]).(*Event)
			ev.ClusterPosition = u
			n := ev.GetData().GetNotification()
			n.FlushId = u
			n.Integration.Index = i
			for _, g := range n.Alerts {
				g.Fingerprint = u
				g.Details.Fingerprint = u
			}
			checkSameAsProtojson(t, ev)
			got, err := ev.AppendJSON(nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{
				fmt.Sprintf(`"flushId":"%d"`, u),
				fmt.Sprintf(`"fingerprint":"%d"`, u),
			} {
				if u != 0 && !strings.Contains(string(got), want) {
					t.Errorf("%s lacks %s", got, want)
				}
			}
			if want := fmt.Sprintf(`"index":"%d"`, i); i != 0 && !strings.Contains(string(got), want) {
				t.Errorf("%s lacks %s", got, want)
			}
			if want := fmt.Sprintf(`"clusterPosition":"%d"`, u); u != 0 && !strings.HasSuffix(string(got), want+"}") {
				t.Errorf("%s does not end with %s", got, want)
			}
		}
	}
	ev := proto.Clone(events["inhibition_muted_alert"]).(*Event)
	ev.GetData().GetInhibitionMutedAlert().InhibitingFingerprints = []uint64{0, math.MaxUint64}
	checkSameAsProtojson(t, ev)
	got, _ := ev.AppendJSON(nil)
	if want := `"inhibitingFingerprints":["0","18446744073709551615"]`; !strings.Contains(string(got), want) {
		t.Errorf("%s lacks %s", got, want)
	}
}
