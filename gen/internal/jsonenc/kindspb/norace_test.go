//go:build !race

package kindspb

const raceEnabled = false
