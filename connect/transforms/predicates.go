package transforms

import (
	"regexp"

	"github.com/runnel-dev/runnel/connect"
)

// TopicNameMatches is true when the whole topic name matches pattern.
type TopicNameMatches struct{ re *regexp.Regexp }

func (*TopicNameMatches) Config() *connect.ConfigDef {
	return connect.NewConfigDef().Define(connect.ConfigKey{Name: "pattern", Type: connect.TypeString, Required: true,
		Validator:  connect.AllOf(connect.NonEmptyString(), javaRegexValidator()),
		Importance: connect.ImportanceMedium, Doc: "A Java regular expression for matching against the name of a record's topic."})
}

func (p *TopicNameMatches) Configure(props map[string]string) error {
	cfg, err := p.Config().Parse(props)
	if err != nil {
		return err
	}
	p.re, err = compileJavaRegex(cfg.String("pattern"))
	if err != nil {
		return connect.InvalidValueError("pattern", cfg.String("pattern"), "entry must be a Java-compatible regular expression: "+err.Error())
	}
	return nil
}

func (p *TopicNameMatches) Test(r *Record) (bool, error) { return p.re.MatchString(r.Topic), nil }

// HasHeaderKey is true when the record has at least one header named name.
type HasHeaderKey struct{ name string }

func (*HasHeaderKey) Config() *connect.ConfigDef {
	return connect.NewConfigDef().Define(connect.ConfigKey{Name: "name", Type: connect.TypeString, Required: true,
		Validator: connect.NonEmptyString(), Importance: connect.ImportanceMedium, Doc: "The header name."})
}

func (p *HasHeaderKey) Configure(props map[string]string) error {
	cfg, err := p.Config().Parse(props)
	if err != nil {
		return err
	}
	p.name = cfg.String("name")
	return nil
}

func (p *HasHeaderKey) Test(r *Record) (bool, error) { return r.Headers.Has(p.name), nil }

// RecordIsTombstone is true when the record value is null.
type RecordIsTombstone struct{}

func (*RecordIsTombstone) Config() *connect.ConfigDef        { return connect.NewConfigDef() }
func (*RecordIsTombstone) Configure(map[string]string) error { return nil }
func (*RecordIsTombstone) Test(r *Record) (bool, error)      { return r.Value == nil, nil }
