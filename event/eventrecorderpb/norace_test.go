//go:build !race

package eventrecorderpb

const raceEnabled = false
