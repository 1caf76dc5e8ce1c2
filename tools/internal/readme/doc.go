// Package readme holds no code: its test keeps the repository's README.md
// in step with the code it documents (every configuration field of every
// output kind, every metric, every event type and make target), so that
// the reference cannot silently fall behind a new field.
package readme
