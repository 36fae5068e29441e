package cli

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseProperties(t *testing.T) {
	in := strings.Join([]string{
		"# comment",
		"   ! another comment",
		"",
		"log.dirs=/var/lib/runnel",
		"listeners = PLAINTEXT://:9092",
		"num.partitions:3",
		"key.with\\=equals=v",
		"spaced value  here",
		"multi=first,\\",
		"      second,\\",
		"  third",
		`escapes=tab\there\u0041\\`,
		"empty=",
		"num.partitions=4",
	}, "\n")
	ps, err := parseProperties("test.properties", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	src := map[string]string{}
	for _, p := range ps {
		got[p.Key] = p.Value
		src[p.Key] = p.Source
	}
	want := map[string]string{
		"log.dirs":        "/var/lib/runnel",
		"listeners":       "PLAINTEXT://:9092",
		"num.partitions":  "4",
		"key.with=equals": "v",
		"spaced":          "value  here",
		"multi":           "first,second,third",
		"escapes":         "tab\thereA\\",
		"empty":           "",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	if src["multi"] != "test.properties:9" || src["num.partitions"] != "test.properties:14" {
		t.Fatalf("sources: %v", src)
	}
	if _, err := parseProperties("bad.properties", []byte("a=\\u12")); err == nil || !strings.Contains(err.Error(), "bad.properties:1") {
		t.Fatalf("malformed escape: %v", err)
	}
}

func TestParseKeyValueFlags(t *testing.T) {
	ps, err := parseKeyValueFlags("config", []string{"cleanup.policy=compact,delete", "a=b=c", "empty="})
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].Value != "compact,delete" || ps[1].Value != "b=c" || ps[2].Value != "" {
		t.Fatalf("%+v", ps)
	}
	for _, bad := range []string{"novalue", "=x", " =x"} {
		if _, err := parseKeyValueFlags("config", []string{bad}); err == nil || !strings.Contains(err.Error(), "--config: expected key=value") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
