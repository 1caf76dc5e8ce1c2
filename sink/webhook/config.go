package webhook

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"time"

	commoncfg "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"

	"github.com/eventrecorder/eventrecorder/internal/readlimit"
	"github.com/eventrecorder/eventrecorder/internal/yamltree"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/buffer"
	"github.com/eventrecorder/eventrecorder/sink/internal/credfiles"
)

// Defaults for unset (zero) configuration fields.
const (
	DefaultTimeout            = 10 * time.Second
	DefaultWorkers            = 4
	DefaultMaxRetries         = 3
	DefaultRetryBackoff       = 500 * time.Millisecond
	DefaultQueueSize          = 1024
	DefaultBatchMaxEvents     = 100
	DefaultBatchMaxBytes      = 1 << 20
	DefaultBatchFlushInterval = 100 * time.Millisecond
	// MaxRetryBackoff caps the exponential backoff and any Retry-After a
	// receiver asks for, so that one misbehaving receiver cannot park a
	// worker for hours. A retry_backoff above it raises the cap to
	// retry_backoff itself.
	MaxRetryBackoff = 30 * time.Second
)

// Upper bounds of the numeric settings, enforced by Validate. Each keeps a
// mistyped or hostile number from exhausting the process when the output
// starts, and is far above any setting that makes sense.
const (
	// TimeoutLimit: a receiver that has not answered a POST in five
	// minutes will not; a longer timeout only parks a worker.
	TimeoutLimit = 5 * time.Minute
	// WorkersLimit: every worker is a goroutine and a connection, started
	// with the output. 256 requests in flight is a load test for a
	// receiver; batch is the way to more throughput.
	WorkersLimit = 256
	// MaxRetriesLimit: at the 30s backoff cap, 100 attempts retry one
	// event for most of an hour while the queue behind it fills.
	MaxRetriesLimit = 100
	// RetryBackoffLimit: the first retry's wait, which also raises the
	// backoff cap; beyond five minutes every retry outlasts any sensible
	// close budget.
	RetryBackoffLimit = 5 * time.Minute
	// QueueSizeLimit: the queue is allocated in full when the output
	// starts, about 100 bytes a slot, so 1Mi slots is about 100 MiB: many
	// minutes of events at any rate Alertmanager records them.
	QueueSizeLimit = 1 << 20
	// BatchMaxEventsLimit: each batch preallocates room for this many
	// events; 10,000 events are megabytes of JSON for a receiver to parse
	// in one go.
	BatchMaxEventsLimit = 10_000
	// BatchMaxBytesLimit: a body is built in memory, one per worker and
	// one filling; receivers refuse far smaller bodies (nginx's default
	// limit is 1 MiB).
	BatchMaxBytesLimit = 16 << 20
	// BatchFlushIntervalLimit: an event waiting longer than a minute for
	// its batch to fill is stale for an audit trail.
	BatchFlushIntervalLimit = time.Minute
)

// Compression values.
const (
	CompressionNone = "none"
	CompressionGzip = "gzip"
)

// Config configures one webhook output (an entry of webhook_outputs).
// A zero Config with only URL set is usable: Validate fills the defaults.
type Config struct {
	// URL is the endpoint events are POSTed to. Exactly one of URL and
	// URLFile is set.
	URL *SecretURL `yaml:"url" json:"url"`
	// URLFile names a file holding the URL (surrounding white space is
	// ignored), so the secret can live outside the configuration. It is
	// read when the output is built.
	URLFile string `yaml:"url_file,omitempty" json:"url_file,omitempty"`
	// HTTPConfig configures authentication, TLS and proxying. TLS
	// certificates are verified unless it says otherwise.
	HTTPConfig *commoncfg.HTTPClientConfig `yaml:"http_config,omitempty" json:"http_config,omitempty"`
	// Timeout bounds each attempt (default 10s).
	Timeout model.Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`
	// Workers is how many requests may be in flight at once (default 4).
	Workers int `yaml:"workers,omitempty" json:"workers,omitempty"`
	// MaxRetries is the number of attempts per event (per body when
	// batching), the first included (default 3).
	MaxRetries int `yaml:"max_retries,omitempty" json:"max_retries,omitempty"`
	// RetryBackoff is the wait before the first retry; each later retry
	// waits twice as long, up to MaxRetryBackoff (default 500ms).
	RetryBackoff model.Duration `yaml:"retry_backoff,omitempty" json:"retry_backoff,omitempty"`
	// QueueSize is how many events may wait for a worker; beyond it
	// events are dropped rather than block the recorder (default 1024).
	QueueSize int `yaml:"queue_size,omitempty" json:"queue_size,omitempty"`
	// Batch sends JSON arrays of events instead of one event per request.
	Batch bool `yaml:"batch,omitempty" json:"batch,omitempty"`
	// BatchMaxEvents caps the events in one body (default 100).
	BatchMaxEvents int `yaml:"batch_max_events,omitempty" json:"batch_max_events,omitempty"`
	// BatchMaxBytes caps the size of one body before compression
	// (default 1 MiB); an event larger than this is sent alone.
	BatchMaxBytes int `yaml:"batch_max_bytes,omitempty" json:"batch_max_bytes,omitempty"`
	// BatchFlushInterval is the longest an event waits for a batch to
	// fill (default 100ms).
	BatchFlushInterval model.Duration `yaml:"batch_flush_interval,omitempty" json:"batch_flush_interval,omitempty"`
	// Compression is "" or "none" (plain bodies) or "gzip".
	Compression string `yaml:"compression,omitempty" json:"compression,omitempty"`
	// Buffer puts a memory or disk buffer in front of the output (see
	// package sink/buffer); unset, events wait only in the queue.
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

// UnmarshalYAML decodes strictly (whether or not the caller's decoder is
// strict, and under either yaml.v2 driver: see internal/yamltree), fills
// defaults and validates. Errors name the offending field, including type
// errors that yaml would report by line only. An error from http_config's
// own checks (prometheus/common validates the block as a whole) is
// reported at http_config.
func (c *Config) UnmarshalYAML(unmarshal func(any) error) error {
	type plain Config
	*c = Config{}
	return yamltree.UnmarshalAndCheck(unmarshal, (*plain)(c), yamltree.TopKey, c.Validate)
}

// Validate fills defaults and checks every field, returning a
// *sink.FieldError for each problem that names the field and its value
// (URLs masked). It is idempotent.
func (c *Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	switch {
	case c.URL != nil && c.URLFile != "":
		add(sink.Errorf("url", "url and url_file %q are mutually exclusive", c.URLFile))
	case c.URL == nil && c.URLFile == "":
		add(sink.Errorf("url", "one of url and url_file is required"))
	case c.URL != nil:
		if c.URL.u == nil || *c.URL.u == (url.URL{}) {
			add(sink.Errorf("url", "%q is a placeholder, not a URL", secretToken))
		} else if err := checkURL(c.URL.u); err != nil {
			add(sink.Errorf("url", "%v", err))
		}
	}
	if c.HTTPConfig != nil {
		// Validate normalises (bearer_token becomes authorization); do
		// it on a copy so configurations sharing the pointer are not
		// changed under their owners.
		hc := *c.HTTPConfig
		if err := hc.Validate(); err != nil {
			add(sink.AtPath("http_config", err))
		} else if err := hc.TLSConfig.Validate(); err != nil {
			add(sink.AtPath("http_config.tls_config", err))
		} else {
			add(credfiles.HTTP("http_config", &hc))
		}
		c.HTTPConfig = &hc
		if c.URL != nil && c.URL.u != nil {
			add(credentialConflict("url", c.URL.u, c.HTTPConfig))
		}
	}
	add(defaultDuration(&c.Timeout, DefaultTimeout, TimeoutLimit, "timeout"))
	add(defaultInt(&c.Workers, DefaultWorkers, WorkersLimit, "workers"))
	add(defaultInt(&c.MaxRetries, DefaultMaxRetries, MaxRetriesLimit, "max_retries"))
	add(defaultDuration(&c.RetryBackoff, DefaultRetryBackoff, RetryBackoffLimit, "retry_backoff"))
	add(defaultInt(&c.QueueSize, DefaultQueueSize, QueueSizeLimit, "queue_size"))
	if !c.Batch {
		if c.BatchMaxEvents != 0 {
			add(sink.Errorf("batch_max_events", "%d is set but batch is not true", c.BatchMaxEvents))
		}
		if c.BatchMaxBytes != 0 {
			add(sink.Errorf("batch_max_bytes", "%d is set but batch is not true", c.BatchMaxBytes))
		}
		if c.BatchFlushInterval != 0 {
			add(sink.Errorf("batch_flush_interval", "%q is set but batch is not true", c.BatchFlushInterval))
		}
	} else {
		add(defaultInt(&c.BatchMaxEvents, DefaultBatchMaxEvents, BatchMaxEventsLimit, "batch_max_events"))
		add(defaultInt(&c.BatchMaxBytes, DefaultBatchMaxBytes, BatchMaxBytesLimit, "batch_max_bytes"))
		add(defaultDuration(&c.BatchFlushInterval, DefaultBatchFlushInterval, BatchFlushIntervalLimit, "batch_flush_interval"))
	}
	switch c.Compression {
	case "", CompressionNone, CompressionGzip:
	default:
		add(sink.Errorf("compression", "%q is not one of %q, %q", c.Compression, CompressionNone, CompressionGzip))
	}
	for i, t := range c.EventTypes {
		if t == "" {
			add(sink.Errorf(fmt.Sprintf("event_types[%d]", i), "is empty"))
		}
	}
	add(sink.AtPath("buffer", c.Buffer.Validate()))
	return errors.Join(errs...)
}

// defaultInt fills an unset (zero) number with its default and checks a
// set one against its bounds.
func defaultInt(v *int, def, limit int, field string) error {
	switch {
	case *v < 0:
		return sink.Errorf(field, "%d is negative", *v)
	case *v == 0:
		*v = def
	}
	return sink.AtMost(field, *v, limit)
}

// defaultDuration is defaultInt for a duration.
func defaultDuration(v *model.Duration, def, limit time.Duration, field string) error {
	switch {
	case *v < 0:
		return sink.Errorf(field, "%q is negative", *v)
	case *v == 0:
		*v = model.Duration(def)
	}
	return sink.DurationAtMost(field, *v, model.Duration(limit))
}

// credentialConflict rejects credentials in two places. net/http turns URL
// userinfo into an Authorization header before the http_config round
// trippers run, and those leave an existing header alone, so http_config's
// credentials would be silently ignored.
func credentialConflict(field string, u *url.URL, hc *commoncfg.HTTPClientConfig) error {
	if u == nil || u.User == nil || hc == nil {
		return nil
	}
	var auth string
	switch {
	case hc.BasicAuth != nil:
		auth = "basic_auth"
	case hc.Authorization != nil:
		auth = "authorization"
	case hc.OAuth2 != nil:
		auth = "oauth2"
	case hc.BearerToken != "" || hc.BearerTokenFile != "":
		auth = "bearer_token"
	default:
		return nil
	}
	return sink.Errorf(field, "%q has userinfo and http_config sets %s: configure credentials in one place", maskURL(u), auth)
}

// readURLFile reads and checks the URL a url_file holds. Errors show the
// path and the masked URL, never the file's secrets.
func readURLFile(path string) (*SecretURL, error) {
	b, err := readlimit.ReadFile(path, sink.MaxSecretFileBytes, "a URL file")
	if err != nil {
		return nil, sink.Errorf("url_file", "reading %q: %v", path, err)
	}
	u, err := parseURL(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, sink.Errorf("url_file", "%q: %v", path, err)
	}
	return &SecretURL{u: u}, nil
}

// Equal reports whether two configurations describe the same output once
// defaults are filled in, so that a reload keeps a running output whose
// configuration only spelt the defaults differently.
func Equal(a, b Config) bool {
	na, errA := a.normalized()
	nb, errB := b.normalized()
	if errA != nil || errB != nil {
		return false
	}
	return reflect.DeepEqual(na, nb)
}

// configuredProxy is what p configures. ProxyConfig caches a function
// once used, which is left out; and an empty proxy URL is no proxy (as
// ProxyConfig.Proxy takes it): JSON renders an unset proxy_url as null,
// which prometheus/common reads back as an empty URL.
func configuredProxy(p commoncfg.ProxyConfig) commoncfg.ProxyConfig {
	out := commoncfg.ProxyConfig{ProxyURL: p.ProxyURL, NoProxy: p.NoProxy,
		ProxyFromEnvironment: p.ProxyFromEnvironment, ProxyConnectHeader: p.ProxyConnectHeader}
	if out.ProxyURL.URL != nil && out.ProxyURL.String() == "" {
		out.ProxyURL = commoncfg.URL{}
	}
	return out
}

type normalConfig struct {
	url string
	cfg Config
}

func (c Config) normalized() (normalConfig, error) {
	if err := c.Validate(); err != nil {
		return normalConfig{}, err
	}
	var n normalConfig
	if u := c.URL.URL(); u != nil {
		n.url = u.String()
	}
	c.URL = nil
	hc := commoncfg.DefaultHTTPClientConfig
	if c.HTTPConfig != nil {
		hc = *c.HTTPConfig
	}
	hc.ProxyConfig = configuredProxy(hc.ProxyConfig)
	if hc.OAuth2 != nil {
		o := *hc.OAuth2
		o.ProxyConfig = configuredProxy(o.ProxyConfig)
		hc.OAuth2 = &o
	}
	c.HTTPConfig = &hc
	if c.Compression == CompressionNone {
		c.Compression = ""
	}
	if len(c.EventTypes) == 0 {
		c.EventTypes = nil
	}
	if !c.Buffer.Enabled() {
		c.Buffer = buffer.Config{} // type: memory alone is no buffer
	} else if c.Buffer.Path != "" {
		c.Buffer.Path = buffer.CanonicalDir(c.Buffer.Path)
	}
	n.cfg = c
	return n, nil
}
