package kafka

import (
	"strings"

	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/buffer"
)

// newBuffered builds the output behind the buffer its configuration
// sets (none by default).
func newBuffered[T any](cfg Config, env sink.Env[T]) (sink.Sink[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// In flight at most buffer_size: the output's own buffer then never
	// drops what the disk buffer hands it.
	opts := buffer.Options{InFlight: cfg.BufferSize, Permanent: permanentFailure}
	return buffer.Wrap(cfg.Buffer, env, opts, func(env sink.Env[T]) (sink.Sink[T], error) {
		return New(cfg, env)
	})
}

// permanentFailure is a record the topic will never take: larger than it
// accepts. Everything else (brokers down, leaders moving, timeouts,
// giving up at close) is retried by a buffered output until the brokers
// take it.
func permanentFailure(err error) bool {
	return err != nil && (classify(err) == ErrorMessageTooLarge || strings.Contains(err.Error(), "("+ErrorMessageTooLarge+" error)"))
}

// BufferConfig implements buffer.Configured.
func (c Config) BufferConfig() buffer.Config { return c.Buffer }
