// Package kindspb holds a test schema covering every field kind and
// cardinality the JSON encoder generator supports, with its generated
// protobuf types and encoders; its tests check them against protojson.
package kindspb

//go:generate go tool buf generate
