package sink

import (
	"fmt"

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
