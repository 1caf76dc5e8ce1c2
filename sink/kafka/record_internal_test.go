package kafka

import (
	"reflect"
	"testing"

	"github.com/IBM/sarama"

	"github.com/eventrecorder/eventrecorder/sink"
)

// TestRecycledRecordIsBlank makes a record, marks it the way sarama does
// on its way through a producer, and recycles it: nothing may be left,
// neither the event (the pool would keep it alive) nor a field sarama set
// (a reused record would carry it into its next produce), and a record
// made after it must be m's alone, whether or not the pool hands the same
// one back; run's free list always does.
func TestRecycledRecordIsBlank(t *testing.T) {
	for _, owner := range []bool{true, false} {
		t.Run(map[bool]string{true: "free list", false: "pool"}[owner], func(t *testing.T) {
			s := &Sink[*int]{
				cfg:         Config{Topic: "t", Key: KeyEventType},
				contentType: []byte("application/json"),
				typeHeaders: map[string][]byte{},
				typeKeys:    map[string]sarama.Encoder{},
			}
			ev := new(int)
			id, err := sink.ParseEventID("0190a5b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b")
			if err != nil {
				t.Fatal(err)
			}
			r := s.newRecord(sink.Message[*int]{Event: ev, Type: "a", Value: []byte("v"), ID: id})
			r.pm.Partition, r.pm.Offset, r.alone = 3, 42, true
			s.recycle(r, owner)
			if !reflect.ValueOf(*r).IsZero() {
				t.Fatalf("a recycled record keeps %+v", *r)
			}
			if want := map[bool]int{true: 1, false: 0}[owner]; len(s.free) != want {
				t.Fatalf("recycled with owner=%v, the free list holds %d records, want %d", owner, len(s.free), want)
			}
			r2 := s.newRecord(sink.Message[*int]{Type: "b", Value: []byte("w")})
			if owner && r2 != r {
				t.Fatal("run's recycled record was not reused from the free list")
			}
			if r2.msg.Event != nil || r2.pm.Partition != 0 || r2.pm.Offset != 0 || r2.alone || len(r2.pm.Headers) != 2 || r2.pm.Metadata != r2 {
				t.Fatalf("a record made after a recycled one is %+v", *r2)
			}
			if k, _ := r2.pm.Key.Encode(); string(k) != "b" {
				t.Fatalf("key %q, want b", k)
			}
		})
	}
}
