package cli

import (
	"slices"
	"strconv"
	"strings"
)

func sortStrings(s []string) { slices.Sort(s) }

// parseBoolProperty parses Kafka's boolean spelling: "true" in any case is
// true, "false" false, anything else an error.
func parseBoolProperty(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func joinInt32s(xs []int32) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(int(x)))
	}
	return b.String()
}

// plural renders "1 record" or "3 records".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}
