package transforms

import (
	"fmt"
	"regexp"
	"strings"
)

// Kafka's regex settings are Java regular expressions; Go's RE2 accepts the
// common subset. Features RE2 lacks (lookaround, backreferences, possessive
// quantifiers) are rejected when the transformation is configured, never
// silently changed.

// compileJavaRegex compiles pattern for whole-string matching (Java's
// Matcher.matches()).
func compileJavaRegex(pattern string) (*regexp.Regexp, error) {
	if _, err := regexp.Compile(pattern); err != nil {
		return nil, fmt.Errorf("Invalid regex: %v (Java-only features such as lookaround, backreferences and possessive quantifiers are not supported)", err)
	}
	return regexp.Compile(`^(?:` + pattern + `)$`)
}

// javaReplacement converts a Java Matcher replacement string ($1, ${name},
// backslash escapes) into a Go regexp.Expand template.
func javaReplacement(repl string, re *regexp.Regexp) (string, error) {
	groups := re.NumSubexp()
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		switch c {
		case '\\':
			i++
			if i >= len(repl) {
				return "", fmt.Errorf("character to be escaped is missing")
			}
			if repl[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(repl[i])
			}
		case '$':
			i++
			if i >= len(repl) {
				return "", fmt.Errorf("Illegal group reference: group index is missing")
			}
			if repl[i] == '{' {
				end := strings.IndexByte(repl[i:], '}')
				if end < 0 {
					return "", fmt.Errorf("named capturing group is missing trailing '}'")
				}
				name := repl[i+1 : i+end]
				if re.SubexpIndex(name) < 0 {
					return "", fmt.Errorf("No group with name {%s}", name)
				}
				b.WriteString("${" + name + "}")
				i += end
				continue
			}
			if repl[i] < '0' || repl[i] > '9' {
				return "", fmt.Errorf("Illegal group reference")
			}
			// Java takes the first digit, then more digits while the
			// number still names an existing group.
			n := int(repl[i] - '0')
			for i+1 < len(repl) && repl[i+1] >= '0' && repl[i+1] <= '9' {
				next := n*10 + int(repl[i+1]-'0')
				if next > groups {
					break
				}
				n = next
				i++
			}
			if n > groups {
				return "", fmt.Errorf("No group %d", n)
			}
			fmt.Fprintf(&b, "${%d}", n)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}
