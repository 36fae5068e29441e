package transforms

import (
	"regexp"
	"strings"

	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/data"
)

// Filter drops every record; use it with a predicate (Kafka's Filter).
type Filter struct{}

func (*Filter) Config() *connect.ConfigDef        { return connect.NewConfigDef() }
func (*Filter) Configure(map[string]string) error { return nil }
func (*Filter) Apply(*Record) (*Record, error)    { return nil, nil }

// DropHeaders removes headers by name (Kafka's DropHeaders).
type DropHeaders struct{ names map[string]bool }

func (*DropHeaders) Config() *connect.ConfigDef {
	return connect.NewConfigDef().Define(connect.ConfigKey{Name: "headers", Type: connect.TypeList, Required: true,
		Validator: nonEmptyList(), Importance: connect.ImportanceHigh, Doc: "The name of the headers to be removed."})
}

func (t *DropHeaders) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	t.names = map[string]bool{}
	for _, h := range cfg.List("headers") {
		t.names[h] = true
	}
	return nil
}

func (t *DropHeaders) Apply(r *Record) (*Record, error) {
	kept := make(data.Headers, 0, len(r.Headers))
	for _, h := range r.Headers {
		if !t.names[h.Key] {
			kept = append(kept, h)
		}
	}
	c := r.Clone()
	c.Headers = kept
	return c, nil
}

// InsertHeader adds a header with a literal value, parsed as Kafka's
// Values.parseString infers it (Kafka's InsertHeader).
type InsertHeader struct {
	header string
	value  data.SchemaAndValue
}

func (*InsertHeader) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "header", Type: connect.TypeString, Required: true, Validator: connect.NonNull(),
			Importance: connect.ImportanceHigh, Doc: "The name of the header."}).
		Define(connect.ConfigKey{Name: "value.literal", Type: connect.TypeString, Required: true, Validator: connect.NonNull(),
			Importance: connect.ImportanceHigh, Doc: "The literal value that is to be set as the header value on all records."})
}

func (t *InsertHeader) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	t.header = cfg.String("header")
	t.value = data.ParseString(cfg.String("value.literal"))
	return nil
}

func (t *InsertHeader) Apply(r *Record) (*Record, error) {
	c := r.Clone()
	c.Headers = append(r.Headers[:len(r.Headers):len(r.Headers)], data.Header{Key: t.header, Value: t.value})
	return c, nil
}

// RegexRouter renames the topic when the whole topic matches regex
// (Kafka's RegexRouter; Java replacement syntax: $1, ${name}).
type RegexRouter struct {
	re          *regexp.Regexp
	replacement string
}

func (*RegexRouter) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "regex", Type: connect.TypeString, Required: true, Validator: javaRegexValidator(),
			Importance: connect.ImportanceHigh, Doc: "Regular expression to use for matching."}).
		Define(connect.ConfigKey{Name: "replacement", Type: connect.TypeString, Required: true,
			Importance: connect.ImportanceHigh, Doc: "Replacement string."})
}

func javaRegexValidator() connect.Validator {
	return connect.ValidatorFunc("valid regex", func(name string, v any) error {
		s, _ := v.(string)
		if _, err := compileJavaRegex(s); err != nil {
			return connect.InvalidValueError(name, v, err.Error())
		}
		return nil
	})
}

func (t *RegexRouter) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	re, err := compileJavaRegex(cfg.String("regex"))
	if err != nil {
		return connect.InvalidValueError("regex", cfg.String("regex"), err.Error())
	}
	repl, err := javaReplacement(cfg.String("replacement"), re)
	if err != nil {
		return connect.InvalidValueError("replacement", cfg.String("replacement"), err.Error())
	}
	t.re, t.replacement = re, repl
	return nil
}

func (t *RegexRouter) Apply(r *Record) (*Record, error) {
	if !t.re.MatchString(r.Topic) {
		return r, nil
	}
	c := r.Clone()
	c.Topic = t.re.ReplaceAllString(r.Topic, t.replacement)
	return c, nil
}

// TimestampRouter sets the topic from topic.format with ${topic} and
// ${timestamp} (the record timestamp formatted with timestamp.format in UTC).
type TimestampRouter struct {
	topicFormat string
	tsFormat    *dateFormat
}

func (*TimestampRouter) Config() *connect.ConfigDef {
	return connect.NewConfigDef().
		Define(connect.ConfigKey{Name: "topic.format", Type: connect.TypeString, Default: "${topic}-${timestamp}",
			Importance: connect.ImportanceHigh, Doc: "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as placeholders for the topic and timestamp, respectively."}).
		Define(connect.ConfigKey{Name: "timestamp.format", Type: connect.TypeString, Default: "yyyyMMdd",
			Validator:  dateFormatValidator(),
			Importance: connect.ImportanceHigh, Doc: "Format string for the timestamp that is compatible with <code>java.text.SimpleDateFormat</code>."})
}

func dateFormatValidator() connect.Validator {
	return connect.ValidatorFunc("SimpleDateFormat pattern", func(name string, v any) error {
		s, _ := v.(string)
		if _, err := compileDateFormat(s); err != nil {
			return connect.InvalidValueError(name, v, err.Error())
		}
		return nil
	})
}

func (t *TimestampRouter) Configure(props map[string]string) error {
	cfg, err := t.Config().Parse(props)
	if err != nil {
		return err
	}
	t.topicFormat = cfg.String("topic.format")
	t.tsFormat, err = compileDateFormat(cfg.String("timestamp.format"))
	return err
}

func (t *TimestampRouter) Apply(r *Record) (*Record, error) {
	if !r.HasTimestamp() {
		return nil, data.Errorf("Timestamp missing on record: topic %s partition %d", r.Topic, r.Partition)
	}
	ts := t.tsFormat.format(timeFromMillis(r.Timestamp))
	c := r.Clone()
	c.Topic = strings.ReplaceAll(strings.ReplaceAll(t.topicFormat, "${topic}", r.Topic), "${timestamp}", ts)
	return c, nil
}
