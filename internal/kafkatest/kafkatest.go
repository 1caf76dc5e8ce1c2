// Package kafkatest gives tests a real Kafka cluster to produce to and an
// independent client to read topics back with: franz-go's in-process
// kfake broker by default, or the cluster named by KAFKA_BROKERS when that
// variable is set, so that the same integration tests can be pointed at a
// real Kafka. Reading back goes through franz-go's kgo, never through the
// producer under test.
package kafkatest

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// EnvBrokers names the environment variable that points the tests at an
// external cluster: comma-separated host:port.
const EnvBrokers = "KAFKA_BROKERS"

// ExternalBrokers returns the brokers named by KAFKA_BROKERS, or nil.
func ExternalBrokers() []string {
	var out []string
	for _, b := range strings.Split(os.Getenv(EnvBrokers), ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// Cluster is the cluster a test produces to.
type Cluster struct {
	// Brokers are the bootstrap addresses.
	Brokers []string
	// Fake is the in-process broker, nil when the test runs against
	// KAFKA_BROKERS.
	Fake *kfake.Cluster
	// ClientOpts are added to every client this package builds for the
	// cluster (SASL, TLS).
	ClientOpts []kgo.Opt
}

// Start returns the external cluster when KAFKA_BROKERS is set, or else
// starts a one-broker kfake cluster with opts (closed when the test ends).
// Tests that need to control the broker (stop it, inject faults, turn on
// SASL or TLS) call StartFake instead.
func Start(t testing.TB, opts ...kfake.Opt) *Cluster {
	t.Helper()
	if b := ExternalBrokers(); len(b) > 0 {
		return &Cluster{Brokers: b}
	}
	f := StartFake(t, opts...)
	return &Cluster{Brokers: f.ListenAddrs(), Fake: f}
}

// StartFake starts a kfake cluster of one broker (unless opts say
// otherwise) and closes it when the test ends.
func StartFake(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatalf("kafkatest: starting kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// FreePort returns a loopback TCP port that was free a moment ago, for a
// broker to be started on later.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("kafkatest: finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// HungBroker listens on loopback, accepts connections and reads them
// without ever answering: a broker that is up as far as TCP can tell and
// hung as far as Kafka can, which kfake cannot imitate before the first
// request. Accepted returns how many connections it took. It stops when
// the test ends.
func HungBroker(t testing.TB) (addr string, accepted func() int64) {
	t.Helper()
	var n atomic.Int64
	addr = serveLoopback(t, "hung broker", func(c net.Conn) {
		n.Add(1)
		_, _ = io.Copy(io.Discard, c)
	})
	return addr, n.Load
}

// ClientIDBroker listens on loopback and, for each connection, reads the
// header of the first request, records the client id it carries and hangs
// up: enough to see what a producer calls itself on the wire, which kfake
// does not expose. clientIDs returns the ids in the order the connections
// came. It stops when the test ends.
func ClientIDBroker(t testing.TB) (addr string, clientIDs func() []string) {
	t.Helper()
	var (
		mu  sync.Mutex
		ids []string
	)
	addr = serveLoopback(t, "client id broker", func(c net.Conn) {
		defer c.Close()
		if id, err := readClientID(c); err == nil {
			mu.Lock()
			ids = append(ids, id)
			mu.Unlock()
		}
	})
	return addr, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), ids...)
	}
}

// serveLoopback listens on a loopback port and runs handle on each
// accepted connection in its own goroutine. When the test ends it stops
// listening, closes every connection (ending a handler still blocked in a
// read) and waits for the handlers.
func serveLoopback(t testing.TB, what string, handle func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("kafkatest: %s: %v", what, err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				handle(c)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

// readClientID reads a request's size, api key, api version and
// correlation id, then the client id: a nullable string (int16 length,
// -1 for null) in every request header version.
func readClientID(r io.Reader) (string, error) {
	var head [4 + 2 + 2 + 4 + 2]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return "", err
	}
	n := int16(binary.BigEndian.Uint16(head[12:]))
	if n < 0 {
		return "", nil
	}
	id := make([]byte, n)
	if _, err := io.ReadFull(r, id); err != nil {
		return "", err
	}
	return string(id), nil
}

var topicSeq atomic.Int64

var notTopicChar = regexp.MustCompile(`[^a-zA-Z0-9._-]+`)

// TopicName returns a topic name unique to this test run, derived from the
// test's name, so that tests sharing an external cluster do not see each
// other's records.
func TopicName(t testing.TB) string {
	name := notTopicChar.ReplaceAllString(t.Name(), "_")
	if len(name) > 180 {
		name = name[:180]
	}
	return fmt.Sprintf("%s-%d-%d", name, time.Now().UnixNano(), topicSeq.Add(1))
}

// NewTopic creates a unique topic with the given number of partitions and
// returns its name.
func (c *Cluster) NewTopic(t testing.TB, partitions int) string {
	t.Helper()
	topic := TopicName(t)
	CreateTopic(t, c.Brokers, topic, partitions, c.ClientOpts...)
	return topic
}

// CreateTopic creates topic on the cluster at brokers.
func CreateTopic(t testing.TB, brokers []string, topic string, partitions int, opts ...kgo.Opt) {
	t.Helper()
	cl := newClient(t, brokers, opts)
	defer cl.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic = topic
	rt.NumPartitions = int32(partitions)
	rt.ReplicationFactor = -1
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 10000
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatalf("kafkatest: creating topic %s: %v", topic, err)
	}
	for _, rt := range resp.Topics {
		if err := kerr.ErrorForCode(rt.ErrorCode); err != nil && err != kerr.TopicAlreadyExists {
			t.Fatalf("kafkatest: creating topic %s: %v", topic, err)
		}
	}
}

func newClient(t testing.TB, brokers []string, opts []kgo.Opt, more ...kgo.Opt) *kgo.Client {
	t.Helper()
	all := append([]kgo.Opt{kgo.SeedBrokers(brokers...)}, opts...)
	cl, err := kgo.NewClient(append(all, more...)...)
	if err != nil {
		t.Fatalf("kafkatest: new client: %v", err)
	}
	return cl
}

// Records is what a topic held when it was read.
type Records struct {
	// Records in partition order, each partition's in offset order.
	Records []*kgo.Record
	// Codecs counts the record batches read by compression codec
	// (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd), to prove what the
	// producer put on the wire.
	Codecs map[uint8]int
}

// Values returns the record values as strings.
func (r Records) Values() []string {
	out := make([]string, len(r.Records))
	for i, rec := range r.Records {
		out[i] = string(rec.Value)
	}
	return out
}

// Header returns the value of the record header key, and whether it is
// there.
func Header(r *kgo.Record, key string) (string, bool) {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value), true
		}
	}
	return "", false
}

// Read reads every record of topic on the cluster up to the end offsets
// it has when Read starts.
func (c *Cluster) Read(t testing.TB, topic string) Records {
	t.Helper()
	return ReadTopic(t, c.Brokers, topic, c.ClientOpts...)
}

// ReadTopic reads every record of topic up to the partitions' end offsets
// at the time of the call, failing the test if that takes over 30s. The
// end offsets make the count exact without waiting for "no more records".
func ReadTopic(t testing.TB, brokers []string, topic string, opts ...kgo.Opt) Records {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	meta := newClient(t, brokers, opts)
	ends, err := endOffsets(ctx, meta, topic)
	meta.Close()
	if err != nil {
		t.Fatalf("kafkatest: end offsets of %s: %v", topic, err)
	}

	hook := &codecHook{codecs: map[uint8]int{}}
	parts := map[int32]kgo.Offset{}
	want := 0
	for p, end := range ends {
		if end > 0 {
			parts[p] = kgo.NewOffset().AtStart()
			want += int(end)
		}
	}
	out := Records{Codecs: hook.codecs}
	if len(parts) == 0 {
		return out
	}
	cl := newClient(t, brokers, opts,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}),
		kgo.FetchMaxWait(100*time.Millisecond),
		kgo.WithHooks(hook),
	)
	defer cl.Close()
	byPart := map[int32][]*kgo.Record{}
	remaining := len(parts)
	for remaining > 0 {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			n := 0
			for _, rs := range byPart {
				n += len(rs)
			}
			t.Fatalf("kafkatest: reading %s: got %d of %d records before timing out", topic, n, want)
		}
		fetches.EachError(func(_ string, p int32, err error) {
			t.Fatalf("kafkatest: reading %s partition %d: %v", topic, p, err)
		})
		fetches.EachRecord(func(r *kgo.Record) {
			if r.Offset >= ends[r.Partition] {
				return // produced after Read started
			}
			byPart[r.Partition] = append(byPart[r.Partition], r)
			if r.Offset == ends[r.Partition]-1 {
				remaining--
			}
		})
	}
	for p := int32(0); p < int32(len(ends)); p++ {
		out.Records = append(out.Records, byPart[p]...)
	}
	hook.mu.Lock()
	defer hook.mu.Unlock()
	out.Codecs = make(map[uint8]int, len(hook.codecs))
	for k, v := range hook.codecs {
		out.Codecs[k] = v
	}
	return out
}

// endOffsets returns each partition's next offset.
func endOffsets(ctx context.Context, cl *kgo.Client, topic string) (map[int32]int64, error) {
	mreq := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	mreq.Topics = append(mreq.Topics, mt)
	mresp, err := mreq.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	if len(mresp.Topics) != 1 {
		return nil, fmt.Errorf("metadata has %d topics", len(mresp.Topics))
	}
	if err := kerr.ErrorForCode(mresp.Topics[0].ErrorCode); err != nil {
		return nil, err
	}
	lreq := kmsg.NewPtrListOffsetsRequest()
	lt := kmsg.NewListOffsetsRequestTopic()
	lt.Topic = topic
	for _, p := range mresp.Topics[0].Partitions {
		lp := kmsg.NewListOffsetsRequestTopicPartition()
		lp.Partition = p.Partition
		lp.Timestamp = -1 // latest
		lt.Partitions = append(lt.Partitions, lp)
	}
	lreq.Topics = append(lreq.Topics, lt)
	// kgo splits ListOffsets by partition leader and merges the answers.
	lresp, err := lreq.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	ends := map[int32]int64{}
	for _, rt := range lresp.Topics {
		for _, rp := range rt.Partitions {
			if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
				return nil, fmt.Errorf("partition %d: %w", rp.Partition, err)
			}
			ends[rp.Partition] = rp.Offset
		}
	}
	if len(ends) != len(mresp.Topics[0].Partitions) {
		return nil, fmt.Errorf("offsets for %d of %d partitions", len(ends), len(mresp.Topics[0].Partitions))
	}
	return ends, nil
}

type codecHook struct {
	mu     sync.Mutex
	codecs map[uint8]int
}

func (h *codecHook) OnFetchBatchRead(_ kgo.BrokerMetadata, _ string, _ int32, m kgo.FetchBatchMetrics) {
	h.mu.Lock()
	h.codecs[m.CompressionType]++
	h.mu.Unlock()
}

// PartitionOf returns the partitions records were read from, by key.
func PartitionOf(rs []*kgo.Record) map[string]map[int32]int {
	out := map[string]map[int32]int{}
	for _, r := range rs {
		k := string(r.Key)
		if out[k] == nil {
			out[k] = map[int32]int{}
		}
		out[k][r.Partition]++
	}
	return out
}
