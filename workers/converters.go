package workers

import (
	"github.com/runnel-dev/runnel/connect"
	"github.com/runnel-dev/runnel/connect/convert"
)

// recordConverters are the key, value and header converters of one task.
type recordConverters struct {
	key, value                      convert.Converter
	header                          convert.HeaderConverter
	keyClass, valueClass, hdrsClass string
}

// buildConverters instantiates the converters for a connector: the
// connector's key.converter/value.converter/header.converter when set
// (configured from the connector's prefixed keys), otherwise the worker's
// (configured from the worker's prefixed keys), as Kafka does.
func buildConverters(reg *convert.Registry, worker *WorkerConfig, conn map[string]string) (*recordConverters, error) {
	pick := func(key, workerClass string) (class string, props map[string]string) {
		if c, ok := conn[key]; ok && c != "" {
			return c, connect.WithPrefix(conn, key+".")
		}
		return workerClass, connect.WithPrefix(worker.Props, key+".")
	}
	rc := &recordConverters{}
	var err error
	var props map[string]string

	rc.keyClass, props = pick(KeyConverterConfig, worker.KeyConverter)
	if rc.key, err = reg.NewConverter(rc.keyClass); err != nil {
		return nil, connect.InvalidValueError(KeyConverterConfig, rc.keyClass, err.Error())
	}
	if err := rc.key.Configure(props, true); err != nil {
		return nil, connect.InvalidValueError(KeyConverterConfig, rc.keyClass, err.Error())
	}

	rc.valueClass, props = pick(ValueConverterConfig, worker.ValueConverter)
	if rc.value, err = reg.NewConverter(rc.valueClass); err != nil {
		return nil, connect.InvalidValueError(ValueConverterConfig, rc.valueClass, err.Error())
	}
	if err := rc.value.Configure(props, false); err != nil {
		return nil, connect.InvalidValueError(ValueConverterConfig, rc.valueClass, err.Error())
	}

	rc.hdrsClass, props = pick(HeaderConverterConfig, worker.HeaderConverter)
	if rc.header, err = reg.NewHeaderConverter(rc.hdrsClass); err != nil {
		return nil, connect.InvalidValueError(HeaderConverterConfig, rc.hdrsClass, err.Error())
	}
	if err := rc.header.Configure(props); err != nil {
		return nil, connect.InvalidValueError(HeaderConverterConfig, rc.hdrsClass, err.Error())
	}
	return rc, nil
}
