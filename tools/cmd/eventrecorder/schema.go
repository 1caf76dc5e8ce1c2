package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/eventrecorder/eventrecorder/tools/internal/jsonl"
)

// schemaFlag adds --schema, the event-schema generation of the input
// lines (tail, replay) or of what is written (demo, check-config).
func schemaFlag(fs *flag.FlagSet) *string {
	return fs.String("schema", "auto", "schema generation of the events: v1 (package event, Alertmanager v0.33), v2 (event/v2, Alertmanager v0.35) or auto (each line's shape tells)")
}

// parseSchemaFlag returns the generation --schema asks for; auto is
// jsonl.SchemaUnknown, detection.
func parseSchemaFlag(v string) (jsonl.Schema, error) {
	if v == "auto" {
		return jsonl.SchemaUnknown, nil
	}
	s, err := jsonl.ParseSchema(v)
	if err != nil {
		return s, fmt.Errorf("--schema %q is not v1, v2 or auto", v)
	}
	return s, nil
}

// lineError words a line the Detector refused, after its file:line.
func lineError(err error) string {
	var mixed *jsonl.MixedError
	if errors.As(err, &mixed) {
		return "line of another schema generation skipped: " + err.Error()
	}
	return "malformed line skipped: " + err.Error()
}

// schemaNote says which generation a command read or wrote, for its
// summary.
func schemaNote(d *jsonl.Detector) string {
	s, at, why := d.Decided()
	switch {
	case s == jsonl.SchemaUnknown:
		return "schema: none (no events)"
	case at != "":
		return fmt.Sprintf("schema %s, detected at %s (%s)", s, at, why)
	}
	return fmt.Sprintf("schema %s (%s)", s, why)
}
