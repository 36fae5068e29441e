package connect

import "fmt"

// ConfigType is the type of a configuration key, as Kafka's ConfigDef.Type.
// It decides how the string a user wrote is parsed and which Go type the
// parsed value has:
//
//	TypeBoolean  bool
//	TypeString   string
//	TypeInt      int (range of a 32-bit integer)
//	TypeShort    int (range of a 16-bit integer)
//	TypeLong     int64
//	TypeDouble   float64
//	TypeList     []string
//	TypeClass    string (a plugin class name or alias)
//	TypePassword Password
type ConfigType int

// The configuration types, in Kafka's order.
const (
	TypeBoolean ConfigType = iota + 1
	TypeString
	TypeInt
	TypeShort
	TypeLong
	TypeDouble
	TypeList
	TypeClass
	TypePassword
)

var configTypeNames = map[ConfigType]string{
	TypeBoolean:  "BOOLEAN",
	TypeString:   "STRING",
	TypeInt:      "INT",
	TypeShort:    "SHORT",
	TypeLong:     "LONG",
	TypeDouble:   "DOUBLE",
	TypeList:     "LIST",
	TypeClass:    "CLASS",
	TypePassword: "PASSWORD",
}

// String returns Kafka's upper-case name of the type ("INT", "LIST"...),
// which is what the REST API shows.
func (t ConfigType) String() string {
	if s, ok := configTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("ConfigType(%d)", int(t))
}

// Importance says how much a user should care about a key.
type Importance int

// Importance levels, as Kafka's ConfigDef.Importance.
const (
	ImportanceHigh Importance = iota + 1
	ImportanceMedium
	ImportanceLow
)

// String returns HIGH, MEDIUM or LOW.
func (i Importance) String() string {
	switch i {
	case ImportanceHigh:
		return "HIGH"
	case ImportanceMedium:
		return "MEDIUM"
	case ImportanceLow:
		return "LOW"
	}
	return fmt.Sprintf("Importance(%d)", int(i))
}

// Width is a UI hint for how wide an input field should be.
type Width int

// Widths, as Kafka's ConfigDef.Width. The zero value is WidthNone.
const (
	WidthNone Width = iota
	WidthShort
	WidthMedium
	WidthLong
)

// String returns NONE, SHORT, MEDIUM or LONG.
func (w Width) String() string {
	switch w {
	case WidthNone:
		return "NONE"
	case WidthShort:
		return "SHORT"
	case WidthMedium:
		return "MEDIUM"
	case WidthLong:
		return "LONG"
	}
	return fmt.Sprintf("Width(%d)", int(w))
}
