package api

import (
	"strings"
	"testing"

	"github.com/eventrecorder/eventrecorder/gen/internal/schematest"
)

const positionField = "  uint32 cluster_position = 4;\n"

// A schema whose envelope has a 64-bit cluster position (as events.v2's
// has) stamps the runtime's position as it is; the v1 schema's 32-bit
// field gets a conversion.
func TestSchemaDescriptionStampsThePositionWidth(t *testing.T) {
	schema := schematest.Schema(t)
	if !strings.Contains(schema, positionField) {
		t.Fatal("the schema's envelope changed shape; update positionField")
	}
	v1 := string(mustRun(t, schema, realMapping(t))[SchemaFile])
	wide := string(mustRun(t, strings.Replace(schema, positionField, "  uint64 cluster_position = 4;\n", 1), realMapping(t))[SchemaFile])
	for _, c := range []struct{ name, src, want string }{
		{"uint32", v1, "env.ev.ClusterPosition = uint32(clusterPosition)\n"},
		{"uint64", wide, "env.ev.ClusterPosition = clusterPosition\n"},
	} {
		if !strings.Contains(c.src, c.want) {
			t.Errorf("%s position: %s lacks %q", c.name, SchemaFile, c.want)
		}
		for _, want := range []string{
			"const _ = runtime.IsAtLeastVersion2",
			"var schema = runtime.Schema[*eventrecorderpb.Event, *eventrecorderpb.EventData]{",
			`Name:            "eventrecorder.v1",`,
			"AppendJSON:      (*eventrecorderpb.Event).AppendJSON,",
			`"github.com/eventrecorder/eventrecorder/event/runtime"`,
		} {
			if !strings.Contains(c.src, want) {
				t.Errorf("%s position: %s lacks %q", c.name, SchemaFile, want)
			}
		}
	}
}

// An envelope the runtime cannot stamp fails generation, naming the
// message and each field that is wrong.
func TestSchemaDescriptionChecksTheEnvelope(t *testing.T) {
	schema := strings.Replace(schematest.Schema(t), positionField, "  int32 cluster_position = 4;\n", 1)
	schema = strings.Replace(schema, "  string instance = 2;\n", "  bytes instance = 2;\n", 1)
	_, err := run(t, schema, realMapping(t))
	if err == nil {
		t.Fatal("generation accepted an envelope with an int32 position and a bytes instance")
	}
	for _, want := range []string{"envelope eventrecorder.v1.Event", "instance must be a singular string", "cluster_position must be a singular uint32 or uint64"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := run(t, schematest.Schema(t), realMapping(t)+"\nenvelope: Envelope\n"); err == nil || !strings.Contains(err.Error(), `envelope: no message "Envelope"`) {
		t.Errorf("a missing envelope message gives %v", err)
	}
}

const idField = "  string id = 15;\n"

// An envelope with a string id field gets the runtime's event-id fields
// (ID, SetID, runtime version 2); one without keeps to version 1 and sets
// neither, so that it still binds to a runtime without ids; an id of
// another type fails generation, naming the field.
func TestSchemaDescriptionEventID(t *testing.T) {
	schema := schematest.Schema(t)
	if !strings.Contains(schema, idField) {
		t.Fatal("the schema's envelope changed shape; update idField")
	}
	with := string(mustRun(t, schema, realMapping(t))[SchemaFile])
	for _, want := range []string{
		"const _ = runtime.IsAtLeastVersion2",
		"ID:              (*eventrecorderpb.Event).GetId,",
		"SetID:           setEnvelopeID,",
		"func setEnvelopeID(e *eventrecorderpb.Event, id string) {\n\te.Id = id\n}",
	} {
		if !strings.Contains(with, want) {
			t.Errorf("with an id field, %s lacks %q", SchemaFile, want)
		}
	}
	without := string(mustRun(t, strings.Replace(schema, idField, "", 1), realMapping(t))[SchemaFile])
	if !strings.Contains(without, "const _ = runtime.IsAtLeastVersion1") {
		t.Errorf("without an id field, %s does not ask for runtime version 1:\n%s", SchemaFile, without)
	}
	for _, absent := range []string{"IsAtLeastVersion2", "SetID", "GetId"} {
		if strings.Contains(without, absent) {
			t.Errorf("without an id field, %s has %q", SchemaFile, absent)
		}
	}
	_, err := run(t, strings.Replace(schema, idField, "  bytes id = 15;\n", 1), realMapping(t))
	if err == nil || !strings.Contains(err.Error(), "id must be a singular string when present") {
		t.Errorf("a bytes id gives %v", err)
	}
}
