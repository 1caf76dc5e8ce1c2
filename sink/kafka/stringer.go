package kafka

import (
	"go.yaml.in/yaml/v2"

	"github.com/eventrecorder/eventrecorder/sink"
)

// String renders the configuration as YAML, with every secret (passwords,
// tokens, the URL) shown as "<secret>": prometheus/common's Secret type
// has no String method, so without this a config printed with %v or
// logged as a value would show them. Brokers are masked too: Validate
// rejects one written as user:password@host:port, but a configuration
// built in Go may be printed before it is validated.
func (c Config) String() string {
	if len(c.Brokers) > 0 {
		brokers := make([]string, len(c.Brokers))
		for i, b := range c.Brokers {
			brokers[i] = sink.MaskAddress(b)
		}
		c.Brokers = brokers
	}
	b, err := yaml.Marshal(c)
	if err != nil {
		return "<unprintable configuration>"
	}
	return string(b)
}
