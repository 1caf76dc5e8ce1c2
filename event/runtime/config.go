package runtime

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v2"

	"github.com/eventrecorder/eventrecorder/internal/readlimit"
	"github.com/eventrecorder/eventrecorder/internal/yamltree"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/buffer"
	"github.com/eventrecorder/eventrecorder/sink/file"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/stdout"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// The configuration types of the built-in output kinds. They live with
// their sinks; these names are the ones facades re-export.
type (
	FileOutputConfig    = file.Config
	WebhookOutputConfig = webhook.Config
	KafkaOutputConfig   = kafka.Config
	StdoutOutputConfig  = stdout.Config
)

// Names of the built-in kinds, as in "<kind>_outputs".
const (
	KindFile    = "file"
	KindWebhook = "webhook"
	KindKafka   = "kafka"
	KindStdout  = "stdout"
)

// Config configures a recorder's outputs. Outputs are grouped by kind,
// one list per kind, the way Alertmanager groups a receiver's
// integrations; every recorded event goes to every output whose
// event_types filter accepts it.
//
// A Config means something only with a schema's kind table and event
// types, so its checks and its YAML decoding are methods of Runtime
// (Validate, DecodeConfig, ...). A facade declares its own configuration
// type on this one (type Config runtime.Config) and gives it
// UnmarshalYAML and the other methods by forwarding to its Runtime.
type Config struct {
	FileOutputs    []FileOutputConfig    `yaml:"file_outputs,omitempty" json:"file_outputs,omitempty"`
	WebhookOutputs []WebhookOutputConfig `yaml:"webhook_outputs,omitempty" json:"webhook_outputs,omitempty"`
	KafkaOutputs   []KafkaOutputConfig   `yaml:"kafka_outputs,omitempty" json:"kafka_outputs,omitempty"`
	StdoutOutputs  []StdoutOutputConfig  `yaml:"stdout_outputs,omitempty" json:"stdout_outputs,omitempty"`

	// Outputs of kinds registered with RegisterKind, keyed by kind name.
	// Each value is that kind's configuration type. In YAML they sit
	// beside the built-in lists under "<kind>_outputs".
	Outputs map[string][]any `yaml:"-" json:"-"`
}

// builtinKinds are the built-in output kinds of schema E, in the order
// their lists appear in Config.
func builtinKinds[E any]() []sink.Kind[E] {
	return []sink.Kind[E]{file.Kind[E](), webhook.Kind[E](), kafka.Kind[E](), stdout.Kind[E]()}
}

// outputSpec is one configured output, whatever its kind.
type outputSpec[E any] struct {
	kind   sink.Kind[E]
	index  int
	config any
}

func (s outputSpec[E]) path() string { return fmt.Sprintf("%s[%d]", s.kind.Key(), s.index) }

func builtinList(c *Config, kind string) []any {
	switch kind {
	case KindFile:
		return anySlice(c.FileOutputs)
	case KindWebhook:
		return anySlice(c.WebhookOutputs)
	case KindKafka:
		return anySlice(c.KafkaOutputs)
	case KindStdout:
		return anySlice(c.StdoutOutputs)
	}
	return nil
}

func isBuiltin(kind string) bool {
	return kind == KindFile || kind == KindWebhook || kind == KindKafka || kind == KindStdout
}

func anySlice[C any](in []C) []any {
	out := make([]any, len(in))
	for i := range in {
		out[i] = in[i]
	}
	return out
}

// appendOutput adds a decoded output to the list of its kind.
func (c *Config) appendOutput(kind string, cfg any) {
	switch v := cfg.(type) {
	case FileOutputConfig:
		c.FileOutputs = append(c.FileOutputs, v)
	case WebhookOutputConfig:
		c.WebhookOutputs = append(c.WebhookOutputs, v)
	case KafkaOutputConfig:
		c.KafkaOutputs = append(c.KafkaOutputs, v)
	case StdoutOutputConfig:
		c.StdoutOutputs = append(c.StdoutOutputs, v)
	default:
		if c.Outputs == nil {
			c.Outputs = map[string][]any{}
		}
		c.Outputs[kind] = append(c.Outputs[kind], cfg)
	}
}

// specs validates the configuration and lists its outputs in table order.
// It is the one check of a configuration: Validate, Describe, New and
// ApplyConfig all go through it, so whatever one accepts the others do.
// Across outputs it checks that names and disk buffer directories are
// distinct (decode checks the same, so that a shared directory fails at
// load, not first at New).
// All problems are reported (up to sink.MaxProblems), each prefixed with
// its path.
func (rt *Runtime[E, D]) specs(c Config) ([]outputSpec[E], error) {
	var (
		out  []outputSpec[E]
		errs []error
	)
	for _, k := range rt.kinds.Kinds() {
		list := c.Outputs[k.Name()]
		if isBuiltin(k.Name()) {
			list = builtinList(&c, k.Name())
		}
		for i, raw := range list {
			sp := outputSpec[E]{kind: k, index: i}
			cfg, err := k.Check(raw)
			if err == nil {
				err = rt.checkCommon(k, cfg)
			}
			if err != nil {
				errs = append(errs, sink.AtPath(sp.path(), err))
				continue
			}
			sp.config = cfg
			out = append(out, sp)
		}
	}
	for name := range c.Outputs {
		if _, ok := rt.kinds.Lookup(name); !ok || isBuiltin(name) {
			errs = append(errs, fmt.Errorf("%s_outputs: unknown output kind %q (registered: %s)", name, name, strings.Join(rt.kindNames(), ", ")))
		}
	}
	var (
		names   []namedOutput
		buffers []buffer.Output
	)
	for _, sp := range out {
		if name, ok := rt.outputName(sp.kind, sp.config); ok {
			names = append(names, namedOutput{path: sp.path(), name: name})
		}
		buffers = append(buffers, buffer.Output{Path: sp.path(), Config: sp.config})
	}
	errs = append(errs, distinctNames(names)...)
	errs = append(errs, buffer.CheckDistinct(buffers)...)
	return out, sink.JoinProblems(errs...)
}

// namedOutput is an output's path in the configuration and its name.
type namedOutput struct{ path, name string }

// distinctNames reports each output whose name an earlier one has: the
// name is the outputs' metric label and what logs call them, so two
// outputs with one name would count into the same series. specs checks
// the names the kinds predict; apply checks the names the outputs it
// started have, which differ only if a url_file changed in between.
func distinctNames(outputs []namedOutput) []error {
	var errs []error
	seen := make(map[string]string, len(outputs))
	for _, o := range outputs {
		if prev, dup := seen[o.name]; dup {
			errs = append(errs, fmt.Errorf("%s: output %q is already configured by %s; outputs need distinct names (set name: on one of them)", o.path, o.name, prev))
			continue
		}
		seen[o.name] = o.path
	}
	return errs
}

// Validate reports every problem in the configuration that would make
// New or ApplyConfig refuse it (short of files that cannot be opened or
// brokers that cannot be reached), each naming the output's kind, index
// and field, such as
// `webhook_outputs[1].url: scheme "ftp" is not http or https`.
func (rt *Runtime[E, D]) Validate(c Config) error {
	_, err := rt.specs(c)
	return err
}

// checkCommon checks the settings the recorder applies to outputs of
// every kind: the event-type filter, the name and include_id.
func (rt *Runtime[E, D]) checkCommon(k sink.Kind[E], cfg any) error {
	var idErr error
	if sink.IncludesID(cfg) && rt.schema.SetID == nil {
		idErr = sink.Errorf("include_id", "true: the envelope of schema %q has no id field", rt.schema.Name)
	}
	return errors.Join(rt.checkFilter(cfg), sink.CheckName(cfg), rt.checkNaming(k, cfg), idErr)
}

func (rt *Runtime[E, D]) checkFilter(cfg any) error {
	f, ok := cfg.(sink.Filtered)
	if !ok {
		return nil
	}
	var errs []error
	for i, name := range f.EventTypeFilter() {
		if !slices.Contains(rt.schema.EventTypes, name) {
			errs = append(errs, sink.Errorf("event_types["+strconv.Itoa(i)+"]", "unknown event type %q (known: %s)", name, rt.known))
		}
	}
	return errors.Join(errs...)
}

func (rt *Runtime[E, D]) kindNames() []string {
	var names []string
	for _, k := range rt.kinds.Kinds() {
		names = append(names, k.Name())
	}
	return names
}

// EqualConfig reports whether two configurations describe the same
// outputs, as each kind judges sameness (so the order of Kafka brokers
// does not matter). Order within a list does not matter either.
func (rt *Runtime[E, D]) EqualConfig(c, o Config) bool {
	a, errA := rt.specs(c)
	b, errB := rt.specs(o)
	if errA != nil || errB != nil || len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
	for _, sa := range a {
		found := false
		for j, sb := range b {
			if !used[j] && sa.kind.Name() == sb.kind.Name() && sa.kind.Equal(sa.config, sb.config) {
				used[j], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// DecodeConfig is a configuration's UnmarshalYAML: it decodes the output
// lists of every registered kind into c, rejecting unknown keys and
// fields, and validates each output. The error lists every problem with
// its path. It works the same under gopkg.in/yaml.v2 (Alertmanager's
// driver up to v0.34) and go.yaml.in/yaml/v2, strict or not: the document
// is captured as a driver-neutral yamltree.Node and decoded from there.
func (rt *Runtime[E, D]) DecodeConfig(c *Config, unmarshal func(any) error) error {
	var top yamltree.Node
	if err := unmarshal(&top); err != nil {
		return err
	}
	return rt.decode(c, top)
}

// decode fills c from a captured document; every way of loading a
// configuration ends here.
func (rt *Runtime[E, D]) decode(c *Config, top yamltree.Node) error {
	*c = Config{}
	if top.Kind() == yamltree.Null {
		return nil
	}
	if top.Kind() != yamltree.Mapping {
		return fmt.Errorf("the configuration must be a mapping of output lists (file_outputs: [...]), got %s", top.Describe())
	}
	var (
		errs    []error
		names   []namedOutput
		buffers []buffer.Output
	)
	seen := map[string]bool{}
	for _, item := range top.Pairs() {
		key, _ := item.Key.Scalar().(string)
		if seen[key] && key != "" {
			// yaml.v2 accepts a repeated key; merging the lists would
			// renumber the second one's outputs behind the user's back.
			errs = append(errs, fmt.Errorf("%q: key appears more than once", key))
			continue
		}
		seen[key] = true
		name, ok := strings.CutSuffix(key, "_outputs")
		k, found := rt.kinds.Lookup(name)
		if !ok || !found {
			errs = append(errs, fmt.Errorf("%q: unknown key (want one of %s)", fmt.Sprint(item.Key.Value()), strings.Join(rt.outputKeys(), ", ")))
			continue
		}
		switch item.Value.Kind() {
		case yamltree.Null:
			continue
		case yamltree.Sequence:
		default:
			errs = append(errs, fmt.Errorf("%s: must be a list of outputs, got %s", key, item.Value.Describe()))
			continue
		}
		for i, raw := range item.Value.Items() {
			path := fmt.Sprintf("%s[%d]", key, i)
			cfg, err := decodeOutput(k, raw)
			if cfg != nil {
				err = sink.JoinUnreported(err, rt.checkCommon(k, cfg))
			}
			if err != nil {
				errs = append(errs, sink.AtPath(path, err))
				continue
			}
			c.appendOutput(name, cfg)
			if name, ok := rt.outputName(k, cfg); ok {
				names = append(names, namedOutput{path: path, name: name})
			}
			buffers = append(buffers, buffer.Output{Path: path, Config: cfg})
		}
	}
	// What specs checks across outputs, so that a configuration that
	// loads is one New accepts.
	errs = append(errs, distinctNames(names)...)
	errs = append(errs, buffer.CheckDistinct(buffers)...)
	return sink.JoinProblems(errs...)
}

func (rt *Runtime[E, D]) outputKeys() []string {
	var keys []string
	for _, k := range rt.kinds.Kinds() {
		keys = append(keys, k.Key())
	}
	return keys
}

// decodeOutput decodes one list item strictly into the kind's
// configuration type, through the kind's own UnmarshalYAML if it has one
// and its Validate, exactly as for a standalone document. Every error has
// a field path where one can be found, and URL credentials that a
// message echoes are masked, whatever the kind.
func decodeOutput[E any](k sink.Kind[E], item yamltree.Node) (any, error) {
	switch item.Kind() {
	case yamltree.Null:
		item = yamltree.EmptyMapping()
	case yamltree.Mapping:
	default:
		return nil, fmt.Errorf("must be a mapping, got %s", item.Describe())
	}
	cfg, err := k.Decode(func(v any) error { return item.Decode(v, yamltree.DeepestKey) })
	if err != nil {
		return cfg, yamltree.MaskCredentials(err)
	}
	return cfg, nil
}

// MarshalConfig is a configuration's MarshalYAML: it writes the built-in
// lists in table order, then every registered kind's list. It returns
// only types both yaml.v2 drivers know (a struct and a map), so that
// Alertmanager's gopkg.in/yaml.v2 renders the section as the mapping it
// reads.
func (rt *Runtime[E, D]) MarshalConfig(c Config) (any, error) {
	type lists struct {
		FileOutputs    []FileOutputConfig    `yaml:"file_outputs,omitempty"`
		WebhookOutputs []WebhookOutputConfig `yaml:"webhook_outputs,omitempty"`
		KafkaOutputs   []KafkaOutputConfig   `yaml:"kafka_outputs,omitempty"`
		StdoutOutputs  []StdoutOutputConfig  `yaml:"stdout_outputs,omitempty"`
		Registered     map[string][]any      `yaml:",inline"`
	}
	out := lists{
		FileOutputs:    c.FileOutputs,
		WebhookOutputs: c.WebhookOutputs,
		KafkaOutputs:   c.KafkaOutputs,
		StdoutOutputs:  c.StdoutOutputs,
	}
	for _, k := range rt.kinds.Kinds() {
		if list := c.Outputs[k.Name()]; !isBuiltin(k.Name()) && len(list) > 0 {
			if out.Registered == nil {
				out.Registered = map[string][]any{}
			}
			out.Registered[k.Key()] = list
		}
	}
	return out, nil
}

// LoadConfig parses a YAML configuration strictly into a facade's
// configuration type C, whose UnmarshalYAML (forwarding to DecodeConfig)
// does the work.
func LoadConfig[C any](b []byte) (C, error) {
	var c C
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		var zero C
		return zero, err
	}
	return c, nil
}

// MaxConfigBytes bounds a configuration that LoadConfigFile and
// ReadConfig read: a configuration is a few kilobytes, and one that is
// not (/dev/zero, a log file named by mistake) fails with an error
// naming the limit rather than filling memory.
const MaxConfigBytes = 4 << 20

// ReadConfig reads a configuration from r, at most MaxConfigBytes, for
// LoadConfig; beyond the limit it fails, having read no more than it.
func ReadConfig(r io.Reader) ([]byte, error) {
	return readlimit.ReadAll(r, MaxConfigBytes, "a configuration")
}

// LoadConfigFile reads (see ReadConfig) and parses (see LoadConfig) a
// YAML configuration file.
func LoadConfigFile[C any](path string) (C, error) {
	var zero C
	f, err := os.Open(path)
	if err != nil {
		return zero, err
	}
	defer func() { _ = f.Close() }()
	b, err := ReadConfig(f)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	c, err := LoadConfig[C](b)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// OutputInfo describes one configured output without starting it.
type OutputInfo struct {
	// Path locates the output in the configuration, e.g. "kafka_outputs[0]".
	Path string
	// Kind is the output kind, e.g. "kafka".
	Kind string
	// Name is the output's metric label, credentials masked.
	Name string
	// Format is the wire format it receives.
	Format string
	// EventTypes is its filter; empty means every type.
	EventTypes []string
}

// Describe validates c and lists its outputs in table order, without
// creating files or connecting anywhere.
func (rt *Runtime[E, D]) Describe(c Config) ([]OutputInfo, error) {
	specs, err := rt.specs(c)
	if err != nil {
		return nil, err
	}
	out := make([]OutputInfo, 0, len(specs))
	for _, sp := range specs {
		name, _ := rt.outputName(sp.kind, sp.config)
		info := OutputInfo{
			Path:   sp.path(),
			Kind:   sp.kind.Name(),
			Name:   name,
			Format: sp.kind.Format(sp.config).String(),
		}
		if f, ok := sp.config.(sink.Filtered); ok {
			info.EventTypes = append([]string(nil), f.EventTypeFilter()...)
		}
		out = append(out, info)
	}
	return out, nil
}
