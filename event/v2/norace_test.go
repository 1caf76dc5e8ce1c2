//go:build !race

package eventrecorder

const raceEnabled = false
