package sink

import (
	"fmt"
	"regexp"

	"go.yaml.in/yaml/v2"
)

// YAMLKind names the kind of YAML node a yaml.v2 decode produced ("a
// mapping", "a list", "a string", ...), for configuration errors that say
// what was found where something else was wanted.
func YAMLKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case []any:
		return "a list"
	case yaml.MapSlice, map[any]any:
		return "a mapping"
	case int, int64, uint64, float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// The type may be an anonymous struct, whose name has spaces.
var yamlUnknownField = regexp.MustCompile(`^(?:line \d+: )?field (\S+) not found in type \S.*$`)

// YAMLUnknownField returns the key that one message of a yaml.v2 strict
// decode ("line 3: field colour not found in type file.Config", with or
// without the line marker) says is unknown, and whether it is such a
// message. Configuration errors report it as "<path>.colour: unknown
// field" instead of naming a Go type.
func YAMLUnknownField(msg string) (string, bool) {
	m := yamlUnknownField.FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	return m[1], true
}
