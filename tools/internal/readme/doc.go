// Package readme holds no code: its test keeps the repository's README.md
// in step with the code it documents (every configuration field of every
// output kind, every metric, every event type and make target), so that
// the reference cannot silently fall behind a new field.
//
// Every ```go block of the README must compile, and the quick start must
// run. A block that starts with "package" is a whole file, built as it
// stands; any other block is a fragment, built as the body of a function
// in a file whose imports and declarations the test keeps for the
// block's section (fragmentHarness). Prefer whole files.
package readme
