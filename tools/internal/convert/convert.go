// Package convert carries an event from one schema generation's shape to
// the other's. The two generations (package event's eventrecorderpb and
// event/v2's eventsv2pb) have the same messages and field numbers and
// differ in the shape of a few fields:
//
//   - a label set is a LabelSet of {key, value} pairs in v1 and a
//     map<string, string> in v2 (v1's pairs are sorted by name, as its
//     converters write them, and so are the pairs made from a map);
//   - a grouped alert carries a hash in v1 and a fingerprint in v2;
//   - the cluster position is 32-bit in v1 and 64-bit in v2 (cut to 32
//     bits on the way to v1);
//   - a silence's receiver_matcher_sets exist only in v2 (left out on the
//     way to v1).
//
// tail renders both generations with one renderer, written against v1's
// shape (V1), and the demo records its one lifecycle in either generation
// (V2Data). Neither conversion is a migration tool: V1 loses what v1
// cannot hold, and replay re-records each event in its own generation, as
// it was read.
package convert

import (
	"slices"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
)

// V1 views a v2 event in v1's shape.
func V1(ev *eventsv2pb.Event) *eventrecorderpb.Event {
	out := &eventrecorderpb.Event{}
	copyMessage(out.ProtoReflect(), ev.ProtoReflect())
	return out
}

// V2Data is v1 event data in v2's shape.
func V2Data(d *eventrecorderpb.EventData) *eventsv2pb.EventData {
	out := &eventsv2pb.EventData{}
	copyMessage(out.ProtoReflect(), d.ProtoReflect())
	return out
}

// hashFields names a grouped alert's hash in the other generation.
var hashFields = map[protoreflect.Name]protoreflect.Name{"fingerprint": "hash", "hash": "fingerprint"}

// copyMessage copies src into dst, its counterpart in the other
// generation, field by field, matched by name.
func copyMessage(dst, src protoreflect.Message) {
	dfs := dst.Descriptor().Fields()
	src.Range(func(sfd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := sfd.Name()
		if n, ok := hashFields[name]; ok && src.Descriptor().Name() == "GroupedAlert" {
			name = n
		}
		dfd := dfs.ByName(name)
		if dfd == nil {
			return true // only in v2; see the package doc
		}
		switch {
		case sfd.IsMap():
			dst.Set(dfd, protoreflect.ValueOfMessage(labelSet(v.Map()).ProtoReflect()))
		case dfd.IsMap():
			m := dst.Mutable(dfd).Map()
			for _, p := range v.Message().Interface().(*eventrecorderpb.LabelSet).GetLabels() {
				m.Set(protoreflect.ValueOfString(p.GetKey()).MapKey(), protoreflect.ValueOfString(p.GetValue()))
			}
		case sfd.IsList() && sfd.Message() != nil:
			sl, dl := v.List(), dst.Mutable(dfd).List()
			for i := 0; i < sl.Len(); i++ {
				e := dl.NewElement()
				copyMessage(e.Message(), sl.Get(i).Message())
				dl.Append(e)
			}
		case sfd.IsList():
			sl, dl := v.List(), dst.Mutable(dfd).List()
			for i := 0; i < sl.Len(); i++ {
				dl.Append(sl.Get(i))
			}
		case sfd.Message() != nil && sfd.Message().FullName() == dfd.Message().FullName():
			// A well-known type (Timestamp, Duration): the same message.
			dst.Set(dfd, v)
		case sfd.Message() != nil:
			copyMessage(dst.Mutable(dfd).Message(), v.Message())
		case sfd.Kind() == protoreflect.Uint64Kind && dfd.Kind() == protoreflect.Uint32Kind:
			dst.Set(dfd, protoreflect.ValueOfUint32(uint32(v.Uint())))
		case sfd.Kind() == protoreflect.Uint32Kind && dfd.Kind() == protoreflect.Uint64Kind:
			dst.Set(dfd, protoreflect.ValueOfUint64(v.Uint()))
		default:
			// Scalars and enums of the same kind and numbers.
			dst.Set(dfd, v)
		}
		return true
	})
}

func labelSet(m protoreflect.Map) *eventrecorderpb.LabelSet {
	keys := make([]string, 0, m.Len())
	m.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k.String())
		return true
	})
	slices.Sort(keys)
	ls := &eventrecorderpb.LabelSet{Labels: make([]*eventrecorderpb.LabelPair, len(keys))}
	for i, k := range keys {
		ls.Labels[i] = &eventrecorderpb.LabelPair{Key: k, Value: m.Get(protoreflect.ValueOfString(k).MapKey()).String()}
	}
	return ls
}
