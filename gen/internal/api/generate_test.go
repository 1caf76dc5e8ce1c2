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
	want := []string{ConstructorsFile, ConvertersFile, EventTypesFile, SchemaFile}
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
			name: "map range without sort_by",
			old:  "        var: pairs\n        sort_by: key\n",
			new:  "        var: pairs\n",
			want: "converters: LabelSetAsProto: LabelSet.labels: key: a range over a map needs sort_by",
		},
		{
			name: "sort_by names no field",
			old:  "        var: pairs\n        sort_by: key\n",
			new:  "        var: pairs\n        sort_by: kee\n",
			want: "converters: LabelSetAsProto: LabelSet.labels: sort_by: eventrecorder.v1.LabelPair has no field kee",
		},
		{
			name: "map range with an expression for elements",
			old:  "        value:\n          fields:\n            key: k\n            value: v\n",
			new:  "        value: k\n",
			want: "converters: stringMapAsProto: LabelSet.labels: key: a range over a map builds its elements: give value as fields",
		},
		{
			name: "key and as the same",
			old:  "        key: k\n        as: v\n",
			new:  "        key: k\n        as: k\n",
			want: `converters: stringMapAsProto: LabelSet.labels: key and as are both "k"`,
		},
		{
			name: "converter returning another message",
			old:  "      labels: LabelSetAsProto(a.Labels)\n",
			new:  "      labels: AlertAsProto(a)\n",
			want: "converters: AlertAsProto: Alert.labels: AlertAsProto returns eventrecorder.v1.Alert, the field holds eventrecorder.v1.LabelSet",
		},
		{
			name: "inlined call with too many arguments",
			old:  "      labels: LabelSetAsProto(a.Labels)\n",
			new:  "      labels: LabelSetAsProto(a.Labels, a.Labels)\n",
			want: "converters: AlertAsProto: Alert.labels: LabelSetAsProto has 1 parameter, the call gives 2",
		},
		{
			name: "a loop variable called self where self is used",
			old:  "        as: value\n        var: pairs\n        sort_by: key\n        value:\n          fields:\n            key: string(name)\n            value: string(value)\n",
			new:  "        as: self\n        var: pairs\n        sort_by: key\n        value:\n          fields:\n            key: string(name)\n            value: string(self)\n",
			want: "converters: LabelSetAsProto: LabelSet.labels[]: self names the message being built, and a parameter or loop variable cannot be called so",
		},
		{
			name: "converter calling itself",
			old:  "converters:\n",
			new:  "converters:\n  - name: nodeAsProto\n    params: n int\n    result: Node\n    fields:\n      child: nodeAsProto(n - 1)\n",
			schemaEdit: func(s string) string {
				return s + "\nmessage Node {\n  Node child = 1;\n}\n"
			},
			want: "converters: nodeAsProto: calls itself (nodeAsProto → nodeAsProto); converters are inlined into their callers, so they cannot recurse",
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

// TestInlinedConvertersHaveNoFunction: an unexported converter the
// mapping only uses as a field's whole value is inlined everywhere and
// gets no function of its own (it would be dead code, which the linter
// rejects); once an expression calls it as a function, it gets one.
func TestInlinedConvertersHaveNoFunction(t *testing.T) {
	base := realMapping(t)
	funcs := decls(t, mustRun(t, schematest.Schema(t), base)[ConvertersFile])
	for _, name := range []string{"timestampAsProto", "cloneTimestamp", "durationAsProto", "stringMapAsProto", "silenceMatchersAsProto"} {
		if sig, ok := funcs[name]; ok {
			t.Errorf("%s is only inlined, yet generated: %s", name, sig)
		}
	}
	for _, name := range []string{"AlertAsProto", "GroupedAlertAsProto", "LabelSetAsProto", "MatchersAsProto", "SilenceAsProto", "newSlab"} {
		if _, ok := funcs[name]; !ok {
			t.Errorf("%s is not generated", name)
		}
	}

	// In parentheses the call is an expression like any other.
	const old = "      ends_at: timestampAsProto(a.EndsAt)\n"
	if !strings.Contains(base, old) {
		t.Fatalf("mapping.yaml no longer contains %q; update the test", old)
	}
	called := strings.Replace(base, old, "      ends_at: (timestampAsProto(a.EndsAt))\n", 1)
	funcs = decls(t, mustRun(t, schematest.Schema(t), called)[ConvertersFile])
	if got, want := funcs["timestampAsProto"], "func timestampAsProto(t time.Time) *timestamppb.Timestamp"; got != want {
		t.Errorf("called as a function: got %q, want %q", got, want)
	}
}

// TestGeneratedAllocation pins the shape of what a converter with a map
// range and inlined calls generates: one sizing pass, one allocation for
// the block and the first slab, pairs from the slab, the generated sort,
// and self reading a field built before it.
func TestGeneratedAllocation(t *testing.T) {
	body := string(mustRun(t, schematest.Schema(t), realMapping(t))[ConvertersFile])
	start := strings.Index(body, "func AlertAsProto(")
	end := strings.Index(body[start:], "\n}\n")
	if start < 0 || end < 0 {
		t.Fatal("no AlertAsProto in the converters")
	}
	fn := body[start : start+end]
	for _, want := range []string{
		"\tnLabelPair := 0\n\tif a.Labels != nil {\n\t\tnLabelPair += len(a.Labels)\n\t}\n\tif a.Annotations != nil {\n\t\tnLabelPair += len(a.Annotations)\n\t}\n" +
			"\tblk, labelPairSlab := newSlab[alertAsProtoBlock, eventrecorderpb.LabelPair](nLabelPair)\n",
		"\t\tpairs := labelPairSlab.take(len(a.Labels))\n\t\tfor name, value := range a.Labels {\n\t\t\tlabelPair := labelPairSlab.next()\n",
		"\t\tsortLabelPairsByKey(pairs)\n",
		"\tblk.alertStartsAt.Seconds = a.StartsAt.Unix()\n",
		// Built fields first, then the expressions, which may read them.
		"\talert2.Labels = labels2\n\talert2.Annotations = annotations\n\talert2.StartsAt = &blk.alertStartsAt\n\talert2.EndsAt = &blk.alertEndsAt\n" +
			"\talert2.Fingerprint = labelsFingerprint(alert2.Labels)\n",
	} {
		if !strings.Contains(fn, want) {
			t.Errorf("AlertAsProto lacks %q:\n%s", want, fn)
		}
	}
	for _, unwanted := range []string{"timestamppb.New", "&eventrecorderpb.LabelPair{", "make("} {
		if strings.Contains(fn, unwanted) {
			t.Errorf("AlertAsProto still allocates per message (%s):\n%s", unwanted, fn)
		}
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
