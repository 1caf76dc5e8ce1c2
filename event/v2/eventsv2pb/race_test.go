//go:build race

package eventsv2pb

const raceEnabled = true
