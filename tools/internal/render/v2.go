package render

import (
	"slices"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/event/v2/eventsv2pb"
)

// FromV2 views a v2 event in v1's shape, which is what Line, Fields,
// Labels and Filter read: the two generations have the same messages and
// field numbers and differ in the shape of a few fields, each carried
// over here: a label map becomes a LabelSet sorted by name (the order the
// converters write v1 label sets in); a grouped alert's fingerprint
// becomes v1's hash; the 64-bit cluster position is cut to v1's 32 bits
// (a line shows none). A field v1 does not have (a silence's
// receiver_matcher_sets) is left out: a line shows none either. So a line
// is rendered once, the same for both generations, and filters match the
// same labels in both.
//
// The view is for display only: it is no v1 event anyone recorded, and
// replay re-records the v2 event as it is.
func FromV2(ev *eventsv2pb.Event) *eventrecorderpb.Event {
	out := &eventrecorderpb.Event{}
	convert(out.ProtoReflect(), ev.ProtoReflect())
	return out
}

var labelSetDesc = (&eventrecorderpb.LabelSet{}).ProtoReflect().Descriptor()

// convert copies src (a v2 message) into dst (its v1 counterpart) field by
// field, matched by name.
func convert(dst, src protoreflect.Message) {
	dfs := dst.Descriptor().Fields()
	src.Range(func(sfd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := sfd.Name()
		if name == "fingerprint" && src.Descriptor().Name() == "GroupedAlert" {
			name = "hash"
		}
		dfd := dfs.ByName(name)
		if dfd == nil {
			return true // only in v2; see FromV2
		}
		switch {
		case sfd.IsMap() && dfd.Message() != nil && dfd.Message().FullName() == labelSetDesc.FullName():
			dst.Set(dfd, protoreflect.ValueOfMessage(labelSet(v.Map()).ProtoReflect()))
		case sfd.IsList() && sfd.Message() != nil:
			sl, dl := v.List(), dst.Mutable(dfd).List()
			for i := 0; i < sl.Len(); i++ {
				e := dl.NewElement()
				convert(e.Message(), sl.Get(i).Message())
				dl.Append(e)
			}
		case sfd.IsList():
			dl := dst.Mutable(dfd).List()
			sl := v.List()
			for i := 0; i < sl.Len(); i++ {
				dl.Append(sl.Get(i))
			}
		case sfd.Message() != nil && sfd.Message().FullName() == dfd.Message().FullName():
			// A well-known type (Timestamp, Duration): the same message.
			dst.Set(dfd, v)
		case sfd.Message() != nil:
			convert(dst.Mutable(dfd).Message(), v.Message())
		case sfd.Kind() == protoreflect.Uint64Kind && dfd.Kind() == protoreflect.Uint32Kind:
			dst.Set(dfd, protoreflect.ValueOfUint32(uint32(v.Uint())))
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
