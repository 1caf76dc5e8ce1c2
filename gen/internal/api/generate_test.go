package api

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/compiler/protogen"

	"github.com/eventrecorder/eventrecorder/gen/internal/schematest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// realMapping is the checked-in event/mapping.yaml.
func realMapping(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(schematest.RepoRoot(t), "event", "mapping.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// run generates from a schema source and a mapping source and returns the
// files by name, or the error.
func run(t *testing.T, schema, mapping string) (map[string][]byte, error) {
	t.Helper()
	m, err := ParseMapping([]byte(mapping))
	if err != nil {
		return nil, err
	}
	p, err := protogen.Options{}.New(schematest.Request(t, schema))
	if err != nil {
		t.Fatal(err)
	}
	if err := Generate(p, m, "mapping.yaml"); err != nil {
		return nil, err
	}
	resp := p.Response()
	if resp.Error != nil {
		t.Fatalf("response error: %s", resp.GetError())
	}
	out := map[string][]byte{}
	for _, f := range resp.File {
		out[f.GetName()] = []byte(f.GetContent())
	}
	return out, nil
}

func mustRun(t *testing.T, schema, mapping string) map[string][]byte {
	t.Helper()
	out, err := run(t, schema, mapping)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCheckedInFilesAreCurrent regenerates in process and compares with the
// files in event/, so a stale checkout fails `go test` too, not only the CI
// diff after `go generate`.
func TestCheckedInFilesAreCurrent(t *testing.T) {
	out := mustRun(t, schematest.Schema(t), realMapping(t))
	want := []string{ConstructorsFile, ConvertersFile, EventTypesFile}
	if len(out) != len(want) {
		t.Fatalf("generated %d files, want %v", len(out), want)
	}
	for _, name := range want {
		got, ok := out[name]
		if !ok {
			t.Fatalf("%s not generated", name)
		}
		disk, err := os.ReadFile(filepath.Join(schematest.RepoRoot(t), "event", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, disk) {
			t.Errorf("event/%s is stale; run `go generate ./event/`\n%s", name, firstDiff(disk, got))
		}
	}
}

// TestDeterministic generates repeatedly: Go randomises map iteration, so
// any output that depended on it would differ between runs.
func TestDeterministic(t *testing.T) {
	schema, mapping := schematest.Schema(t), realMapping(t)
	first := mustRun(t, schema, mapping)
	for i := 0; i < 10; i++ {
		again := mustRun(t, schema, mapping)
		for name, b := range first {
			if !bytes.Equal(b, again[name]) {
				t.Fatalf("run %d: %s differs\n%s", i, name, firstDiff(b, again[name]))
			}
		}
	}
}

func TestOutputIsGofmtedAndMarked(t *testing.T) {
	for name, b := range mustRun(t, schematest.Schema(t), realMapping(t)) {
		if !bytes.HasPrefix(b, []byte(header+"\n")) {
			t.Errorf("%s does not start with %q", name, header)
		}
		formatted, err := format.Source(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(formatted, b) {
			t.Errorf("%s is not gofmt'ed\n%s", name, firstDiff(b, formatted))
		}
	}
}

// configReloaded is the schema edit of the extension walkthrough.
func configReloaded(schema string) string {
	schema = strings.Replace(schema,
		"    InhibitionMutedAlertEvent inhibition_muted_alert = 10;\n",
		"    InhibitionMutedAlertEvent inhibition_muted_alert = 10;\n    ConfigReloadedEvent config_reloaded = 11;\n", 1)
	return schema + "\n// ConfigReloadedEvent is recorded after a configuration reload.\nmessage ConfigReloadedEvent {\n  string config_hash = 1;\n  bool success = 2;\n}\n"
}

// TestNewEventTypeNeedsNoMapping is the generator's half of the extension
// promise: a new arm with no mapping entry gets a constant, a case in
// EventTypeName and a constructor taking the payload's fields.
func TestNewEventTypeNeedsNoMapping(t *testing.T) {
	schema := configReloaded(schematest.Schema(t))
	if !strings.Contains(schema, "config_reloaded = 11") {
		t.Fatal("schema edit did not apply; the arm list changed shape")
	}
	out := mustRun(t, schema, realMapping(t))

	funcs := decls(t, out[ConstructorsFile])
	const wantSig = "func NewConfigReloadedEvent(configHash string, success bool) *eventrecorderpb.EventData"
	if got := funcs["NewConfigReloadedEvent"]; got != wantSig {
		t.Errorf("constructor:\n got %s\nwant %s", got, wantSig)
	}
	types := string(out[EventTypesFile])
	for _, want := range []string{
		`EventTypeConfigReloaded = "config_reloaded"`,
		"case *eventrecorderpb.EventData_ConfigReloaded:\n\t\treturn EventTypeConfigReloaded",
		"\tEventTypeInhibitionMutedAlert,\n\tEventTypeConfigReloaded,\n}",
	} {
		if !strings.Contains(types, want) {
			t.Errorf("%s lacks %q", EventTypesFile, want)
		}
	}
	body := string(out[ConstructorsFile])
	for _, want := range []string{
		// One allocation holds the EventData, its oneof wrapper and the
		// payload.
		"\tblk := new(newConfigReloadedEventBlock)\n\tblk.event.ConfigHash = configHash\n\tblk.event.Success = success\n" +
			"\tblk.arm.ConfigReloaded = &blk.event\n\tblk.data.EventType = &blk.arm\n\treturn &blk.data\n",
		"type newConfigReloadedEventBlock struct {\n\tdata  eventrecorderpb.EventData\n\tarm   eventrecorderpb.EventData_ConfigReloaded\n\tevent eventrecorderpb.ConfigReloadedEvent\n}",
		"// ConfigReloadedEvent is recorded after a configuration reload.\nfunc NewConfigReloadedEvent",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("%s lacks %q", ConstructorsFile, want)
		}
	}
}

// TestReferenceSignatures pins the generated API to the reference (the
// names and signatures Alertmanager's callers compile against). The
// reference spells alerts *types.Alert, an alias of *alert.Alert before
// v0.35; parameter names are not part of a function's type, so a is ours.
func TestReferenceSignatures(t *testing.T) {
	out := mustRun(t, schematest.Schema(t), realMapping(t))
	all := map[string]string{}
	for _, name := range []string{ConstructorsFile, ConvertersFile, EventTypesFile} {
		for k, v := range decls(t, out[name]) {
			all[k] = v
		}
	}
	want := []string{
		"func AlertAsProto(a *alert.Alert) *eventrecorderpb.Alert",
		"func InhibitRuleAsProto(sourceMatchers, targetMatchers labels.Matchers, equal map[model.LabelName]struct{}) *eventrecorderpb.InhibitRule",
		"func LabelSetAsProto(ls model.LabelSet) *eventrecorderpb.LabelSet",
		"func MatcherAsProto(m *labels.Matcher) *eventrecorderpb.Matcher",
		"func MatchersAsProto(matchers labels.Matchers) []*eventrecorderpb.Matcher",
		"func NewAlertCreatedEvent(a *alert.Alert) *eventrecorderpb.EventData",
		"func NewInhibitionMutedAlertEvent(rules []*eventrecorderpb.InhibitRule, fp model.Fingerprint, lset model.LabelSet, inhibitingFPs []model.Fingerprint) *eventrecorderpb.EventData",
		"func NewSilenceCreatedEvent(silence *eventrecorderpb.Silence) *eventrecorderpb.EventData",
		"func NewSilenceMutedAlertEvent(silence *eventrecorderpb.Silence, fp model.Fingerprint, lset model.LabelSet) *eventrecorderpb.EventData",
		"func NewSilenceUpdatedEvent(silence *eventrecorderpb.Silence) *eventrecorderpb.EventData",
		"func SilenceAsProto(sil *silencepb.Silence) *eventrecorderpb.Silence",
		"func SilenceMatcherAsProto(m *silencepb.Matcher) *eventrecorderpb.Matcher",
		// Ours, for the other arms and for the recorder.
		"func NewAlertmanagerStartupEvent(version, buildContext string) *eventrecorderpb.EventData",
		"func NewAlertmanagerShutdownEvent() *eventrecorderpb.EventData",
		"func NewAlertGroupedEvent(a *alert.Alert, hash uint64, group *eventrecorderpb.AlertGroupInfo) *eventrecorderpb.EventData",
		"func NewAlertResolvedEvent(a *alert.Alert, hash uint64, group *eventrecorderpb.AlertGroupInfo) *eventrecorderpb.EventData",
		"func NewNotificationEvent(n NotificationParams) *eventrecorderpb.EventData",
		"func EventTypeName(d *eventrecorderpb.EventData) string",
		"func EventTypeNames() []string",
	}
	for _, sig := range want {
		name := strings.TrimPrefix(sig[:strings.Index(sig, "(")], "func ")
		if all[name] != sig {
			t.Errorf("%s:\n got %s\nwant %s", name, all[name], sig)
		}
	}
}

// TestMappingErrors checks that mistakes in the mapping fail generation
// with a message that names the culprit, instead of generating code that
// drops data or does not compile.
func TestMappingErrors(t *testing.T) {
	base := realMapping(t)
	schema := schematest.Schema(t)
	cases := []struct {
		name, old, new, want string
		schemaEdit           func(string) string
	}{
		{
			name: "unknown field",
			old:  "      resolved: a.Resolved()\n",
			new:  "      resolved: a.Resolved()\n      resolvd: true\n",
			want: "converters: AlertAsProto: eventrecorder.v1.Alert has no field resolvd",
		},
		{
			name: "unmapped field",
			old:  "      resolved: a.Resolved()\n",
			new:  "",
			want: "converters: AlertAsProto: field Alert.resolved is neither mapped nor listed under omit",
		},
		{
			name: "field added to a mapped payload",
			old:  "", // mapping unchanged; the schema grows a field
			schemaEdit: func(s string) string {
				return strings.Replace(s, "message AlertCreatedEvent {\n  Alert alert = 1;\n", "message AlertCreatedEvent {\n  Alert alert = 1;\n  string source = 2;\n", 1)
			},
			want: "constructors: alert_created: field AlertCreatedEvent.source is neither mapped nor listed under omit",
		},
		{
			name: "unknown arm",
			old:  "  alert_created:\n",
			new:  "  alert_createdd:\n    params: x int\n  alert_created:\n",
			want: "constructors: alert_createdd: no such EventData arm",
		},
		{
			name: "bad expression",
			old:  "      name: a.Name()\n",
			new:  "      name: a.Name(\n",
			want: "converters: AlertAsProto: Alert.name: expression \"a.Name(\"",
		},
		{
			name: "loop variable shadows a parameter",
			old:  "        as: inhibitingFP\n",
			new:  "        as: fp\n",
			want: `inhibiting_fingerprints: as: "fp" would shadow a name already in use`,
		},
		{
			name: "parameter shadows an import",
			old:  "    params: a *alert.Alert\n    nil: a\n",
			new:  "    params: alert *alert.Alert\n    nil: alert\n",
			want: `converters: AlertAsProto: parameters "alert *alert.Alert": alert would shadow the import alert (github.com/prometheus/alertmanager/alert)`,
		},
		{
			name: "unknown enum value",
			old:  "      TYPE_EQUAL: labels.MatchEqual\n",
			new:  "      TYPE_EQUAL: labels.MatchEqual\n      TYPE_FUZZY: labels.MatchEqual\n",
			want: "enums: matchTypeAsProto: values: TYPE_FUZZY not in enum eventrecorder.v1.Matcher.Type",
		},
		{
			name: "unknown key",
			old:  "    nil: a\n",
			new:  "    nill: a\n",
			want: "field nill not found",
		},
		{
			name: "nil names no parameter",
			old:  "    nil: a\n",
			new:  "    nil: alrt\n",
			want: `converters: AlertAsProto: nil: "alrt" is not a parameter`,
		},
		{
			name: "unknown result message",
			old:  "    result: Alert\n",
			new:  "    result: Alrt\n",
			want: `converters: AlertAsProto: result: no message "Alrt" in the schema`,
		},
		{
			name: "fields on a default constructor",
			old:  "constructors:\n",
			new:  "constructors:\n  alertmanager_shutdown_event:\n    omit: [x]\n",
			want: "constructors: alertmanager_shutdown_event: fields and omit need params",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mapping := base
			if tc.old != "" {
				if !strings.Contains(base, tc.old) {
					t.Fatalf("mapping.yaml no longer contains %q; update the test", tc.old)
				}
				mapping = strings.Replace(base, tc.old, tc.new, 1)
			}
			s := schema
			if tc.schemaEdit != nil {
				if s = tc.schemaEdit(schema); s == schema {
					t.Fatal("schema edit did not apply")
				}
			}
			_, err := run(t, s, mapping)
			if err == nil {
				t.Fatalf("no error, want one containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

// TestOtherFilesAreIgnored: a request that does not include the EventData
// schema yields no files, so the plugin is harmless over other modules.
func TestOtherFilesAreIgnored(t *testing.T) {
	req := schematest.Request(t, schematest.Schema(t))
	req.FileToGenerate = []string{"google/protobuf/timestamp.proto"}
	p, err := protogen.Options{}.New(req)
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseMapping([]byte(realMapping(t)))
	if err != nil {
		t.Fatal(err)
	}
	if err := Generate(p, m, "mapping.yaml"); err != nil {
		t.Fatal(err)
	}
	if files := p.Response().File; len(files) != 0 {
		t.Fatalf("generated %d files for a request without the schema", len(files))
	}
}

// decls maps each top-level func in src to its signature as gofmt prints
// it.
func decls(t *testing.T, src []byte) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		fd.Body = nil
		var b bytes.Buffer
		if err := format.Node(&b, fset, fd); err != nil {
			t.Fatal(err)
		}
		out[fd.Name.Name] = b.String()
	}
	return out
}

// firstDiff shows the first differing line of two files, enough to see
// what changed without a diff library.
func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  have: %s\n  want: %s", i+1, x, y)
		}
	}
	return "(no line differs)"
}
