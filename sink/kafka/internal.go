package kafka

import (
	"context"
	"errors"
	"net"
	"reflect"
	"sync"
	"syscall"

	"github.com/IBM/sarama"
	"github.com/rcrowley/go-metrics"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// nilRegistry is a go-metrics registry that keeps nothing and hands out
// no-op metrics without constructing real ones: a real Meter starts a
// process-wide ticker goroutine that never stops, and nothing here reads
// sarama's go-metrics (our metrics are Prometheus counters). Setting
// metrics.UseNilMetrics instead would change a global other code may use.
type nilRegistry struct{}

var _ metrics.Registry = nilRegistry{}

func (nilRegistry) Each(func(string, any))            {}
func (nilRegistry) Get(string) any                    { return nil }
func (nilRegistry) GetAll() map[string]map[string]any { return nil }
func (nilRegistry) Register(string, any) error        { return nil }
func (nilRegistry) RunHealthchecks()                  {}
func (nilRegistry) Unregister(string)                 {}
func (nilRegistry) UnregisterAll()                    {}
func (nilRegistry) GetOrRegister(_ string, m any) any {
	switch m.(type) {
	case func() metrics.Meter:
		return metrics.NilMeter{}
	case func() metrics.Histogram:
		return metrics.NilHistogram{}
	case func() metrics.Counter:
		return metrics.NilCounter{}
	case func() metrics.Timer:
		return metrics.NilTimer{}
	case func() metrics.Gauge:
		return metrics.NilGauge{}
	case func() metrics.GaugeFloat64:
		return metrics.NilGaugeFloat64{}
	case func() metrics.Healthcheck:
		return metrics.NilHealthcheck{}
	}
	// A metric passed as a value (not a constructor) has already been
	// built; a constructor of another type is called as GetOrRegister
	// would.
	if v := reflect.ValueOf(m); v.Kind() == reflect.Func && v.Type().NumIn() == 0 && v.Type().NumOut() == 1 {
		return v.Call(nil)[0].Interface()
	}
	return m
}

// scramClient adapts franz-go's SCRAM implementation (already a module
// dependency for tests) to sarama's SCRAMClient interface, which sarama
// leaves to the user.
type scramClient struct {
	sha512 bool
	sess   sasl.Session
	first  []byte
	done   bool
}

func newSCRAMClient(sha512 bool) *scramClient { return &scramClient{sha512: sha512} }

func (c *scramClient) Begin(user, password, authzID string) error {
	auth := scram.Auth{User: user, Pass: password, Zid: authzID}
	mech := auth.AsSha256Mechanism()
	if c.sha512 {
		mech = auth.AsSha512Mechanism()
	}
	sess, first, err := mech.Authenticate(context.Background(), "")
	if err != nil {
		return err
	}
	c.sess, c.first, c.done = sess, first, false
	return nil
}

// Step returns the client-first message when called with the empty
// challenge sarama starts with, then answers each server message.
func (c *scramClient) Step(challenge string) (string, error) {
	if c.sess == nil {
		return "", errors.New("kafka: SCRAM exchange not begun")
	}
	if c.first != nil {
		first := c.first
		c.first = nil
		return string(first), nil
	}
	done, resp, err := c.sess.Challenge([]byte(challenge))
	if err != nil {
		return "", err
	}
	c.done = done
	return string(resp), nil
}

func (c *scramClient) Done() bool { return c.done }

var _ sarama.SCRAMClient = (*scramClient)(nil)

// connSet dials for one sarama client and keeps the connections it made,
// so that they can be closed from outside. That is the only way to stop a
// broker that accepts a connection and never answers: sarama holds the
// broker's lock through the whole handshake, so closing the client waits
// for the read timeout. Connections are kept unwrapped (sarama checks the
// health of *net.TCPConn sockets), and closed ones are pruned as new ones
// are made.
type connSet struct {
	dialer net.Dialer
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

// Dial implements sarama's proxy.Dialer.
func (d *connSet) Dial(network, addr string) (net.Conn, error) {
	c, err := d.dialer.Dial(network, addr)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	live := d.conns[:0]
	for _, old := range d.conns {
		if isOpen(old) {
			live = append(live, old)
		}
	}
	d.conns = append(live, c)
	return c, nil
}

// closeAll closes every connection and makes later dials fail.
func (d *connSet) closeAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	for _, c := range d.conns {
		c.Close()
	}
	d.conns = nil
}

// isOpen reports whether c has not been closed, without touching its
// deadlines or data.
func isOpen(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	return rc.Control(func(uintptr) {}) == nil
}
