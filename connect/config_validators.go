package connect

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Validator checks a parsed configuration value. Validate returns a
// *ConfigError (see InvalidValueError) naming the key; String describes the
// accepted values for documentation, e.g. "[1,...]".
type Validator interface {
	Validate(name string, value any) error
	String() string
}

// Recommender suggests values for a key and decides whether it is relevant,
// given the other parsed values. Both show up in the validate endpoint.
type Recommender interface {
	ValidValues(name string, parsed map[string]any) []any
	Visible(name string, parsed map[string]any) bool
}

// rangeValidator bounds a numeric value, inclusively.
type rangeValidator struct {
	min, max       float64
	hasMin, hasMax bool
	minS, maxS     string
}

// AtLeast accepts numbers >= min.
func AtLeast(min float64) Validator {
	return rangeValidator{min: min, hasMin: true, minS: formatNumber(min)}
}

// Between accepts numbers in [min, max].
func Between(min, max float64) Validator {
	return rangeValidator{min: min, max: max, hasMin: true, hasMax: true, minS: formatNumber(min), maxS: formatNumber(max)}
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (r rangeValidator) Validate(name string, value any) error {
	if value == nil {
		return InvalidValueError(name, nil, "Value must be non-null")
	}
	n, ok := asFloat(value)
	if !ok {
		return InvalidValueError(name, value, "Value must be a number")
	}
	if r.hasMin && n < r.min {
		return InvalidValueError(name, value, "Value must be at least "+r.minS)
	}
	if r.hasMax && n > r.max {
		return InvalidValueError(name, value, "Value must be no more than "+r.maxS)
	}
	return nil
}

func (r rangeValidator) String() string {
	switch {
	case r.hasMin && r.hasMax:
		return "[" + r.minS + ",...," + r.maxS + "]"
	case r.hasMin:
		return "[" + r.minS + ",...]"
	case r.hasMax:
		return "[...," + r.maxS + "]"
	}
	return "[...]"
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

type validString struct {
	valid           []string
	caseInsensitive bool
}

// ValidString accepts exactly one of the given strings.
func ValidString(valid ...string) Validator { return validString{valid: valid} }

// CaseInsensitiveValidString accepts one of the given strings in any case.
func CaseInsensitiveValidString(valid ...string) Validator {
	return validString{valid: valid, caseInsensitive: true}
}

func (v validString) Validate(name string, value any) error {
	s, _ := value.(string)
	if value != nil {
		for _, ok := range v.valid {
			if s == ok || (v.caseInsensitive && strings.EqualFold(s, ok)) {
				return nil
			}
		}
	}
	if v.caseInsensitive {
		return InvalidValueError(name, value, "String must be one of (case insensitive): "+strings.Join(v.upper(), ", "))
	}
	return InvalidValueError(name, value, "String must be one of: "+strings.Join(v.valid, ", "))
}

func (v validString) upper() []string {
	out := make([]string, len(v.valid))
	for i, s := range v.valid {
		out[i] = strings.ToUpper(s)
	}
	return out
}

func (v validString) String() string {
	if v.caseInsensitive {
		return "(case insensitive) [" + strings.Join(v.upper(), ", ") + "]"
	}
	return "[" + strings.Join(v.valid, ", ") + "]"
}

type validList struct{ inner validString }

// ValidList accepts a list whose every element is one of the given strings.
func ValidList(valid ...string) Validator { return validList{validString{valid: valid}} }

func (v validList) Validate(name string, value any) error {
	list, _ := value.([]string)
	for _, s := range list {
		if err := v.inner.Validate(name, s); err != nil {
			return err
		}
	}
	return nil
}

func (v validList) String() string { return v.inner.String() }

type nonEmptyString struct{}

// NonEmptyString rejects the empty string (nil is allowed).
func NonEmptyString() Validator { return nonEmptyString{} }

func (nonEmptyString) Validate(name string, value any) error {
	if s, ok := value.(string); ok && s == "" {
		return InvalidValueError(name, value, "String must be non-empty")
	}
	return nil
}

func (nonEmptyString) String() string { return "non-empty string" }

type nonEmptyNoControl struct{}

// NonEmptyStringWithoutControlChars rejects empty strings and strings with
// control characters; it is what connector names are checked with.
func NonEmptyStringWithoutControlChars() Validator { return nonEmptyNoControl{} }

func (nonEmptyNoControl) Validate(name string, value any) error {
	s, ok := value.(string)
	if !ok || value == nil {
		return nil
	}
	if s == "" {
		return InvalidValueError(name, value, "String may not be empty")
	}
	var bad []string
	for _, r := range s {
		if unicode.IsControl(r) {
			bad = append(bad, strconv.Itoa(int(r)))
		}
	}
	if len(bad) > 0 {
		return InvalidValueError(name, value, "String may not contain control sequences but had the following ASCII chars: "+strings.Join(bad, ", "))
	}
	return nil
}

func (nonEmptyNoControl) String() string { return "non-empty string without ISO control characters" }

type nonNull struct{}

// NonNull rejects a nil value.
func NonNull() Validator { return nonNull{} }

func (nonNull) Validate(name string, value any) error {
	if value == nil {
		return InvalidValueError(name, "null", "entry must be non null")
	}
	return nil
}

func (nonNull) String() string { return "non-null string" }

type regexValidator struct{}

// ValidRegex accepts a string that compiles as a regular expression (RE2
// syntax, which covers the common subset of Java's).
func ValidRegex() Validator { return regexValidator{} }

func (regexValidator) Validate(name string, value any) error {
	s, _ := value.(string)
	if _, err := regexp.Compile(s); err != nil {
		return InvalidValueError(name, value, "Invalid regex: "+err.Error())
	}
	return nil
}

func (regexValidator) String() string { return "valid regex" }

type uniqueList struct{ what string }

// UniqueList rejects a nil list or one with a repeated element; what names
// the elements in the description ("transformation aliases").
func UniqueList(what string) Validator { return uniqueList{what} }

func (u uniqueList) Validate(name string, value any) error {
	if value == nil {
		return InvalidValueError(name, "null", "entry must be non null")
	}
	list, _ := value.([]string)
	for i, s := range list {
		if slices.Contains(list[:i], s) {
			return InvalidValueError(name, value, "Duplicate alias provided.")
		}
	}
	return nil
}

func (u uniqueList) String() string { return "unique " + u.what }

type composite []Validator

// AllOf applies each validator in turn and reports the first failure.
func AllOf(vs ...Validator) Validator { return composite(vs) }

func (c composite) Validate(name string, value any) error {
	for _, v := range c {
		if err := v.Validate(name, value); err != nil {
			return err
		}
	}
	return nil
}

func (c composite) String() string {
	parts := make([]string, len(c))
	for i, v := range c {
		parts[i] = v.String()
	}
	return strings.Join(parts, ", ")
}

type funcValidator struct {
	desc string
	fn   func(name string, value any) error
}

// ValidatorFunc makes a Validator from a function and a description.
func ValidatorFunc(desc string, fn func(name string, value any) error) Validator {
	return funcValidator{desc: desc, fn: fn}
}

func (f funcValidator) Validate(name string, value any) error { return f.fn(name, value) }
func (f funcValidator) String() string                        { return f.desc }

// OrNull lets nil through and applies v to everything else, for optional
// keys whose default is null.
func OrNull(v Validator) Validator {
	return ValidatorFunc(v.String(), func(name string, value any) error {
		if value == nil {
			return nil
		}
		return v.Validate(name, value)
	})
}
