package kafka

import (
	"errors"
	"net"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	commoncfg "github.com/prometheus/common/config"

	"github.com/eventrecorder/eventrecorder/internal/yamltree"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/buffer"
	"github.com/eventrecorder/eventrecorder/sink/internal/credfiles"
)

// Format is the wire format of record values.
type Format string

// Formats.
const (
	FormatJSON     Format = "json"
	FormatProtobuf Format = "protobuf"
)

// Acks is how many replicas must acknowledge a record before it counts as
// delivered.
type Acks string

// Acknowledgement levels.
const (
	// AcksNone does not wait for the broker: a record is reported
	// sink.Unacknowledged once written to the connection, never
	// Delivered, since the broker may drop it (a leader that fails, a
	// rejected record) and says nothing either way.
	AcksNone Acks = "none"
	// AcksLeader waits for the partition leader to write the record: it
	// is lost if the leader fails before a replica has copied it.
	AcksLeader Acks = "leader"
	// AcksAll waits for every in-sync replica and turns on the idempotent
	// producer, so retries cannot duplicate or reorder records.
	AcksAll Acks = "all"
)

// Compression is the codec record batches are compressed with.
type Compression string

// Compression codecs. The empty value means CompressionNone.
const (
	CompressionNone   Compression = "none"
	CompressionGzip   Compression = "gzip"
	CompressionSnappy Compression = "snappy"
	CompressionLZ4    Compression = "lz4"
	CompressionZstd   Compression = "zstd"
)

// Record keys: what each record's key is set to. The key picks the
// partition, and Kafka orders records only within a partition.
const (
	// KeyInstance keys records by the recorder instance (Env.Instance), so
	// each instance's events stay in order.
	KeyInstance = "instance"
	// KeyEventType keys records by event type, so each type stays in order.
	KeyEventType = "event_type"
	// KeyNone sends records without a key, spreading them over partitions.
	KeyNone = "none"
)

// SASL mechanisms.
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// Defaults applied to unset fields.
const (
	// DefaultClientID is the reference's default: brokers key ACLs and
	// quotas by client id, so switching recorders must not change it.
	DefaultClientID   = "alertmanager"
	DefaultBufferSize = 1024
	// BufferSizeLimit is the largest buffer_size. The buffer is allocated
	// in full when the output starts, about 100 bytes a slot, so 1Mi
	// slots is about 100 MiB: many minutes of events at any rate
	// Alertmanager records them, more than a broker outage should be
	// bridged in memory.
	BufferSizeLimit = 1 << 20
)

// Config configures one Kafka output (an item of kafka_outputs).
type Config struct {
	// Brokers are the bootstrap brokers, host:port.
	Brokers []string `yaml:"brokers" json:"brokers"`
	// Topic receives every record.
	Topic string `yaml:"topic" json:"topic"`
	// ClientID identifies the producer to the brokers (quotas, logs).
	ClientID string `yaml:"client_id,omitempty" json:"client_id,omitempty"`
	// Format of record values: json (default) or protobuf.
	Format Format `yaml:"format,omitempty" json:"format,omitempty"`
	// Acks: none, leader (default) or all.
	Acks Acks `yaml:"acks,omitempty" json:"acks,omitempty"`
	// Compression: none (default), gzip, snappy, lz4 or zstd.
	Compression Compression `yaml:"compression,omitempty" json:"compression,omitempty"`
	// BufferSize bounds the messages held locally while the brokers are
	// slow or unreachable; beyond it messages are dropped.
	BufferSize int `yaml:"buffer_size,omitempty" json:"buffer_size,omitempty"`
	// TLSConfig turns on TLS. Server certificates are verified unless
	// insecure_skip_verify is set.
	TLSConfig *commoncfg.TLSConfig `yaml:"tls_config,omitempty" json:"tls_config,omitempty"`
	// SASL turns on SASL authentication.
	SASL *SASLConfig `yaml:"sasl,omitempty" json:"sasl,omitempty"`
	// Key picks the record key: instance (default), event_type or none.
	Key string `yaml:"key,omitempty" json:"key,omitempty"`
	// Buffer puts a memory or disk buffer in front of the output (see
	// package sink/buffer); unset, messages wait only in buffer_size.
	Buffer buffer.Config `yaml:"buffer,omitempty" json:"buffer,omitempty"`

	sink.Filter `yaml:",inline"`
	// Name identifies the output in metric labels and logs (see
	// sink.Naming); a facade may require it (event/v2 does, as
	// Alertmanager v0.35 does).
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// IncludeID puts each event's id in the envelope the output gets
	// (include_id; see sink.Identity).
	IncludeID bool `yaml:"include_id,omitempty" json:"include_id,omitempty"`
}

// ConfiguredName implements sink.Named.
func (c Config) ConfiguredName() string { return c.Name }

// IncludesID implements sink.IDIncluder.
func (c Config) IncludesID() bool { return c.IncludeID }

// SASLConfig authenticates the producer with a user name and password.
type SASLConfig struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	Mechanism string `yaml:"mechanism" json:"mechanism"`
	Username  string `yaml:"username" json:"username"`
	// Password is the password itself; Secret marshals as "<secret>" so
	// that printing a configuration does not leak it.
	Password commoncfg.Secret `yaml:"password,omitempty" json:"password,omitempty"`
	// PasswordFile is read when the output is built, so that the password
	// can stay out of the configuration file.
	PasswordFile string `yaml:"password_file,omitempty" json:"password_file,omitempty"`
}

type rawTLS commoncfg.TLSConfig

// config names Config where a local type shadows it.
type config = Config

// UnmarshalYAML decodes strictly (whether or not the caller's decoder is
// strict, and under either yaml.v2 driver: see internal/yamltree), applies
// defaults and validates.
func (c *Config) UnmarshalYAML(unmarshal func(any) error) error {
	// Config again, field for field (a test keeps them in step), except
	// that tls_config decodes without TLSConfig's UnmarshalYAML, whose
	// errors carry no field path: Validate runs the same checks and adds
	// it.
	type Config struct {
		Brokers     []string      `yaml:"brokers"`
		Topic       string        `yaml:"topic"`
		ClientID    string        `yaml:"client_id,omitempty"`
		Format      Format        `yaml:"format,omitempty"`
		Acks        Acks          `yaml:"acks,omitempty"`
		Compression Compression   `yaml:"compression,omitempty"`
		BufferSize  int           `yaml:"buffer_size,omitempty"`
		TLSConfig   *rawTLS       `yaml:"tls_config,omitempty"`
		SASL        *SASLConfig   `yaml:"sasl,omitempty"`
		Key         string        `yaml:"key,omitempty"`
		Buffer      buffer.Config `yaml:"buffer,omitempty"`

		sink.Filter `yaml:",inline"`
		Name        string `yaml:"name,omitempty"`
		IncludeID   bool   `yaml:"include_id,omitempty"`
	}
	var raw Config
	return yamltree.UnmarshalAndCheck(unmarshal, &raw, yamltree.DeepestKey, func() error {
		*c = config{
			Brokers:     raw.Brokers,
			Topic:       raw.Topic,
			ClientID:    raw.ClientID,
			Format:      raw.Format,
			Acks:        raw.Acks,
			Compression: raw.Compression,
			BufferSize:  raw.BufferSize,
			TLSConfig:   (*commoncfg.TLSConfig)(raw.TLSConfig),
			SASL:        raw.SASL,
			Key:         raw.Key,
			Buffer:      raw.Buffer,
			Filter:      raw.Filter,
			Name:        raw.Name,
			IncludeID:   raw.IncludeID,
		}
		return c.Validate()
	})
}

// Validate applies defaults to unset fields and checks every field,
// returning a *sink.FieldError for each problem that names the field and
// the bad value.
func (c *Config) Validate() error {
	c.setDefaults()
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, sink.Errorf(field, format, args...))
	}
	if len(c.Brokers) == 0 {
		add("brokers", "at least one broker is required")
	}
	seen := make(map[string]bool, len(c.Brokers))
	for i, b := range c.Brokers {
		field := "brokers[" + strconv.Itoa(i) + "]"
		// A broker is quoted masked: one written as user:password@host
		// carries a password, wherever the configuration came from.
		if err := checkHostPort(b); err != "" {
			add(field, "%q is not host:port: %s", sink.MaskAddress(b), err)
		} else if seen[b] {
			add(field, "duplicate broker %q", sink.MaskAddress(b))
		}
		seen[b] = true
	}
	if c.Topic == "" {
		add("topic", "a topic is required")
	} else if len(c.Topic) > 249 || c.Topic == "." || c.Topic == ".." || !topicName.MatchString(c.Topic) {
		add("topic", "invalid topic name %q; want 1 to 249 letters, digits, '.', '_' or '-', and not \".\" or \"..\"", c.Topic)
	}
	switch c.Format {
	case FormatJSON, FormatProtobuf:
	default:
		add("format", "unknown value %q; want json or protobuf", c.Format)
	}
	switch c.Acks {
	case AcksNone, AcksLeader, AcksAll:
	default:
		add("acks", "unknown value %q; want none, leader or all", c.Acks)
	}
	switch c.Compression {
	case CompressionNone, CompressionGzip, CompressionSnappy, CompressionLZ4, CompressionZstd:
	default:
		add("compression", "unknown value %q; want none, gzip, snappy, lz4 or zstd", c.Compression)
	}
	if c.BufferSize < 1 {
		add("buffer_size", "must be at least 1, got %d", c.BufferSize)
	}
	if err := sink.AtMost("buffer_size", c.BufferSize, BufferSizeLimit); err != nil {
		return err
	}
	switch c.Key {
	case KeyInstance, KeyEventType, KeyNone:
	default:
		add("key", "unknown value %q; want instance, event_type or none", c.Key)
	}
	if err := c.validateTLS(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Buffer.Validate(); err != nil {
		errs = append(errs, sink.AtPath("buffer", err))
	}
	if s := c.SASL; s != nil {
		switch s.Mechanism {
		case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		default:
			add("sasl.mechanism", "unknown value %q; want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)
		}
		if s.Username == "" {
			add("sasl.username", "a user name is required")
		}
		if (s.Password == "") == (s.PasswordFile == "") {
			add("sasl", "exactly one of password and password_file is required")
		}
	}
	return errors.Join(errs...)
}

func (c *Config) validateTLS() error {
	t := c.TLSConfig
	if t == nil {
		return nil
	}
	// The *_ref fields need a secret manager, which outputs do not have.
	var errs []error
	for _, ref := range []struct{ field, value string }{{"ca_ref", t.CARef}, {"cert_ref", t.CertRef}, {"key_ref", t.KeyRef}} {
		if ref.value != "" {
			errs = append(errs, sink.Errorf("tls_config."+ref.field, "secret references are not supported (got %q); use the file or inline field", ref.value))
		}
	}
	if err := t.Validate(); err != nil {
		errs = append(errs, sink.AtPath("tls_config", err))
	} else if err := credfiles.TLS("tls_config", t); err != nil {
		errs = append(errs, err)
	}
	if t.MinVersion != 0 && t.MaxVersion != 0 && t.MaxVersion < t.MinVersion {
		errs = append(errs, sink.Errorf("tls_config.max_version", "%q is lower than min_version %q", tlsVersionName(t.MaxVersion), tlsVersionName(t.MinVersion)))
	}
	return errors.Join(errs...)
}

func tlsVersionName(v commoncfg.TLSVersion) string {
	s, err := v.MarshalYAML()
	if name, ok := s.(string); ok && err == nil {
		return name
	}
	return strconv.Itoa(int(v))
}

var topicName = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// checkHostPort returns why b is not a usable host:port, or "".
func checkHostPort(b string) string {
	// "user@host:9092" splits into a valid-looking host, and would put
	// the user (or a password) in the output's name.
	if strings.Contains(b, "@") {
		return "holds credentials (user:password@); configure them under sasl"
	}
	if strings.ContainsAny(b, "/?#") {
		return "holds a scheme, path or query"
	}
	host, port, err := net.SplitHostPort(b)
	if err != nil {
		return "missing port or malformed address"
	}
	if host == "" {
		return "empty host"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "port must be a number from 1 to 65535"
	}
	return ""
}

func (c *Config) setDefaults() {
	if c.ClientID == "" {
		c.ClientID = DefaultClientID
	}
	if c.Format == "" {
		c.Format = FormatJSON
	}
	if c.Acks == "" {
		c.Acks = AcksLeader
	}
	if c.Compression == "" {
		c.Compression = CompressionNone
	}
	if c.BufferSize == 0 {
		c.BufferSize = DefaultBufferSize
	}
	if c.Key == "" {
		c.Key = KeyInstance
	}
}

// Equal reports whether a and b configure the same output: defaults count
// as set and the order of brokers does not matter, so that a reload that
// only reorders brokers keeps the running output and its buffer.
func Equal(a, b Config) bool {
	a.setDefaults()
	b.setDefaults()
	a.Brokers = sortedCopy(a.Brokers)
	b.Brokers = sortedCopy(b.Brokers)
	if len(a.EventTypes) == 0 {
		a.EventTypes = nil
	}
	if len(b.EventTypes) == 0 {
		b.EventTypes = nil
	}
	if !buffer.Equal(a.Buffer, b.Buffer) {
		return false
	}
	a.Buffer, b.Buffer = buffer.Config{}, buffer.Config{}
	return reflect.DeepEqual(a, b)
}

// FormatOf is the sink format the output wants its values in.
func FormatOf(c Config) sink.Format {
	if c.Format == FormatProtobuf {
		return sink.Protobuf
	}
	return sink.JSON
}

// name is the output's stable identifier; it holds no credentials.
func (c *Config) name() string {
	return "kafka:" + strings.Join(sortedCopy(c.Brokers), ",") + "/" + c.Topic
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
