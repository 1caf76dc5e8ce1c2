package webhook

import (
	"errors"
	"net/http"

	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/buffer"
)

// newBuffered builds the output behind the buffer its configuration
// sets (none by default).
func newBuffered[T any](cfg Config, env sink.Env[T]) (sink.Sink[T], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// In flight at most the queue: the buffer then never overfills the
	// output's own queue, whose drops it would have to retry.
	opts := buffer.Options{InFlight: cfg.QueueSize, Permanent: permanentFailure}
	return buffer.Wrap(cfg.Buffer, env, opts, func(env sink.Env[T]) (sink.Sink[T], error) {
		s, err := New(cfg, env)
		if err != nil {
			return nil, err
		}
		return s, nil
	})
}

// permanentFailure is a receiver's refusal: a status it will answer the
// same way again (4xx but 408 Request Timeout and 429 Too Many
// Requests). Transport errors, 5xx and giving up at close are not: a
// buffered output retries them until the receiver is back.
func permanentFailure(err error) bool {
	var de *DeliveryError
	if !errors.As(err, &de) || de.StatusCode == 0 {
		return false
	}
	c := de.StatusCode
	return c >= 300 && c < 500 && c != http.StatusRequestTimeout && c != http.StatusTooManyRequests
}

// BufferConfig implements buffer.Configured.
func (c Config) BufferConfig() buffer.Config { return c.Buffer }
