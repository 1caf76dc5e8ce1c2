package kindspb

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

type jsonAppender interface {
	proto.Message
	AppendJSON(b []byte) ([]byte, error)
}

// checkEquivalent is the check of event/eventrecorderpb's tests (which an
// internal package cannot share): the same error as protojson, or bytes
// equal to protojson's once its random spaces are removed, equal JSON
// values, and a lossless round trip through protojson.Unmarshal.
func checkEquivalent(t testing.TB, m jsonAppender) bool {
	t.Helper()
	want, wantErr := protojson.Marshal(m)
	got, err := m.AppendJSON([]byte("prefix:"))
	if wantErr != nil {
		if err == nil {
			t.Fatalf("protojson fails with %q, AppendJSON succeeds with %s", wantErr, got)
		}
		if w := strings.ReplaceAll(wantErr.Error(), "\u00a0", " "); err.Error() != w {
			t.Fatalf("AppendJSON error %q, protojson error %q", err, w)
		}
		if string(got) != "prefix:" {
			t.Fatalf("on error AppendJSON returned %q", got)
		}
		return false
	}
	if err != nil {
		t.Fatalf("AppendJSON: %v (protojson succeeds with %s)", err, want)
	}
	got, ok := bytes.CutPrefix(got, []byte("prefix:"))
	if !ok {
		t.Fatalf("AppendJSON lost the buffer's prefix: %q", got)
	}
	var wantCompact bytes.Buffer
	if err := json.Compact(&wantCompact, want); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, wantCompact.Bytes()) {
		t.Fatalf("bytes differ from protojson's without its spaces\n ours:      %q\n protojson: %q", got, wantCompact.Bytes())
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("invalid JSON %q: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil || !reflect.DeepEqual(g, w) {
		t.Fatalf("JSON values differ: %s vs %s (%v)", got, want, err)
	}
	back := m.ProtoReflect().Type().New().Interface()
	if err := protojson.Unmarshal(got, back); err != nil {
		t.Fatalf("protojson.Unmarshal(%s): %v", got, err)
	}
	if m.ProtoReflect().IsValid() && !proto.Equal(back, m) {
		t.Fatalf("round trip changed the message\n JSON: %s\n in:   %v\n out:  %v", got, m, back)
	}
	return true
}

var (
	floats = []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1.5, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 1.2345678901234567e300,
		math.MaxFloat64, math.SmallestNonzeroFloat64, math.MaxFloat32, math.SmallestNonzeroFloat32,
		123456789, 1e-10, math.Inf(1), math.Inf(-1), math.NaN(), 100, 1.0 / 3}
	ints = []int64{0, 1, -1, math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64, 1 << 53, 1<<53 + 1}
)

func scalars(f float64, i int64, s string) *Scalars {
	return &Scalars{
		FDouble: f, FFloat: float32(f), FInt32: int32(i), FInt64: i, FUint32: uint32(i), FUint64: uint64(i),
		FSint32: int32(i), FSint64: i, FFixed32: uint32(i), FFixed64: uint64(i), FSfixed32: int32(i), FSfixed64: i,
		FBool: i%2 != 0, FString: s, FBytes: []byte(s), FColor: Color(i), FAliased: Aliased(i), CustomJson: s,
		Inner: &Nested_Inner{Name: s},
	}
}

func TestScalars(t *testing.T) {
	for _, f := range floats {
		for _, i := range ints {
			for _, s := range []string{"", "x", "\x00\xff\xfe binary-ish \"<>&\u2028", "ünïcödé"} {
				checkEquivalent(t, scalars(f, i, s))
			}
		}
	}
	checkEquivalent(t, &Scalars{})
	checkEquivalent(t, (*Scalars)(nil))
	for _, c := range []Color{Color_COLOR_RED, Color_COLOR_GREEN, Color_COLOR_NEGATIVE, 7, -7} {
		checkEquivalent(t, &Scalars{FColor: c})
	}
	checkEquivalent(t, &Scalars{FAliased: Aliased_ALIASED_UNO}) // an alias encodes as the first name
}

func TestOptionals(t *testing.T) {
	zero := &Optionals{
		FDouble: proto.Float64(0), FFloat: proto.Float32(0), FInt32: proto.Int32(0), FInt64: proto.Int64(0),
		FUint32: proto.Uint32(0), FUint64: proto.Uint64(0), FSint32: proto.Int32(0), FSint64: proto.Int64(0),
		FFixed32: proto.Uint32(0), FFixed64: proto.Uint64(0), FSfixed32: proto.Int32(0), FSfixed64: proto.Int64(0),
		FBool: proto.Bool(false), FString: proto.String(""), FBytes: []byte{}, FColor: Color_COLOR_UNSPECIFIED.Enum(),
		FNested: &Nested{}, FTimestamp: &timestamppb.Timestamp{},
	}
	checkEquivalent(t, zero)
	checkEquivalent(t, &Optionals{})
	for _, f := range floats {
		for _, i := range ints {
			checkEquivalent(t, &Optionals{
				FDouble: proto.Float64(f), FFloat: proto.Float32(float32(f)), FInt32: proto.Int32(int32(i)), FInt64: proto.Int64(i),
				FUint32: proto.Uint32(uint32(i)), FUint64: proto.Uint64(uint64(i)), FSint32: proto.Int32(int32(i)), FSint64: proto.Int64(i),
				FFixed32: proto.Uint32(uint32(i)), FFixed64: proto.Uint64(uint64(i)), FSfixed32: proto.Int32(int32(i)), FSfixed64: proto.Int64(i),
				FBool: proto.Bool(true), FString: proto.String("s"), FBytes: []byte{0, 1, 2, 0xff}, FColor: Color(i).Enum(),
				FNested: &Nested{Scalars: scalars(f, i, "n")}, FTimestamp: timestamppb.New(timestamppb.Now().AsTime()),
			})
		}
	}
}

func TestRepeated(t *testing.T) {
	r := &Repeated{FNested: []*Nested{{}, nil, {Child: &Nested{Children: []*Nested{{}}}}},
		FTimestamp: []*timestamppb.Timestamp{{}, nil, {Seconds: 1, Nanos: 1}},
		FDuration:  []*durationpb.Duration{{}, nil, {Seconds: -1, Nanos: -1000}}}
	for _, f := range floats {
		r.FDouble = append(r.FDouble, f)
		r.FFloat = append(r.FFloat, float32(f))
	}
	for _, i := range ints {
		r.FInt32 = append(r.FInt32, int32(i))
		r.FInt64 = append(r.FInt64, i)
		r.FUint32 = append(r.FUint32, uint32(i))
		r.FUint64 = append(r.FUint64, uint64(i))
		r.FSint32 = append(r.FSint32, int32(i))
		r.FSint64 = append(r.FSint64, i)
		r.FFixed32 = append(r.FFixed32, uint32(i))
		r.FFixed64 = append(r.FFixed64, uint64(i))
		r.FSfixed32 = append(r.FSfixed32, int32(i))
		r.FSfixed64 = append(r.FSfixed64, i)
		r.FBool = append(r.FBool, i%2 == 0)
		r.FColor = append(r.FColor, Color(i))
	}
	r.FString = []string{"", "a", "\"\\"}
	r.FBytes = [][]byte{nil, {}, {0}, []byte("hello world")}
	checkEquivalent(t, r)
	checkEquivalent(t, &Repeated{FString: []string{"ok", "\xff"}})
	checkEquivalent(t, &Repeated{FTimestamp: []*timestamppb.Timestamp{{Seconds: -1 << 62}}})
	checkEquivalent(t, &Repeated{FDuration: []*durationpb.Duration{{Seconds: 1, Nanos: -1}}})
}

func TestOneofs(t *testing.T) {
	arms := []isOneofs_Choice{
		&Oneofs_FDouble{}, &Oneofs_FDouble{FDouble: math.Inf(-1)}, &Oneofs_FFloat{}, &Oneofs_FFloat{FFloat: 1.25},
		&Oneofs_FInt32{}, &Oneofs_FInt32{FInt32: -5}, &Oneofs_FInt64{}, &Oneofs_FInt64{FInt64: math.MinInt64},
		&Oneofs_FUint32{}, &Oneofs_FUint64{FUint64: math.MaxUint64}, &Oneofs_FBool{}, &Oneofs_FBool{FBool: true},
		&Oneofs_FString{}, &Oneofs_FString{FString: "\u2029"}, &Oneofs_FString{FString: "\xc3"},
		&Oneofs_FBytes{}, &Oneofs_FBytes{FBytes: []byte{0xfb, 0xff}}, &Oneofs_FColor{}, &Oneofs_FColor{FColor: 42},
		&Oneofs_FNested{}, &Oneofs_FNested{FNested: &Nested{Inner: &Nested_Inner{}}},
		&Oneofs_FTimestamp{}, &Oneofs_FTimestamp{FTimestamp: &timestamppb.Timestamp{Nanos: 5000}},
		&Oneofs_FTimestamp{FTimestamp: &timestamppb.Timestamp{Nanos: -5}},
		&Oneofs_FDuration{}, &Oneofs_FDuration{FDuration: &durationpb.Duration{Nanos: -5}},
		(*Oneofs_FString)(nil), nil,
	}
	for _, arm := range arms {
		for _, second := range []isOneofs_Second{nil, &Oneofs_SString{}, &Oneofs_SSint64{SSint64: -9}} {
			checkEquivalent(t, &Oneofs{Before: 1, Choice: arm, After: 2, Second: second})
			checkEquivalent(t, &Oneofs{Choice: arm, Second: second})
		}
	}
}

// FuzzKinds cross-checks the number formats (floats above all) and bytes
// against protojson.
func FuzzKinds(f *testing.F) {
	for _, x := range floats {
		f.Add(x, float32(x), int64(7), uint64(7), []byte("b"), "s")
	}
	f.Fuzz(func(t *testing.T, d float64, fl float32, i int64, u uint64, b []byte, s string) {
		checkEquivalent(t, &Scalars{FDouble: d, FFloat: fl, FInt32: int32(i), FInt64: i, FUint32: uint32(u), FUint64: u,
			FSint32: int32(i >> 32), FSint64: -i, FBytes: b, FString: s, FColor: Color(i), CustomJson: s})
		checkEquivalent(t, &Repeated{FDouble: []float64{d, -d}, FFloat: []float32{fl}, FBytes: [][]byte{b, nil}, FString: []string{s}})
		checkEquivalent(t, &Oneofs{Choice: &Oneofs_FFloat{FFloat: fl}, Second: &Oneofs_SString{SString: s}})
		checkEquivalent(t, &Repeated{FTimestamp: []*timestamppb.Timestamp{{Seconds: i, Nanos: int32(u)}}, FDuration: []*durationpb.Duration{{Seconds: i, Nanos: int32(u)}}})
		// Two keys of each kind from the inputs, so their order is checked.
		checkEquivalent(t, &Maps{
			KString: map[string]string{s: s, string(b): "b"}, KInt32: map[int32]string{int32(i): s, int32(u): s},
			KInt64: map[int64]string{i: s, int64(u): s}, KUint32: map[uint32]string{uint32(i): s, uint32(u): s},
			KUint64: map[uint64]string{uint64(i): s, u: s}, KBool: map[bool]string{i%2 == 0: s, u%3 == 0: s},
			VDouble: map[string]float64{s: d}, VFloat: map[string]float32{s: fl}, VInt64: map[string]int64{s: i},
			VUint64: map[string]uint64{s: u}, VBytes: map[string][]byte{s: b}, VColor: map[string]Color{s: Color(i)},
			Int64Int64: map[int64]int64{i: -i, -i: i}, Uint64Uint64: map[uint64]uint64{u: u, u >> 1: 1},
		})
	})
}

// mapKeys are keys whose protojson order differs from their insertion
// order and, for integers, from the order of their decimal strings
// ("-1" < "10" < "2"); the strings also differ in UTF-16 order from byte
// order (U+FFFF sorts before U+1F600 by bytes, after it by UTF-16 units).
var (
	mapInts    = []int64{10, 2, -1, 0, math.MaxInt64, math.MinInt64, math.MaxInt32, math.MinInt32, 1 << 53, -(1 << 53) - 1}
	mapStrings = []string{"b", "a", "", "B", "aa", "a\x00", "\"", "\\", "<&>", "\u2028", "\uffff", "😀", "é", "\x7f", "\t\n"}
)

func fullMaps() *Maps {
	m := &Maps{
		KString: map[string]string{}, KInt32: map[int32]string{}, KInt64: map[int64]string{}, KUint32: map[uint32]string{},
		KUint64: map[uint64]string{}, KSint32: map[int32]string{}, KSint64: map[int64]string{}, KFixed32: map[uint32]string{},
		KFixed64: map[uint64]string{}, KSfixed32: map[int32]string{}, KSfixed64: map[int64]string{},
		KBool:   map[bool]string{true: "yes", false: "no"},
		VDouble: map[string]float64{}, VFloat: map[string]float32{}, VInt32: map[string]int32{}, VInt64: map[string]int64{},
		VUint32: map[string]uint32{}, VUint64: map[string]uint64{}, VSint32: map[string]int32{}, VSint64: map[string]int64{},
		VFixed32: map[string]uint32{}, VFixed64: map[string]uint64{}, VSfixed32: map[string]int32{}, VSfixed64: map[string]int64{},
		VBool:  map[string]bool{"t": true, "f": false},
		VBytes: map[string][]byte{"nil": nil, "empty": {}, "bin": {0, 0xff, 0xfe}},
		VColor: map[string]Color{"zero": 0, "red": Color_COLOR_RED, "neg": Color_COLOR_NEGATIVE, "unknown": 42, "unknown-neg": -42},
		VNested: map[string]*Nested{"nil": nil, "empty": {}, "full": {Scalars: scalars(1.5, -3, "x"), Inner: &Nested_Inner{Name: "i"},
			Children: []*Nested{{}, {Child: &Nested{}}}}},
		VTimestamp:    map[string]*timestamppb.Timestamp{"nil": nil, "zero": {}, "t": {Seconds: 1772359205, Nanos: 250000000}, "early": {Seconds: -62135596800}},
		VDuration:     map[string]*durationpb.Duration{"nil": nil, "zero": {}, "neg": {Seconds: -1, Nanos: -500}, "max": {Seconds: 315576000000}},
		Int64Int64:    map[int64]int64{},
		Uint64Uint64:  map[uint64]uint64{math.MaxUint64: math.MaxUint64, 0: 0, 1 << 63: 1},
		Int32Color:    map[int32]Color{-3: Color_COLOR_NEGATIVE, 3: 3, 0: 0},
		BoolNested:    map[bool]*Nested{true: {Inner: &Nested_Inner{Name: "t"}}},
		Uint32Bytes:   map[uint32][]byte{math.MaxUint32: []byte("max"), 7: nil},
		BoolDouble:    map[bool]float64{false: math.NaN()},
		CustomJsonMap: map[string]string{"k": "v"},
	}
	for _, i := range mapInts {
		v := fmt.Sprint("v", i)
		m.KInt32[int32(i)], m.KInt64[i], m.KUint32[uint32(i)], m.KUint64[uint64(i)] = v, v, v, v
		m.KSint32[int32(i)], m.KSint64[i], m.KFixed32[uint32(i)], m.KFixed64[uint64(i)] = v, v, v, v
		m.KSfixed32[int32(i)], m.KSfixed64[i] = v, v
		m.Int64Int64[i] = -i
	}
	for n, s := range mapStrings {
		m.KString[s] = "v" + s
		m.VInt32[s], m.VInt64[s], m.VUint32[s], m.VUint64[s] = int32(mapInts[n%len(mapInts)]), mapInts[n%len(mapInts)], uint32(mapInts[n%len(mapInts)]), uint64(mapInts[n%len(mapInts)])
		m.VSint32[s], m.VSint64[s], m.VFixed32[s], m.VFixed64[s] = m.VInt32[s], m.VInt64[s], m.VUint32[s], m.VUint64[s]
		m.VSfixed32[s], m.VSfixed64[s] = m.VInt32[s], m.VInt64[s]
	}
	for n, f := range floats {
		k := fmt.Sprint("f", n)
		m.VDouble[k], m.VFloat[k] = f, float32(f)
	}
	return m
}

// TestMaps checks every key kind and value kind against protojson: the
// key order (which protojson fixes), integer keys as strings, 64-bit values
// as strings, enums by name or number, nil messages as {}.
func TestMaps(t *testing.T) {
	full := fullMaps()
	if !checkEquivalent(t, full) {
		t.Fatal("encoding failed")
	}
	checkEquivalent(t, &Maps{VMaps: map[string]*Maps{"full": full, "nil": nil, "empty": {}}})
	checkEquivalent(t, &Maps{})
	checkEquivalent(t, &Maps{KString: map[string]string{}, KBool: map[bool]string{}, VNested: map[string]*Nested{}}) // empty maps are omitted
	checkEquivalent(t, &Maps{KBool: map[bool]string{true: "only true"}})
	checkEquivalent(t, &Maps{KBool: map[bool]string{false: "only false"}})
	checkEquivalent(t, &Maps{BoolNested: map[bool]*Nested{false: nil}})

	// Every string key position and escape, one at a time.
	for _, s := range mapStrings {
		checkEquivalent(t, &Maps{KString: map[string]string{s: s}})
	}
}

// TestMapsLarge covers maps with more entries than the encoders sort on
// their stack, where they allocate.
func TestMapsLarge(t *testing.T) {
	for _, n := range []int{31, 32, 33, 64, 1000} {
		m := &Maps{KString: map[string]string{}, KInt64: map[int64]string{}, VNested: map[string]*Nested{}}
		for i := range n {
			m.KString[fmt.Sprintf("label_%d", i*7919%n)] = fmt.Sprint(i)
			m.KInt64[int64(i*7919%n)-int64(n/2)] = fmt.Sprint(i)
			m.VNested[fmt.Sprint(i)] = &Nested{Inner: &Nested_Inner{Name: fmt.Sprint(i)}}
		}
		checkEquivalent(t, m)
	}
}

// TestMapsInvalid: protojson fails on invalid UTF-8 in a key without
// naming a field, and in a value naming the map entry's value field; an
// invalid Timestamp inside a map fails as it does elsewhere.
func TestMapsInvalid(t *testing.T) {
	for _, m := range []*Maps{
		{KString: map[string]string{"a": "ok", "\xff": "ok"}},
		{KString: map[string]string{"a": "ok", "b": "\xc3"}},
		{KInt32: map[int32]string{1: "\xff"}},
		{KBool: map[bool]string{true: "\xff"}},
		{VColor: map[string]Color{"\xff": 1}},
		{VTimestamp: map[string]*timestamppb.Timestamp{"t": {Nanos: -1}}},
		{VDuration: map[string]*durationpb.Duration{"d": {Seconds: 1, Nanos: -1}}},
		{VNested: map[string]*Nested{"n": {Inner: &Nested_Inner{Name: "\xff"}}}},
		{VMaps: map[string]*Maps{"m": {CustomJsonMap: map[string]string{"k": "\xff"}}}},
	} {
		if checkEquivalent(t, m) {
			t.Errorf("%v: encoded without error", m)
		}
	}
}

// TestMapsNoAllocs: a map of up to jsonencMapScratch entries is sorted on
// the stack; a larger one costs exactly one allocation, its entries.
func TestMapsNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	labels := func(n int) map[string]string {
		m := map[string]string{}
		for i := range n {
			m[fmt.Sprint("label", i)] = "value"
		}
		return m
	}
	for _, c := range []struct {
		m    *Maps
		want float64
	}{
		{fullMaps(), 0},
		{&Maps{KString: labels(jsonencMapScratch)}, 0},
		{&Maps{KString: labels(jsonencMapScratch + 1)}, 1},
		{&Maps{KString: labels(jsonencMapScratch + 1), CustomJsonMap: labels(3 * jsonencMapScratch)}, 2},
	} {
		buf, err := c.m.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(100, func() {
			buf, err = c.m.AppendJSON(buf[:0])
		})
		if err != nil || allocs != c.want {
			t.Errorf("%d bytes of JSON: %v allocations per encode, want %v (err %v)", len(buf), allocs, c.want, err)
		}
	}
}
