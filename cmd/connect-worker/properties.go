package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/runnel-dev/runnel/workers"
	"github.com/spf13/viper"
)

// loadWorkerProperties reads the worker .properties file through viper.
// Keys are flat (dots do not nest) and Kafka's worker keys are lower case.
func loadWorkerProperties(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("worker configuration: %w", err)
	}
	v := viper.NewWithOptions(viper.KeyDelimiter("\x00"), viper.WithDecoderRegistry(propertiesCodec{path: path}))
	v.SetConfigType("properties")
	if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("worker configuration %s: %w", path, err)
	}
	out := map[string]string{}
	for _, k := range v.AllKeys() {
		out[k] = v.GetString(k)
	}
	return out, nil
}

// propertiesCodec teaches viper the Java .properties format.
type propertiesCodec struct{ path string }

func (c propertiesCodec) Decoder(format string) (viper.Decoder, error) {
	if format != "properties" {
		return nil, fmt.Errorf("unsupported configuration format %q", format)
	}
	return c, nil
}

func (c propertiesCodec) Decode(b []byte, into map[string]any) error {
	props, err := workers.ParseProperties(c.path, b)
	if err != nil {
		return err
	}
	for k, v := range props {
		into[k] = v
	}
	return nil
}
