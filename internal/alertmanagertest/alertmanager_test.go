//go:build linux

package alertmanagertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"go.yaml.in/yaml/v2"
	"google.golang.org/protobuf/encoding/protojson"

	pb "github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/leakcheck"
	"github.com/eventrecorder/eventrecorder/internal/testtool"
)

func TestMain(m *testing.M) { leakcheck.VerifyTestMain(m) }

// optIn is the variable that turns the test on: it builds two Alertmanager
// releases from source, which takes minutes.
const optIn = "EVENTRECORDER_ALERTMANAGER"

// Bounds on the steps. Waits are on conditions; these only decide how
// long a step may take before the test gives up on it.
const (
	buildTimeout = 8 * time.Minute  // download, copy and build one release, cold caches
	stepTimeout  = 30 * time.Second // one lifecycle step (a flush, a notification, a reload)
	exitTimeout  = 30 * time.Second // SIGTERM to exit; the recorder's Close alone may take 10s
	poll         = 20 * time.Millisecond
)

type release struct {
	version string
	// ruleNames: the release passes the inhibit rule's name to the
	// recorder (v0.34's InhibitRuleAsProto(name, ...)); v0.33 cannot.
	ruleNames bool
}

var releases = []release{
	{version: "v0.33.1"},
	{version: "v0.34.2", ruleNames: true},
}

// allEventTypes are the ten event types; the lifecycle must produce each.
var allEventTypes = []string{
	"alertmanager_startup_event", "alertmanager_shutdown_event",
	"alert_created", "alert_resolved", "alert_grouped", "notification",
	"silence_created", "silence_updated", "silence_muted_alert", "inhibition_muted_alert",
}

func TestAlertmanagerLifecycle(t *testing.T) {
	if os.Getenv(optIn) != "1" {
		t.Skipf("builds Alertmanager v0.33.1 and v0.34.2 from source with this module's recorder, which takes minutes; set %s=1 (make test-alertmanager) to run it", optIn)
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build Alertmanager: %v", err)
	}
	checkout := moduleRoot(t, goTool)
	for _, rel := range releases {
		t.Run(rel.version, func(t *testing.T) {
			start := time.Now()
			bin := buildAlertmanager(t, goTool, checkout, rel.version)
			built := time.Now()
			runLifecycle(t, bin, rel)
			t.Logf("timing: %s built in %v, lifecycle ran in %v", rel.version, built.Sub(start).Round(time.Second), time.Since(built).Round(time.Second))
		})
	}
}

// command runs a child in its own process group, killed with the group
// when ctx ends (so a deadline also stops the compilers a go command
// started) or when this test binary dies.
func command(ctx context.Context, dir string, env []string, name string, args ...string) (stdout, stderr []byte, err error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	return o.Bytes(), e.Bytes(), err
}

func moduleRoot(t *testing.T, goTool string) string {
	t.Helper()
	out, stderr, err := command(t.Context(), ".", nil, goTool, "env", "GOMOD")
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		t.Fatalf("go env GOMOD: %q, %v: %s", gomod, err, stderr)
	}
	return filepath.Dir(gomod)
}

// buildAlertmanager fetches the release's source through the module
// proxy, applies swap-recorder.sh and builds cmd/alertmanager.
func buildAlertmanager(t *testing.T, goTool, checkout, version string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), buildTimeout)
	defer cancel()
	// Outside any module, so that this module's go.mod is left alone.
	env := []string{"GOWORK=off", "GOFLAGS="}
	out, stderr, err := command(ctx, t.TempDir(), env, goTool, "mod", "download", "-json", "github.com/prometheus/alertmanager@"+version)
	var mod struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &mod); err != nil || jerr != nil || mod.Dir == "" {
		t.Fatalf("go mod download alertmanager@%s: %v %v %s: %s%s", version, err, jerr, mod.Error, out, stderr)
	}

	script, err := filepath.Abs("swap-recorder.sh")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	src := filepath.Join(work, "alertmanager")
	out, stderr, err = command(ctx, work, nil, "bash", script, mod.Dir, src, checkout)
	if err != nil {
		t.Fatalf("swap-recorder.sh %s: %v\n%s%s", version, err, out, stderr)
	}
	t.Logf("swap-recorder.sh %s:\n%s", version, out)

	bin := filepath.Join(work, "alertmanager-"+version)
	// -mod=mod: the swapped go.mod gains this module's requirements.
	env = []string{"GOWORK=off", "GOFLAGS=-mod=mod -buildvcs=false"}
	if _, stderr, err = command(ctx, src, env, goTool, "build", "-o", bin, "./cmd/alertmanager"); err != nil {
		t.Fatalf("go build alertmanager %s: %v\n%s", version, err, stderr)
	}
	return bin
}

// receiver is the loopback HTTP server on the other end of Alertmanager:
// /events is the recorder's webhook output (guarded by the URL's secrets,
// so that a request without them is counted as rejected), /notify the
// webhook receiver that notifications go to.
type receiver struct {
	srv                *httptest.Server
	user, pass, token  string
	mu                 sync.Mutex
	events             [][]byte
	rejected           []string
	notifications      []notifyPayload
	notificationErrors []string
}

type notifyPayload struct {
	Receiver string `json:"receiver"`
	Status   string `json:"status"`
	Alerts   []struct {
		Status string            `json:"status"`
		Labels map[string]string `json:"labels"`
	} `json:"alerts"`
}

func newReceiver(t *testing.T, user, pass, token string) *receiver {
	r := &receiver{user: user, pass: pass, token: token}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /events", func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		u, p, _ := req.BasicAuth()
		r.mu.Lock()
		defer r.mu.Unlock()
		if err != nil || u != r.user || p != r.pass || req.URL.Query().Get("token") != r.token {
			r.rejected = append(r.rejected, fmt.Sprintf("user %q, read error %v", u, err))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.events = append(r.events, body)
	})
	mux.HandleFunc("POST /notify", func(w http.ResponseWriter, req *http.Request) {
		var n notifyPayload
		err := json.NewDecoder(req.Body).Decode(&n)
		r.mu.Lock()
		defer r.mu.Unlock()
		if err != nil {
			r.notificationErrors = append(r.notificationErrors, err.Error())
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.notifications = append(r.notifications, n)
	})
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	return r
}

// notified says whether a notification has arrived with the alert in the
// given status.
func (r *receiver) notified(alertname, status string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.notifications {
		for _, a := range n.Alerts {
			if a.Labels["alertname"] == alertname && a.Status == status {
				return true
			}
		}
	}
	return false
}

// notifiedAlerts lists each notification's alerts as "name=status", in
// arrival order.
func (r *receiver) notifiedAlerts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, n := range r.notifications {
		var names []string
		for _, a := range n.Alerts {
			names = append(names, a.Labels["alertname"]+"="+a.Status)
		}
		slices.Sort(names)
		out = append(out, strings.Join(names, ","))
	}
	return out
}

var configTemplate = template.Must(template.New("am.yml").Parse(`
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 200ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: {{.NotifyURL}}
        send_resolved: true
inhibit_rules:
  - name: critical-inhibits-warning
    source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [cluster]
event_recorder:
  file_outputs:
{{- range .Files}}
    - path: {{.}}
{{- end}}
  webhook_outputs:
    - url: {{.EventsURL}}
`))

type amConfig struct {
	NotifyURL, EventsURL string
	Files                []string
}

func writeConfig(t *testing.T, path string, c amConfig) {
	t.Helper()
	var b bytes.Buffer
	if err := configTemplate.Execute(&b, c); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// process is a running Alertmanager. Cleanup kills its process group if
// it is still running, whatever the path out of the test.
type process struct {
	cmd  *exec.Cmd
	log  *testtool.SyncBuffer
	done chan struct{}
	err  error // Wait's result, once done is closed
}

func startAlertmanager(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	p := &process{log: &testtool.SyncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("alertmanager's log:\n%s", p.log.String())
		}
	})
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
			return
		default:
		}
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Errorf("alertmanager (pid %d) still running 10s after SIGKILL", p.cmd.Process.Pid)
		}
	})
	return p
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// waitFor is testtool.WaitFor that gives up at once if Alertmanager has
// exited, since nothing it would have done can happen any more.
func (p *process) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testtool.WaitFor(t, what, stepTimeout, poll, func() bool {
		if cond() {
			return true
		}
		if p.exited() {
			t.Fatalf("alertmanager exited (%v) while waiting for %s", p.err, what)
		}
		return false
	})
}

func (p *process) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
}

var listeningOn = regexp.MustCompile(`msg="Listening on" address=(127\.0\.0\.1:\d+)`)

// api is a client of Alertmanager's HTTP API.
type api struct {
	base   string
	client *http.Client
}

func (a *api) call(t *testing.T, method, path string, body, out any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, a.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the response: %v", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %s: %s", method, path, resp.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

func (a *api) get(t *testing.T, path string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, a.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v: %s", path, resp.Status, err, b)
	}
	return string(b)
}

type postableAlert struct {
	Labels   map[string]string `json:"labels"`
	StartsAt time.Time         `json:"startsAt"`
	EndsAt   time.Time         `json:"endsAt"`
}

type silence struct {
	ID        string           `json:"id,omitempty"`
	Matchers  []silenceMatcher `json:"matchers"`
	StartsAt  string           `json:"startsAt"`
	EndsAt    string           `json:"endsAt"`
	CreatedBy string           `json:"createdBy"`
	Comment   string           `json:"comment"`
}

type silenceMatcher struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	IsRegex bool   `json:"isRegex"`
	IsEqual bool   `json:"isEqual"`
}

// recorded is one event as an output holds it.
type recorded struct {
	raw []byte // the JSON, without the file's newline
	ev  *pb.Event
	typ string // the event-type name: the EventData oneof arm
}

var eventTypeOneof = (&pb.EventData{}).ProtoReflect().Descriptor().Oneofs().ByName("event_type")

func parseEvent(t *testing.T, where string, raw []byte) recorded {
	t.Helper()
	ev := &pb.Event{}
	if err := protojson.Unmarshal(raw, ev); err != nil {
		t.Fatalf("%s: not an event: %v: %s", where, err, raw)
	}
	r := recorded{raw: raw, ev: ev}
	if fd := ev.GetData().ProtoReflect().WhichOneof(eventTypeOneof); fd != nil {
		r.typ = string(fd.Name())
	}
	return r
}

// readEvents parses the complete lines of a file output.
func readEvents(t *testing.T, path string) []recorded {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[:i+1]
	} else {
		b = nil
	}
	var out []recorded
	for n, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		out = append(out, parseEvent(t, fmt.Sprintf("%s:%d", path, n+1), bytes.TrimSuffix(line, []byte("\n"))))
	}
	return out
}

func ofType(evs []recorded, typ string) []recorded {
	var out []recorded
	for _, e := range evs {
		if e.typ == typ {
			out = append(out, e)
		}
	}
	return out
}

func labelValue(ls *pb.LabelSet, name string) string {
	for _, l := range ls.GetLabels() {
		if l.GetKey() == name {
			return l.GetValue()
		}
	}
	return ""
}

func randomSecret(t *testing.T, prefix string) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return prefix + hex.EncodeToString(b)
}

// runLifecycle drives one Alertmanager through startup, two alerts of
// which one inhibits the other, a silence created and then updated in
// place, a reload that adds a file output, a third alert that fires and
// resolves, and SIGTERM; then checks what the outputs received.
func runLifecycle(t *testing.T, bin string, rel release) {
	dir := t.TempDir()
	file1 := filepath.Join(dir, "events.jsonl")
	file2 := filepath.Join(dir, "events-added-at-reload.jsonl")
	cfgPath := filepath.Join(dir, "alertmanager.yml")

	// The recorder's webhook URL carries a password and a token: neither
	// may show in the rendered configuration, the metrics or the log.
	pass := randomSecret(t, "pw-")
	token := randomSecret(t, "tok-")
	secrets := []string{pass, token}
	recv := newReceiver(t, "recorder", pass, token)
	host := strings.TrimPrefix(recv.srv.URL, "http://")
	cfg := amConfig{
		NotifyURL: recv.srv.URL + "/notify",
		EventsURL: "http://recorder:" + pass + "@" + host + "/events?token=" + token,
		Files:     []string{file1},
	}
	writeConfig(t, cfgPath, cfg)

	am := startAlertmanager(t, bin,
		"--config.file="+cfgPath,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address=127.0.0.1:0",
		"--cluster.listen-address=",
		"--enable-feature=event-recorder",
		"--log.format=logfmt",
	)
	var addr string
	am.waitFor(t, "alertmanager to listen", func() bool {
		m := listeningOn.FindStringSubmatch(am.log.String())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	})
	transport := &http.Transport{DisableKeepAlives: true}
	defer transport.CloseIdleConnections()
	client := &api{base: "http://" + addr, client: &http.Client{Transport: transport, Timeout: 10 * time.Second}}

	events := func() []recorded { return readEvents(t, file1) }
	has := func(typ string, match func(recorded) bool) func() bool {
		return func() bool {
			return slices.ContainsFunc(ofType(events(), typ), match)
		}
	}
	am.waitFor(t, "the startup event", has("alertmanager_startup_event", func(recorded) bool { return true }))

	// NodeDown fires and is notified; HighLatency, a warning in the same
	// cluster, is then inhibited by it.
	now := time.Now().UTC()
	nodeDown := map[string]string{"alertname": "NodeDown", "severity": "critical", "cluster": "c1"}
	highLatency := map[string]string{"alertname": "HighLatency", "severity": "warning", "cluster": "c1"}
	diskFull := map[string]string{"alertname": "DiskFull", "severity": "info", "cluster": "c2"}
	client.call(t, http.MethodPost, "/api/v2/alerts", []postableAlert{{Labels: nodeDown, StartsAt: now, EndsAt: now.Add(time.Hour)}}, nil)
	am.waitFor(t, "NodeDown's firing notification", func() bool { return recv.notified("NodeDown", "firing") })
	client.call(t, http.MethodPost, "/api/v2/alerts", []postableAlert{{Labels: highLatency, StartsAt: now, EndsAt: now.Add(time.Hour)}}, nil)
	fingerprint := func(name string) uint64 {
		for _, e := range ofType(events(), "alert_created") {
			if a := e.ev.GetData().GetAlertCreated().GetAlert(); a.GetName() == name {
				return a.GetFingerprint()
			}
		}
		return 0
	}
	am.waitFor(t, "HighLatency's alert_created", func() bool { return fingerprint("HighLatency") != 0 })
	nodeDownFP, highLatencyFP := fingerprint("NodeDown"), fingerprint("HighLatency")
	am.waitFor(t, "the inhibition of HighLatency", has("inhibition_muted_alert", func(e recorded) bool {
		return e.ev.GetData().GetInhibitionMutedAlert().GetMutedAlert().GetFingerprint() == highLatencyFP
	}))

	// A silence mutes NodeDown; then it is extended in place.
	var created struct {
		SilenceID string `json:"silenceID"`
	}
	sil := silence{
		Matchers:  []silenceMatcher{{Name: "alertname", Value: "NodeDown", IsEqual: true}},
		StartsAt:  now.Format(time.RFC3339Nano),
		EndsAt:    now.Add(time.Hour).Format(time.RFC3339Nano),
		CreatedBy: "alice",
		Comment:   "maintenance",
	}
	client.call(t, http.MethodPost, "/api/v2/silences", sil, &created)
	silenceID := created.SilenceID
	am.waitFor(t, "silence_created", has("silence_created", func(e recorded) bool {
		return e.ev.GetData().GetSilenceCreated().GetSilence().GetId() == silenceID
	}))
	am.waitFor(t, "the silence muting NodeDown", has("silence_muted_alert", func(e recorded) bool {
		d := e.ev.GetData().GetSilenceMutedAlert()
		return d.GetSilence().GetId() == silenceID && d.GetMutedAlert().GetFingerprint() == nodeDownFP
	}))
	var stored silence
	client.call(t, http.MethodGet, "/api/v2/silence/"+silenceID, nil, &stored)
	// Same id, matchers and start: Alertmanager updates such a silence in
	// place instead of expiring it and creating another.
	update := silence{
		ID:        silenceID,
		Matchers:  sil.Matchers,
		StartsAt:  stored.StartsAt,
		EndsAt:    now.Add(2 * time.Hour).Format(time.RFC3339Nano),
		CreatedBy: "alice",
		Comment:   "maintenance, extended",
	}
	var updated struct {
		SilenceID string `json:"silenceID"`
	}
	client.call(t, http.MethodPost, "/api/v2/silences", update, &updated)
	if updated.SilenceID != silenceID {
		t.Fatalf("updating silence %s returned id %s: it was replaced, not updated in place", silenceID, updated.SilenceID)
	}
	am.waitFor(t, "silence_updated", has("silence_updated", func(e recorded) bool {
		return e.ev.GetData().GetSilenceUpdated().GetSilence().GetComment() == update.Comment
	}))

	checkStatus(t, client, cfg, secrets)

	// Reload with a second file output; the status shows the new
	// configuration once the recorder has applied it (it is applied first).
	cfg.Files = []string{file1, file2}
	writeConfig(t, cfgPath, cfg)
	am.signal(t, syscall.SIGHUP)
	am.waitFor(t, "the reloaded configuration", func() bool { return len(statusOutputs(t, client).files) == 2 })
	reloaded := time.Now()
	checkStatus(t, client, cfg, secrets)

	// DiskFull fires, is notified, resolves, and its resolution is notified.
	later := time.Now().UTC()
	client.call(t, http.MethodPost, "/api/v2/alerts", []postableAlert{{Labels: diskFull, StartsAt: later, EndsAt: later.Add(time.Hour)}}, nil)
	am.waitFor(t, "DiskFull's firing notification", func() bool { return recv.notified("DiskFull", "firing") })
	client.call(t, http.MethodPost, "/api/v2/alerts", []postableAlert{{Labels: diskFull, StartsAt: later, EndsAt: time.Now().UTC()}}, nil)
	am.waitFor(t, "DiskFull's resolved notification", func() bool { return recv.notified("DiskFull", "resolved") })
	am.waitFor(t, "DiskFull's alert_resolved", has("alert_resolved", func(e recorded) bool {
		return e.ev.GetData().GetAlertResolved().GetAlert().GetDetails().GetName() == "DiskFull"
	}))

	checkMetrics(t, client, host, file1, file2, secrets)

	am.signal(t, syscall.SIGTERM)
	select {
	case <-am.done:
	case <-time.After(exitTimeout):
		t.Fatalf("alertmanager did not exit within %v of SIGTERM", exitTimeout)
	}
	if am.err != nil {
		t.Errorf("alertmanager exited with %v after SIGTERM, want status 0", am.err)
	}
	for _, s := range secrets {
		if strings.Contains(am.log.String(), s) {
			t.Errorf("alertmanager's log contains the webhook URL's secret %q", s)
		}
	}

	all := readEvents(t, file1)
	checkEvents(t, all, rel, recv, nodeDownFP, highLatencyFP, silenceID, update.Comment)
	checkWebhook(t, all, recv)
	checkAddedOutput(t, all, readEvents(t, file2), reloaded)
}

type outputsShown struct {
	files    []string
	webhooks []string
	original string
}

// statusOutputs reads the configuration as /api/v2/status renders it,
// requiring event_recorder to be a YAML mapping of output lists.
func statusOutputs(t *testing.T, client *api) outputsShown {
	t.Helper()
	var st struct {
		Config struct {
			Original string `json:"original"`
		} `json:"config"`
	}
	client.call(t, http.MethodGet, "/api/v2/status", nil, &st)
	var doc struct {
		EventRecorder any `yaml:"event_recorder"`
	}
	if err := yaml.Unmarshal([]byte(st.Config.Original), &doc); err != nil {
		t.Fatalf("/api/v2/status config.original is not YAML: %v\n%s", err, st.Config.Original)
	}
	section, ok := doc.EventRecorder.(map[any]any)
	if !ok {
		t.Fatalf("/api/v2/status shows event_recorder as %T, want a mapping:\n%s", doc.EventRecorder, st.Config.Original)
	}
	out := outputsShown{original: st.Config.Original}
	field := func(list any, key string) []string {
		items, ok := list.([]any)
		if !ok && list != nil {
			t.Fatalf("/api/v2/status: an output list is %T, want a sequence:\n%s", list, st.Config.Original)
		}
		var vals []string
		for _, it := range items {
			m, ok := it.(map[any]any)
			if !ok {
				t.Fatalf("/api/v2/status: an output is %T, want a mapping:\n%s", it, st.Config.Original)
			}
			vals = append(vals, fmt.Sprint(m[key]))
		}
		return vals
	}
	for k, v := range section {
		switch k {
		case "file_outputs":
			out.files = field(v, "path")
		case "webhook_outputs":
			out.webhooks = field(v, "url")
		default:
			t.Fatalf("/api/v2/status: unexpected event_recorder key %v:\n%s", k, st.Config.Original)
		}
	}
	return out
}

func checkStatus(t *testing.T, client *api, cfg amConfig, secrets []string) {
	shown := statusOutputs(t, client)
	if !slices.Equal(shown.files, cfg.Files) {
		t.Errorf("/api/v2/status file_outputs paths = %q, want %q", shown.files, cfg.Files)
	}
	if want := []string{"<secret>"}; !slices.Equal(shown.webhooks, want) {
		t.Errorf("/api/v2/status webhook_outputs urls = %q, want %q", shown.webhooks, want)
	}
	for _, s := range secrets {
		if strings.Contains(shown.original, s) {
			t.Errorf("/api/v2/status shows the webhook URL's secret %q:\n%s", s, shown.original)
		}
	}
}

// checkMetrics reads the recorder's series on /metrics: outputs are named
// without credentials, and the counts so far are what the lifecycle made.
func checkMetrics(t *testing.T, client *api, host, file1, file2 string, secrets []string) {
	metrics := client.get(t, "/metrics")
	for _, s := range secrets {
		if strings.Contains(metrics, s) {
			t.Errorf("/metrics contains the webhook URL's secret %q", s)
		}
	}
	for _, want := range []string{
		`alertmanager_events_recorded_total{event_type="alertmanager_startup_event",output="file:` + file1 + `",result="success"} 1`,
		`alertmanager_events_recorded_total{event_type="alertmanager_startup_event",output="webhook:http://` + host + `/events",result="success"} 1`,
		`alertmanager_events_recorded_total{event_type="alert_created",output="file:` + file1 + `",result="success"} 3`,
		// Only DiskFull was created after the reload added this output.
		`alertmanager_events_recorded_total{event_type="alert_created",output="file:` + file2 + `",result="success"} 1`,
	} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("/metrics lacks %s; the recorder's series are:\n%s", want, grepLines(metrics, "alertmanager_event"))
		}
	}
}

func grepLines(s, substr string) string {
	var out []string
	for line := range strings.Lines(s) {
		if strings.Contains(line, substr) && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

func checkEvents(t *testing.T, all []recorded, rel release, recv *receiver, nodeDownFP, highLatencyFP uint64, silenceID, updatedComment string) {
	seen := map[string]int{}
	hostname, _ := os.Hostname()
	for i, e := range all {
		seen[e.typ]++
		if e.ev.GetInstance() != hostname {
			t.Errorf("event %d (%s): instance %q, want the hostname %q", i, e.typ, e.ev.GetInstance(), hostname)
		}
	}
	for _, typ := range allEventTypes {
		if seen[typ] == 0 {
			t.Errorf("no %s event was recorded", typ)
		}
	}
	if len(seen) != len(allEventTypes) {
		t.Errorf("event types recorded: %v, want exactly %v", seen, allEventTypes)
	}
	t.Logf("events recorded by type: %v", seen)

	if len(all) == 0 {
		t.Fatal("the file output is empty")
	}
	if all[0].typ != "alertmanager_startup_event" || seen["alertmanager_startup_event"] != 1 {
		t.Errorf("want one startup event, first: first is %s, %d in all", all[0].typ, seen["alertmanager_startup_event"])
	} else if bc := all[0].ev.GetData().GetAlertmanagerStartupEvent().GetBuildContext(); !strings.Contains(bc, "go=go") {
		t.Errorf("startup event's build context %q names no Go version", bc)
	}
	if last := all[len(all)-1]; last.typ != "alertmanager_shutdown_event" || seen["alertmanager_shutdown_event"] != 1 {
		t.Errorf("want one shutdown event, last: last is %s, %d in all", last.typ, seen["alertmanager_shutdown_event"])
	}

	var createdNames []string
	for _, e := range ofType(all, "alert_created") {
		createdNames = append(createdNames, e.ev.GetData().GetAlertCreated().GetAlert().GetName())
	}
	if want := []string{"NodeDown", "HighLatency", "DiskFull"}; !slices.Equal(createdNames, want) {
		t.Errorf("alert_created for %q, want %q", createdNames, want)
	}

	// Alertmanager records alert_grouped on every insert into a group:
	// NodeDown and HighLatency once when posted and once more when the
	// reload rebuilds the groups, DiskFull once per post (firing, resolved).
	grouped := map[string]int{}
	for _, e := range ofType(all, "alert_grouped") {
		d := e.ev.GetData().GetAlertGrouped()
		grouped[d.GetAlert().GetDetails().GetName()]++
		if d.GetGroupInfo().GetReceiverName() != "hook" {
			t.Errorf("alert_grouped for %s: receiver %q, want hook", d.GetAlert().GetDetails().GetName(), d.GetGroupInfo().GetReceiverName())
		}
	}
	if want := map[string]int{"NodeDown": 2, "HighLatency": 2, "DiskFull": 2}; !maps.Equal(grouped, want) {
		t.Errorf("alert_grouped per alert: %v, want %v", grouped, want)
	}

	resolved := ofType(all, "alert_resolved")
	if len(resolved) != 1 {
		t.Errorf("%d alert_resolved events, want 1 (DiskFull)", len(resolved))
	}
	for _, e := range resolved {
		a := e.ev.GetData().GetAlertResolved()
		if a.GetAlert().GetDetails().GetName() != "DiskFull" || !a.GetAlert().GetDetails().GetResolved() || a.GetGroupInfo().GetReceiverName() != "hook" {
			t.Errorf("alert_resolved is not DiskFull's resolution to receiver hook: %s", e.raw)
		}
	}

	silCreated, silUpdated := ofType(all, "silence_created"), ofType(all, "silence_updated")
	if len(silCreated) != 1 || len(silUpdated) != 1 {
		t.Fatalf("%d silence_created and %d silence_updated events, want 1 each", len(silCreated), len(silUpdated))
	}
	c, u := silCreated[0].ev.GetData().GetSilenceCreated().GetSilence(), silUpdated[0].ev.GetData().GetSilenceUpdated().GetSilence()
	if c.GetId() != silenceID || u.GetId() != silenceID {
		t.Errorf("silence ids: created %q, updated %q, want %q for both", c.GetId(), u.GetId(), silenceID)
	}
	if c.GetComment() != "maintenance" || u.GetComment() != updatedComment || c.GetCreatedBy() != "alice" {
		t.Errorf("silence comments: created %q by %q, updated %q", c.GetComment(), c.GetCreatedBy(), u.GetComment())
	}
	if !u.GetEndsAt().AsTime().After(c.GetEndsAt().AsTime()) {
		t.Errorf("updated silence ends %v, not after the original %v", u.GetEndsAt().AsTime(), c.GetEndsAt().AsTime())
	}
	if got := c.GetMatchers(); len(got) != 1 || got[0].GetRendered() != `alertname="NodeDown"` {
		t.Errorf("silence matchers %v, want alertname=\"NodeDown\"", got)
	}

	for _, e := range ofType(all, "silence_muted_alert") {
		d := e.ev.GetData().GetSilenceMutedAlert()
		if d.GetSilence().GetId() != silenceID || d.GetMutedAlert().GetFingerprint() != nodeDownFP || labelValue(d.GetMutedAlert().GetLabels(), "alertname") != "NodeDown" {
			t.Errorf("silence_muted_alert is not the silence muting NodeDown: %s", e.raw)
		}
	}

	wantRule := ""
	if rel.ruleNames {
		wantRule = "critical-inhibits-warning"
	}
	for _, e := range ofType(all, "inhibition_muted_alert") {
		d := e.ev.GetData().GetInhibitionMutedAlert()
		rules := d.GetInhibitRules()
		if d.GetMutedAlert().GetFingerprint() != highLatencyFP || !slices.Equal(d.GetInhibitingFingerprints(), []uint64{nodeDownFP}) || len(rules) != 1 {
			t.Errorf("inhibition_muted_alert is not NodeDown inhibiting HighLatency by one rule: %s", e.raw)
			continue
		}
		r := rules[0]
		if r.GetName() != wantRule || len(r.GetSourceMatchers()) != 1 || r.GetSourceMatchers()[0].GetRendered() != `severity="critical"` ||
			len(r.GetTargetMatchers()) != 1 || r.GetTargetMatchers()[0].GetRendered() != `severity="warning"` || !slices.Equal(r.GetEqualLabels(), []string{"cluster"}) {
			t.Errorf("inhibit rule recorded as %v, want name %q, severity=\"critical\" inhibits severity=\"warning\" with equal [cluster]", r, wantRule)
		}
	}

	// Each notification the receiver got is one notification event, with
	// the same alerts in the same states. Alertmanager fills the details
	// only in alerts; firing_alerts and resolved_alerts carry the hashes.
	var notified, reasons []string
	for _, e := range ofType(all, "notification") {
		d := e.ev.GetData().GetNotification()
		if d.GetGroupInfo().GetReceiverName() != "hook" || d.GetIntegration().GetName() != "webhook" {
			t.Errorf("notification not to receiver hook's webhook: %s", e.raw)
		}
		var names []string
		var firing, resolved []uint64
		for _, a := range d.GetAlerts() {
			state := "firing"
			if a.GetDetails().GetResolved() {
				state = "resolved"
				resolved = append(resolved, a.GetHash())
			} else {
				firing = append(firing, a.GetHash())
			}
			names = append(names, a.GetDetails().GetName()+"="+state)
		}
		slices.Sort(names)
		notified = append(notified, strings.Join(names, ","))
		reasons = append(reasons, d.GetReason().String())
		if !sameHashes(d.GetFiringAlerts(), firing) || !sameHashes(d.GetResolvedAlerts(), resolved) {
			t.Errorf("notification's firing_alerts and resolved_alerts do not split its alerts by state: %s", e.raw)
		}
	}
	if got := recv.notifiedAlerts(); !slices.Equal(notified, got) {
		t.Errorf("notification events %q, but the receiver got %q", notified, got)
	}
	if want := []string{"NOTIFY_REASON_FIRST_NOTIFICATION", "NOTIFY_REASON_FIRST_NOTIFICATION", "NOTIFY_REASON_ALL_ALERTS_RESOLVED"}; !slices.Equal(reasons, want) {
		t.Errorf("notification reasons %q, want %q", reasons, want)
	}
	recv.mu.Lock()
	if len(recv.notificationErrors) > 0 {
		t.Errorf("undecodable notifications: %q", recv.notificationErrors)
	}
	recv.mu.Unlock()
}

func sameHashes(alerts []*pb.GroupedAlert, want []uint64) bool {
	got := make([]uint64, 0, len(alerts))
	for _, a := range alerts {
		got = append(got, a.GetHash())
	}
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	return slices.Equal(got, want)
}

// checkWebhook: the webhook output got the same events as the file, each
// the same bytes as its line.
func checkWebhook(t *testing.T, file []recorded, recv *receiver) {
	recv.mu.Lock()
	defer recv.mu.Unlock()
	if len(recv.rejected) > 0 {
		t.Errorf("the webhook output sent %d requests without the URL's credentials: %q", len(recv.rejected), recv.rejected)
	}
	want := make([]string, len(file))
	for i, e := range file {
		want[i] = string(e.raw)
	}
	got := make([]string, len(recv.events))
	for i, b := range recv.events {
		got[i] = string(b)
	}
	// Four workers deliver concurrently, so compare the events as sets.
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the webhook got %d events and the file holds %d; they differ:\nonly in the file: %q\nonly at the webhook: %q",
			len(got), len(want), difference(want, got), difference(got, want))
	}
}

// difference is the sorted multiset a minus b.
func difference(a, b []string) []string {
	var out []string
	i, j := 0, 0
	for i < len(a) {
		switch {
		case j >= len(b) || a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			j++
		default:
			i++
			j++
		}
	}
	return out
}

// checkAddedOutput: the file output added at reload holds the tail of the
// first file, from about the reload on, and nothing recorded after the
// reload was seen to take effect is missing from it.
func checkAddedOutput(t *testing.T, file1, file2 []recorded, reloaded time.Time) {
	if len(file2) == 0 || len(file2) > len(file1) {
		t.Fatalf("the output added at reload holds %d events (the first file %d)", len(file2), len(file1))
	}
	k := len(file1) - len(file2)
	for i, e := range file2 {
		if !bytes.Equal(e.raw, file1[k+i].raw) {
			t.Fatalf("the output added at reload is not the tail of the first file: its event %d is\n%s\nwhere the first file has\n%s", i, e.raw, file1[k+i].raw)
		}
	}
	for _, e := range file1[:k] {
		if ts := e.ev.GetTimestamp().AsTime(); !ts.Before(reloaded) {
			t.Errorf("the output added at reload lacks a %s event recorded at %v, after the reload took effect at %v", e.typ, ts, reloaded)
		}
	}
	t.Logf("the output added at reload holds the last %d of %d events, from %s on", len(file2), len(file1), file2[0].typ)
}
