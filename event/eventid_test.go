package event_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/eventrecorder/eventrecorder/event"
	"github.com/eventrecorder/eventrecorder/event/eventrecorderpb"
	"github.com/eventrecorder/eventrecorder/internal/kafkatest"
	"github.com/eventrecorder/eventrecorder/internal/testtool"
	"github.com/eventrecorder/eventrecorder/sink"
	"github.com/eventrecorder/eventrecorder/sink/kafka"
	"github.com/eventrecorder/eventrecorder/sink/webhook"
)

// readLines returns the lines of a JSONL file.
func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for sc := bufio.NewScanner(bytes.NewReader(b)); sc.Scan(); {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	return out
}

// parseV7 parses an id and fails unless it is a UUIDv7.
func parseV7(t *testing.T, s string) sink.EventID {
	t.Helper()
	id, err := sink.ParseEventID(s)
	if err != nil || id.IsZero() || id[6]>>4 != 7 || id[8]>>6 != 0b10 || id.String() != s {
		t.Fatalf("id %q is not the canonical text of a UUIDv7 (%v)", s, err)
	}
	return id
}

// attempt is one request the webhook receiver got.
type attempt struct {
	id   string // the Event-Id header
	body string
}

// TestEventIDOnEveryOutput records through real outputs of every kind
// that carries the id — two files (with and without include_id), a
// webhook whose receiver fails the first two attempts at every event, a
// Kafka broker (kfake) with a JSON and an include_id protobuf topic — and
// checks that each event has one id everywhere: in the include_id file's
// "id", on every webhook attempt's Event-Id header, in every record's
// event_id header and in the protobuf value's id field. The file without
// include_id is the reference JSON: each line is the include_id line with
// the id taken out, byte for byte.
func TestEventIDOnEveryOutput(t *testing.T) {
	const n = 20
	var (
		mu       sync.Mutex
		attempts []attempt
		tries    = map[string]int{} // by body
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		attempts = append(attempts, attempt{id: r.Header.Get(webhook.HeaderEventID), body: string(body)})
		tries[string(body)]++
		try := tries[string(body)]
		mu.Unlock()
		if try <= 2 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c := kafkatest.Start(t)
	jsonTopic, pbTopic := c.NewTopic(t, 1), c.NewTopic(t, 1)
	dir := t.TempDir()
	plain, withID := filepath.Join(dir, "plain.jsonl"), filepath.Join(dir, "with-id.jsonl")
	cfg := mustConfig(t, fmt.Sprintf(`
file_outputs:
  - path: %s
  - path: %s
    include_id: true
webhook_outputs:
  - url: %s
    max_retries: 3
    retry_backoff: 1ms
kafka_outputs:
  - brokers: [%s]
    topic: %s
  - brokers: [%s]
    topic: %s
    format: protobuf
    include_id: true
`, plain, withID, srv.URL, c.Brokers[0], jsonTopic, c.Brokers[0], pbTopic))
	rec, _ := newRecorder(t, cfg, event.Options{Instance: "am-0:9093", CloseTimeout: 30 * time.Second})
	for i := range n {
		rec.RecordEvent(ctxOn, seqEvent(i))
	}
	testtool.WaitFor(t, "every output to account for every event", 30*time.Second, 5*time.Millisecond, func() bool {
		for _, st := range rec.Stats() {
			if st.Accounted() != n {
				return false
			}
		}
		return true
	})
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	for _, st := range rec.Stats() {
		if st.Delivered != n {
			t.Fatalf("output %s delivered %d of %d", st.Name, st.Delivered, n)
		}
	}

	// The include_id file: ids in record order, each greater than the
	// last, and the generated JSON is what protojson reads back.
	idLines, plainLines := readLines(t, withID), readLines(t, plain)
	if len(idLines) != n || len(plainLines) != n {
		t.Fatalf("files hold %d and %d lines, want %d", len(idLines), len(plainLines), n)
	}
	idOf := map[string]string{} // reference JSON -> id
	var prev sink.EventID
	for i, line := range idLines {
		var ev eventrecorderpb.Event
		if err := protojson.Unmarshal(line, &ev); err != nil {
			t.Fatalf("line %d %s: %v", i, line, err)
		}
		id := parseV7(t, ev.GetId())
		if i > 0 && bytes.Compare(prev[:], id[:]) >= 0 {
			t.Fatalf("line %d: id %s not after %s", i, id, prev)
		}
		prev = id
		if v := ev.GetData().GetAlertmanagerStartupEvent().GetVersion(); v != fmt.Sprint(i) {
			t.Fatalf("line %d holds event %s", i, v)
		}
		suffix := `,"id":"` + id.String() + `"}`
		if !bytes.HasSuffix(line, []byte(suffix)) {
			t.Fatalf("line %d %s does not end with %s", i, line, suffix)
		}
		// Default off: the other file's line is the reference envelope,
		// the same bytes without the id.
		ref := string(line[:len(line)-len(suffix)]) + "}"
		if string(plainLines[i]) != ref {
			t.Fatalf("line %d without include_id:\n%s\nwant the include_id line without its id:\n%s", i, plainLines[i], ref)
		}
		if bytes.Contains(plainLines[i], []byte(`"id"`)) {
			t.Fatalf("line %d without include_id has an id: %s", i, plainLines[i])
		}
		idOf[ref] = id.String()
	}

	// The webhook: three attempts at every event (two refused), each
	// with the event's id in Event-Id, and a body without it.
	mu.Lock()
	got := append([]attempt(nil), attempts...)
	mu.Unlock()
	if len(got) != 3*n {
		t.Fatalf("the receiver got %d requests, want %d (3 attempts at each of %d events)", len(got), 3*n, n)
	}
	perID := map[string]int{}
	for i, a := range got {
		want, ok := idOf[a.body]
		if !ok {
			t.Fatalf("request %d body %s is not one of the reference lines", i, a.body)
		}
		if a.id != want {
			t.Fatalf("request %d for the event of id %s has Event-Id %q", i, want, a.id)
		}
		perID[a.id]++
	}
	for id, k := range perID {
		if k != 3 {
			t.Fatalf("id %s was on %d attempts, want 3", id, k)
		}
	}

	// Kafka: the JSON topic's values are the reference lines, with the
	// id in the event_id header; the protobuf topic's values carry it in
	// their id field (include_id) as well.
	for i, r := range c.Read(t, jsonTopic).Records {
		want, ok := idOf[string(r.Value)]
		if !ok {
			t.Fatalf("record %d value %s is not a reference line", i, r.Value)
		}
		if h, _ := kafkatest.Header(r, kafka.HeaderEventID); h != want {
			t.Fatalf("record %d header %s = %q, want %s", i, kafka.HeaderEventID, h, want)
		}
	}
	pbRecords := c.Read(t, pbTopic).Records
	if len(pbRecords) != n {
		t.Fatalf("protobuf topic holds %d records, want %d", len(pbRecords), n)
	}
	for i, r := range pbRecords {
		var ev eventrecorderpb.Event
		if err := proto.Unmarshal(r.Value, &ev); err != nil {
			t.Fatal(err)
		}
		h, _ := kafkatest.Header(r, kafka.HeaderEventID)
		if ev.GetId() == "" || ev.GetId() != h {
			t.Fatalf("protobuf record %d: id field %q, header %q", i, ev.GetId(), h)
		}
		ev.Id = ""
		refLine, err := ev.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		if idOf[string(refLine)] != h {
			t.Fatalf("protobuf record %d has id %s, the file has %s for the same event", i, h, idOf[string(refLine)])
		}
	}

	// kcat (librdkafka) reads the header too.
	if kcat, err := testtool.Lookup("kcat"); err != nil {
		if os.Getenv("EVENTRECORDER_REQUIRE_TOOLS") == "1" {
			t.Fatalf("kcat: %v", err)
		}
		t.Logf("kcat not installed; the event_id header was read back with franz-go only")
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, kcat, "-C", "-b", c.Brokers[0], "-t", jsonTopic, "-o", "beginning", "-e", "-q", "-f", `%h\t%s\n`).Output()
		if err != nil {
			t.Fatalf("kcat: %v", err)
		}
		lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if len(lines) != n {
			t.Fatalf("kcat printed %d records, want %d", len(lines), n)
		}
		for i, l := range lines {
			h, v, _ := strings.Cut(l, "\t")
			want := "event_type=alertmanager_startup_event,content_type=application/json,event_id=" + idOf[v]
			if idOf[v] == "" || h != want {
				t.Fatalf("kcat record %d headers %q, want %q", i, h, want)
			}
		}
	}
}

// TestReplayKeepsEventID replays the lines an include_id file holds into
// a new recorder: each keeps its id (in the include_id output and in
// Message.ID), an envelope without an id gets a new one, and an id that
// is not a UUID is refused, naming it.
func TestReplayKeepsEventID(t *testing.T) {
	dir := t.TempDir()
	first := filepath.Join(dir, "first.jsonl")
	rec, _ := newRecorder(t, mustConfig(t, fmt.Sprintf("file_outputs: [{path: %s, include_id: true}]", first)), event.Options{})
	for i := range 5 {
		rec.RecordEvent(ctxOn, seqEvent(i))
	}
	must(rec.Close())
	lines := readLines(t, first)
	if len(lines) != 5 {
		t.Fatalf("%d lines, want 5", len(lines))
	}

	again, plain := filepath.Join(dir, "again.jsonl"), filepath.Join(dir, "plain.jsonl")
	rec, _ = newRecorder(t, mustConfig(t, fmt.Sprintf("file_outputs: [{path: %s, include_id: true}, {path: %s}]\nmemory_outputs: [{id: replay-ids}]", again, plain)), event.Options{})
	var want []string
	for _, line := range lines {
		var ev eventrecorderpb.Event
		if err := protojson.Unmarshal(line, &ev); err != nil {
			t.Fatal(err)
		}
		want = append(want, ev.GetId())
		if err := rec.Replay(context.Background(), &ev); err != nil {
			t.Fatal(err)
		}
	}
	fresh := &eventrecorderpb.Event{Instance: "am-9:9093", Data: seqEvent(5), Timestamp: lineTime()}
	if err := rec.Replay(context.Background(), fresh); err != nil {
		t.Fatal(err)
	}
	bad := &eventrecorderpb.Event{Instance: "am-9:9093", Data: seqEvent(6), Timestamp: lineTime(), Id: "not-a-uuid"}
	if err := rec.Replay(context.Background(), bad); err == nil || !strings.Contains(err.Error(), `"not-a-uuid"`) {
		t.Fatalf("replaying an envelope with id %q: error %v, want one naming it", bad.Id, err)
	}
	must(rec.Close())
	replayed := readLines(t, again)
	if len(replayed) != 6 {
		t.Fatalf("%d lines replayed, want 6", len(replayed))
	}
	plainLines := readLines(t, plain)
	for i, line := range replayed[:5] {
		if !bytes.Equal(line, lines[i]) {
			t.Fatalf("replayed line %d:\n%s\nwant it as it was:\n%s", i, line, lines[i])
		}
		// An output without include_id writes the reference envelope,
		// even of an envelope that came with an id.
		ref := bytes.Replace(line, []byte(`,"id":"`+want[i]+`"`), nil, 1)
		if !bytes.Equal(plainLines[i], ref) || bytes.Contains(ref, []byte(`"id"`)) {
			t.Fatalf("replayed line %d without include_id:\n%s\nwant\n%s", i, plainLines[i], ref)
		}
	}
	var last eventrecorderpb.Event
	if err := protojson.Unmarshal(replayed[5], &last); err != nil {
		t.Fatal(err)
	}
	newID := parseV7(t, last.GetId())
	msgs := memorySinks("replay-ids")[0].messages()
	if len(msgs) != 6 {
		t.Fatalf("memory output got %d messages, want 6", len(msgs))
	}
	for i, m := range msgs {
		w := newID.String()
		if i < 5 {
			w = want[i]
		}
		if m.ID.String() != w {
			t.Fatalf("message %d has ID %s, want %s", i, m.ID, w)
		}
	}
}

func lineTime() *timestamppb.Timestamp { return timestamppb.New(time.Unix(1700000000, 5)) }

// TestWebhookBatchCarriesIDsInTheBody: a batch body holds events of many
// ids, so it has no Event-Id header; with include_id each event in it
// carries its own.
func TestWebhookBatchCarriesIDsInTheBody(t *testing.T) {
	const n = 10
	var (
		mu      sync.Mutex
		headers []string
		ids     []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var evs []map[string]any
		if err := json.Unmarshal(body, &evs); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		headers = append(headers, r.Header.Get(webhook.HeaderEventID))
		for _, ev := range evs {
			id, _ := ev["id"].(string)
			ids = append(ids, id)
		}
	}))
	defer srv.Close()
	rec, _ := newRecorder(t, mustConfig(t, fmt.Sprintf("webhook_outputs: [{url: %s, batch: true, batch_max_events: 1, include_id: true}]", srv.URL)), event.Options{})
	for i := range n {
		rec.RecordEvent(ctxOn, seqEvent(i))
	}
	must(rec.Close())
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != n {
		t.Fatalf("the receiver got %d events, want %d", len(ids), n)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		parseV7(t, id)
		seen[id] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct ids among %d events", len(seen), n)
	}
	for i, h := range headers {
		if h != "" {
			t.Fatalf("batch request %d has %s %q", i, webhook.HeaderEventID, h)
		}
	}
}

// TestEventIDKeptAcrossDiskBufferRestart: a webhook with a disk buffer
// whose receiver refuses everything; Close leaves every event Persisted.
// The next recorder on the same buffer, with the receiver up, delivers
// them with the ids they were recorded with (the include_id file of the
// first run says which), on the refused attempts and the accepted ones.
func TestEventIDKeptAcrossDiskBufferRestart(t *testing.T) {
	const n = 20
	var (
		mu       sync.Mutex
		up       bool
		attempts []attempt
		accepted = map[string]int{} // by Event-Id
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, attempt{id: r.Header.Get(webhook.HeaderEventID), body: string(body)})
		if !up {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		accepted[r.Header.Get(webhook.HeaderEventID)]++
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	dir := t.TempDir()
	ids := filepath.Join(dir, "ids.jsonl")
	hook := fmt.Sprintf("webhook_outputs: [{url: %s, max_retries: 1, retry_backoff: 1ms, buffer: {type: disk, path: %s}}]", srv.URL, filepath.Join(dir, "buffer"))
	rec, _ := newRecorder(t, mustConfig(t, hook+fmt.Sprintf("\nfile_outputs: [{path: %s, include_id: true}]", ids)), event.Options{CloseTimeout: 10 * time.Second})
	for i := range n {
		rec.RecordEvent(ctxOn, seqEvent(i))
	}
	testtool.WaitFor(t, "the file to hold every event", 30*time.Second, 5*time.Millisecond, func() bool {
		return statOf(t, rec, "file:").Delivered == n
	})
	must(rec.Close())
	if st := statOf(t, rec, "webhook:"); st.Persisted != n {
		t.Fatalf("webhook after Close while refused: %+v, want %d persisted", st, n)
	}
	idOf := map[string]string{} // reference JSON -> id
	for _, line := range readLines(t, ids) {
		var ev eventrecorderpb.Event
		if err := protojson.Unmarshal(line, &ev); err != nil {
			t.Fatal(err)
		}
		ref := bytes.Replace(line, []byte(`,"id":"`+ev.GetId()+`"`), nil, 1)
		idOf[string(ref)] = parseV7(t, ev.GetId()).String()
	}
	if len(idOf) != n {
		t.Fatalf("%d distinct events in the file, want %d", len(idOf), n)
	}

	mu.Lock()
	up = true
	mu.Unlock()
	rec, _ = newRecorder(t, mustConfig(t, hook), event.Options{CloseTimeout: 10 * time.Second})
	testtool.WaitFor(t, "the persisted events delivered", 30*time.Second, 5*time.Millisecond, func() bool {
		return statOf(t, rec, "webhook:").Delivered == n
	})
	must(rec.Close())
	mu.Lock()
	defer mu.Unlock()
	for i, a := range attempts {
		if want, ok := idOf[a.body]; !ok || a.id != want {
			t.Fatalf("request %d (of %d) has Event-Id %q for a body recorded with id %q (known body: %v)", i, len(attempts), a.id, want, ok)
		}
	}
	if len(accepted) != n {
		t.Fatalf("the receiver accepted %d distinct ids, want %d", len(accepted), n)
	}
	for id, k := range accepted {
		if k != 1 {
			t.Fatalf("id %s accepted %d times", id, k)
		}
	}
}

// statOf is the stats of the recorder's one output whose name starts with
// prefix.
func statOf(t *testing.T, rec event.Recorder, prefix string) event.OutputStats {
	t.Helper()
	for _, st := range rec.Stats() {
		if strings.HasPrefix(st.Name, prefix) {
			return st
		}
	}
	t.Fatalf("no output named %s...", prefix)
	return event.OutputStats{}
}

// TestEventIDsIncreaseInDeliveryOrder records from many goroutines at
// once and requires every id in the include_id file to be greater than
// the line's before it, and unique. The consumer makes the ids in queue
// order; made on the callers' goroutines, two callers could take ids in
// one order and queue their events in the other, and the file would hold
// them out of order.
func TestEventIDsIncreaseInDeliveryOrder(t *testing.T) {
	const producers, each = 8, 2000
	path := filepath.Join(t.TempDir(), "ids.jsonl")
	cfg := mustConfig(t, fmt.Sprintf("file_outputs: [{path: %s, include_id: true}]", path))
	rec, _ := newRecorder(t, cfg, event.Options{QueueSize: producers * each})
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				rec.RecordEvent(ctxOn, seqEvent(p*each+i))
			}
		})
	}
	wg.Wait()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if st := rec.Stats()[0]; st.Delivered != producers*each {
		t.Fatalf("delivered %d of %d (dropped %d)", st.Delivered, producers*each, rec.Dropped())
	}
	lines := readLines(t, path)
	if len(lines) != producers*each {
		t.Fatalf("%d lines, want %d", len(lines), producers*each)
	}
	var last sink.EventID
	for i, line := range lines {
		var v struct{ ID string }
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		id := parseV7(t, v.ID)
		if i > 0 && bytes.Compare(id[:], last[:]) <= 0 {
			t.Fatalf("line %d: id %s is not greater than line %d's %s", i+1, id, i, last)
		}
		last = id
	}
}
