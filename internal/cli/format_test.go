package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestLineScanner(t *testing.T) {
	long := strings.Repeat("x", 600<<10) // longer than the read buffer
	sc := newLineScanner(strings.NewReader("a\r\n\nb\n" + long + "\nlast"))
	var got []string
	for {
		line, err := sc.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(line))
	}
	want := []string{"a", "", "b", long, "last"}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("line %d: got %.20q..., want %.20q...", i+1, got[i], want[i])
		}
	}
}

func TestLineFormat(t *testing.T) {
	pm := newPropertyMap([]property{
		{Key: "parse.key", Value: "true"}, {Key: "key.separator", Value: "::"},
		{Key: "parse.headers", Value: "true"}, {Key: "headers.delimiter", Value: "|"},
		{Key: "null.marker", Value: "<null>"},
	})
	f, err := newLineFormat(pm)
	if err != nil {
		t.Fatal(err)
	}
	var r kgo.Record
	if err := f.parse([]byte("a:1,b:<null>|k::v::w"), 1, &r); err != nil {
		t.Fatal(err)
	}
	if string(r.Key) != "k" || string(r.Value) != "v::w" || len(r.Headers) != 2 ||
		r.Headers[0].Key != "a" || string(r.Headers[0].Value) != "1" || r.Headers[1].Value != nil {
		t.Fatalf("parsed %+v", r)
	}
	r = kgo.Record{}
	if err := f.parse([]byte("|<null>::<null>"), 2, &r); err != nil || r.Key != nil || r.Value != nil || len(r.Headers) != 0 {
		t.Fatalf("null key and value: %+v %v", r, err)
	}
	if err := f.parse([]byte("h:1|no key here"), 7, &kgo.Record{}); err == nil || !strings.Contains(err.Error(), "on line 7") {
		t.Fatalf("missing key separator: %v", err)
	}
	if _, err := newLineFormat(newPropertyMap([]property{{Key: "key.separator", Value: "x"}, {Key: "null.marker", Value: "x"}})); err == nil {
		t.Fatal("null.marker equal to key.separator was accepted")
	}
}

func TestMessageFormatter(t *testing.T) {
	rec := &kgo.Record{
		Key: []byte("k"), Value: []byte{0, 0, 0, 0, 0, 0, 0, 42}, Partition: 3, Offset: 17,
		Timestamp: time.UnixMilli(1700000000123),
		Headers:   []kgo.RecordHeader{{Key: "h", Value: []byte("v")}, {Key: "n"}},
	}
	for _, tc := range []struct {
		props []property
		want  string
	}{
		{nil, "\x00\x00\x00\x00\x00\x00\x00*\n"},
		{[]property{{Key: "print.key", Value: "true"}, {Key: "value.deserializer", Value: "org.apache.kafka.common.serialization.LongDeserializer"}}, "k\t42\n"},
		{[]property{{Key: "print.timestamp", Value: "true"}, {Key: "print.partition", Value: "TRUE"}, {Key: "print.offset", Value: "true"},
			{Key: "print.headers", Value: "true"}, {Key: "print.value", Value: "false"}, {Key: "print.key", Value: "true"},
			{Key: "key.separator", Value: " | "}, {Key: "null.literal", Value: "NIL"}},
			"CreateTime:1700000000123 | Partition:3 | Offset:17 | h:v,n:NIL | k\n"},
	} {
		f, err := newMessageFormatter(newPropertyMap(tc.props))
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := f.write(&b, rec); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("props %v: got %q, want %q", tc.props, b.String(), tc.want)
		}
	}
	f, _ := newMessageFormatter(newPropertyMap([]property{{Key: "value.deserializer", Value: "IntegerDeserializer"}}))
	if err := f.write(&bytes.Buffer{}, rec); err == nil || !strings.Contains(err.Error(), "expected 4 bytes, got 8") {
		t.Fatalf("wrong-size integer: %v", err)
	}
}

func TestParseISODuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"PT1H30M": 90 * time.Minute, "P1D": 24 * time.Hour, "P1DT2H": 26 * time.Hour, "PT0.5S": 500 * time.Millisecond, "pt10m": 10 * time.Minute,
	} {
		if got, err := parseISODuration(in); err != nil || got != want {
			t.Errorf("%s: got %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"1h", "P", "PT", "P1H", ""} {
		if _, err := parseISODuration(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}
