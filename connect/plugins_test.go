package connect

import (
	"strings"
	"testing"
)

func TestPluginAliases(t *testing.T) {
	r := NewPlugins()
	err := r.Add(
		Plugin{Class: "org.apache.kafka.connect.file.FileStreamSourceConnector", Type: PluginSource, Aliases: []string{"file-source"}, New: func() any { return nil }},
		Plugin{Class: "org.apache.kafka.connect.file.FileStreamSinkConnector", Type: PluginSink, New: func() any { return nil }},
		Plugin{Class: "com.example.Value", Type: PluginTransformation, New: func() any { return nil }},
		Plugin{Class: "org.apache.kafka.connect.transforms.InsertField$Value", Type: PluginTransformation, New: func() any { return nil }},
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"org.apache.kafka.connect.file.FileStreamSourceConnector", "FileStreamSourceConnector", "FileStreamSource", "file-source", " FileStreamSource "} {
		p, err := r.LookupConnector(name)
		if err != nil || p.Class != "org.apache.kafka.connect.file.FileStreamSourceConnector" {
			t.Errorf("%q: %v %v", name, p, err)
		}
	}
	if _, ok := r.Lookup("Value"); ok {
		t.Error("ambiguous alias Value resolved")
	}
	_, err = r.LookupConnector("Nope")
	if err == nil || !strings.HasPrefix(err.Error(), "Failed to find any class that implements Connector and which name matches Nope") {
		t.Errorf("err = %v", err)
	}
	if got := r.Connectors(); len(got) != 2 || got[0].Type != PluginSink {
		t.Errorf("connectors not sinks-first: %v", got)
	}
	if err := r.Add(Plugin{Class: "com.example.Value", Type: PluginTransformation, New: func() any { return nil }}); err == nil {
		t.Error("duplicate class accepted")
	}
	if err := r.Add(Plugin{Class: "com.example.Value", Type: PluginPredicate, New: func() any { return nil }}); err != nil {
		t.Errorf("same class as another type rejected: %v", err)
	}
	if p, ok := r.LookupType("com.example.Value", PluginPredicate); !ok || p.Type != PluginPredicate {
		t.Error("LookupType by class failed")
	}
}
