package props

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	in := "# comment\n" +
		"! also a comment\n" +
		"application.id = word-count\n" +
		"bootstrap.servers:host1:9092,host2:9092\n" +
		"  num.stream.threads 2\n" +
		"state.dir=/var/lib/\\\n" +
		"    runnel\n" +
		"client.id=caf\\u00e9\\tx\n" +
		"empty=\n" +
		"key\\=with\\:seps=v\n" +
		"trailing.backslash=a\\\\\n" +
		"next=1\r\n"
	got, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{"application.id", "word-count", 3},
		{"bootstrap.servers", "host1:9092,host2:9092", 4},
		{"num.stream.threads", "2", 5},
		{"state.dir", "/var/lib/runnel", 6},
		{"client.id", "café\tx", 8},
		{"empty", "", 9},
		{"key=with:seps", "v", 10},
		{"trailing.backslash", `a\`, 11},
		{"next", "1", 12},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
}

func TestParseBadEscape(t *testing.T) {
	if _, err := Parse([]byte("a=\\u12\n")); err == nil {
		t.Fatal("expected error for a short \\u escape")
	}
	if _, err := Parse([]byte("a=\\uZZZZ\n")); err == nil {
		t.Fatal("expected error for a non-hex \\u escape")
	}
}
