package kafka

import "go.yaml.in/yaml/v2"

// String renders the configuration as YAML, with every secret (passwords,
// tokens, the URL) shown as "<secret>": prometheus/common's Secret type
// has no String method, so without this a config printed with %v or
// logged as a value would show them.
func (c Config) String() string {
	b, err := yaml.Marshal(c)
	if err != nil {
		return "<unprintable configuration>"
	}
	return string(b)
}
