//go:build race

package state_test

// raceEnabled: the race detector multiplies memory use, so RSS limits do
// not apply.
const raceEnabled = true
