package kafka_test

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/sinktest"
)

// brokerLimit is the message.max.bytes of the brokers in these tests:
// small enough that one event is too large, large enough that the small
// events around it fit in one record batch.
const brokerLimit = 4096

// mixedSizes is 5 small messages, one of bigSize bytes (seq 5), and 10
// small ones, as the recorder would hand them over in one batch.
func mixedSizes(bigSize int) []sink.Message[int] {
	msgs := sinktest.Messages(0, 16)
	msgs[5].Value = fmt.Appendf(nil, `{"seq":5,"pad":%q}`, bytes.Repeat([]byte("x"), bigSize))
	return msgs
}

// TestOversizedEventFailsAlone records 5 small events, one larger than
// the broker accepts and 10 small ones together, and expects only the
// large one to fail, counted as message_too_large, and the 15 others in
// the topic, as an independent client reads it. Before, the broker's
// rejection of the record batch the large event travelled in failed
// every event of the batch (15 of 16).
//
// Rows: the limit set on the broker (message.max.bytes, as in the bug
// report); set on the topic (max.message.bytes), which the output reads
// when it connects and so refuses the large event without sending it;
// and the topic's limit with DescribeConfigs denied, as a producer
// without that permission sees it, so that only the broker's answer says
// the batch is too large and its records go again one at a time.
func TestOversizedEventFailsAlone(t *testing.T) {
	limit := map[string]string{"max.message.bytes": fmt.Sprint(brokerLimit)}
	for _, row := range []struct {
		name    string
		start   func(t *testing.T) *kfake.Cluster
		locally bool // refused before it is sent
	}{{
		name: "broker message.max.bytes",
		start: func(t *testing.T) *kfake.Cluster {
			return kafkatest.StartFake(t, kfake.SeedTopics(1, "events"), kfake.BrokerConfigs(map[string]string{"message.max.bytes": fmt.Sprint(brokerLimit)}))
		},
	}, {
		name: "topic max.message.bytes",
		start: func(t *testing.T) *kfake.Cluster {
			kf := kafkatest.StartFake(t)
			if err := kf.CreateTopic("events", 1, limit); err != nil {
				t.Fatal(err)
			}
			return kf
		},
		locally: true,
	}, {
		name: "topic max.message.bytes, DescribeConfigs denied",
		start: func(t *testing.T) *kfake.Cluster {
			kf := kafkatest.StartFake(t)
			if err := kf.CreateTopic("events", 1, limit); err != nil {
				t.Fatal(err)
			}
			kf.ControlKey(int16(kmsg.DescribeConfigs), func(req kmsg.Request) (kmsg.Response, error, bool) {
				kf.KeepControl()
				dreq := req.(*kmsg.DescribeConfigsRequest)
				resp := dreq.ResponseKind().(*kmsg.DescribeConfigsResponse)
				for _, r := range dreq.Resources {
					rr := kmsg.NewDescribeConfigsResponseResource()
					rr.ResourceType, rr.ResourceName = r.ResourceType, r.ResourceName
					rr.ErrorCode = kerr.TopicAuthorizationFailed.Code
					resp.Resources = append(resp.Resources, rr)
				}
				return resp, nil, true
			})
			return kf
		},
	}} {
		for _, acks := range []kafka.Acks{kafka.AcksLeader, kafka.AcksAll} {
			t.Run(row.name+"/"+string(acks), func(t *testing.T) {
				kf := row.start(t)
				h := newHarness(t)
				s := h.open(t, kafka.Config{Brokers: kf.ListenAddrs(), Topic: "events", Acks: acks})
				msgs := mixedSizes(2 * brokerLimit)
				s.Deliver(msgs)
				h.rep.WaitTotal(t, len(msgs), wait)
				h.closeAll(t, s, len(msgs))
				checkOversized(t, h, s, kf.ListenAddrs())
				refusedLocally := strings.Contains(h.rep.Errors()[0].Error(), fmt.Sprintf("over the %d bytes the producer sends", brokerLimit-61))
				sentAlone := strings.Contains(h.logs.String(), "sending its records again one at a time")
				if refusedLocally != row.locally || sentAlone == row.locally {
					t.Errorf("refused before sending: %v, batch sent again: %v; want %v and %v (error: %v)", refusedLocally, sentAlone, row.locally, !row.locally, h.rep.Errors()[0])
				}
			})
		}
	}
}

// checkOversized: message 5 failed, as too large, and every other one is
// delivered and in the topic exactly once.
func checkOversized(t *testing.T, h *harness, s *kafka.Sink[int], brokers []string) {
	t.Helper()
	d, dr, f := h.rep.Counts()
	if d != 15 || dr != 0 || f != 1 {
		t.Fatalf("delivered %d, dropped %d, failed %d; want 15 delivered and the large one failed", d, dr, f)
	}
	if got := events(h.rep.Failed()); !slices.Equal(got, []int{5}) {
		t.Fatalf("failed %v, want only the large message 5", got)
	}
	if errs := h.produceErrors(s.Name()); errs[kafka.ErrorMessageTooLarge] != 1 || sum(errs) != 1 {
		t.Fatalf("produce errors %v, want one message_too_large", errs)
	}
	for _, err := range h.rep.Errors() {
		if !strings.Contains(err.Error(), "(message_too_large error)") {
			t.Fatalf("failure reason %q does not say the message is too large", err)
		}
	}
	got := seqs(t, kafkatest.ReadTopic(t, brokers, "events").Records)
	slices.Sort(got)
	if want := slices.Delete(span(0, 16), 5, 6); !slices.Equal(got, want) {
		t.Fatalf("the topic holds %v, want %v once each", got, want)
	}
}

// TestBatchesStayUnderTopicLimit: with the topic's max.message.bytes read
// at connection time, the producer cuts record batches below it, so that
// many small events recorded at once all go through, without one batch
// refused. The largest event the producer sends counts sarama's upper
// bound of a record's size against the limit less the batch header: at
// it, an event is delivered; a byte over, refused before it is sent.
func TestBatchesStayUnderTopicLimit(t *testing.T) {
	kf := kafkatest.StartFake(t)
	if err := kf.CreateTopic("events", 1, map[string]string{"max.message.bytes": fmt.Sprint(brokerLimit)}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t)
	s := h.open(t, kafka.Config{Brokers: kf.ListenAddrs(), Topic: "events", Key: kafka.KeyNone})
	const n = 300 // about 60 bytes each: several batches' worth
	msgs := sinktest.Messages(0, n)
	// The two largest: a record's size bound is its key, value and
	// headers, 36 bytes of varints and 10 per header (2 headers, a key
	// of none).
	headers := len(kafka.HeaderEventType) + len("test_event") + len(kafka.HeaderContentType) + len("application/json") + 2*10
	room := brokerLimit - 61 - 36 - headers
	fits := fmt.Appendf(nil, `{"seq":%d,"pad":"`, n)
	fits = fmt.Appendf(fits, `%s"}`, bytes.Repeat([]byte("x"), room-len(fits)-2))
	over := append(slices.Clone(fits[:len(fits)-2]), `x"}`...)
	over[9] = '1' // seq n+1
	msgs = append(msgs,
		sink.Message[int]{Event: n, Type: "test_event", Value: fits},
		sink.Message[int]{Event: n + 1, Type: "test_event", Value: over})
	s.Deliver(msgs)
	h.rep.WaitTotal(t, len(msgs), wait)
	h.closeAll(t, s, len(msgs))
	if d, _, f := h.rep.Counts(); d != n+1 || f != 1 || !slices.Equal(events(h.rep.Failed()), []int{n + 1}) {
		t.Fatalf("delivered %d, failed %v; want %d delivered and only the one over the limit failed", d, events(h.rep.Failed()), n+1)
	}
	if strings.Contains(h.logs.String(), "sending its records again") {
		t.Fatal("the broker refused a batch as too large: the producer did not keep under the topic's limit")
	}
	if got := len(kafkatest.ReadTopic(t, kf.ListenAddrs(), "events").Records); got != n+1 {
		t.Fatalf("the topic holds %d records, want %d", got, n+1)
	}
}

// TestOversizedEventAtClose closes the output right after handing it the
// mixed batch: Close's flush sends the refused batch's records again one
// at a time too, so the outcome is the same.
func TestOversizedEventAtClose(t *testing.T) {
	kf := kafkatest.StartFake(t, kfake.SeedTopics(1, "events"), kfake.BrokerConfigs(map[string]string{"message.max.bytes": fmt.Sprint(brokerLimit)}))
	h := newHarness(t)
	s := h.open(t, kafka.Config{Brokers: kf.ListenAddrs(), Topic: "events"})
	msgs := mixedSizes(2 * brokerLimit)
	s.Deliver(msgs)
	if err := h.closeAll(t, s, len(msgs)); err != nil {
		t.Fatalf("Close: %v", err)
	}
	checkOversized(t, h, s, kf.ListenAddrs())
}
