package workers

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/runnel-dev/runnel/connect"
)

// Config providers resolve ${provider:[path:]key} placeholders in connector
// configurations when connectors and tasks start, so secrets can live in
// files or the environment instead of the configuration (Kafka's
// config.providers). The REST API keeps showing the placeholders.
//
//	config.providers=file,env,dir
//	config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
//	config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
//	config.providers.dir.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider
//	config.providers.file.param.allowed.paths=/etc/secrets
//
// ${file:/etc/secrets/db.properties:password} reads a key of a properties
// file, ${env:DB_PASSWORD} an environment variable (allowlist.pattern
// limits which), ${dir:/etc/secrets:password} the content of a file in a
// directory. Unknown providers and missing keys leave the placeholder as is,
// as Kafka does.
const (
	configProvidersConfig = "config.providers"
	fileProviderClass     = "org.apache.kafka.common.config.provider.FileConfigProvider"
	envProviderClass      = "org.apache.kafka.common.config.provider.EnvVarConfigProvider"
	dirProviderClass      = "org.apache.kafka.common.config.provider.DirectoryConfigProvider"
)

var placeholder = regexp.MustCompile(`\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}`)

type configProvider interface {
	// get returns the value of key under path; ok is false when absent.
	get(path, key string) (value string, ok bool, err error)
}

// configTransformer resolves placeholders with the configured providers.
type configTransformer struct {
	providers map[string]configProvider
}

func newConfigTransformer(props map[string]string) (*configTransformer, error) {
	t := &configTransformer{providers: map[string]configProvider{}}
	for _, name := range connect.SplitList(props[configProvidersConfig]) {
		prefix := configProvidersConfig + "." + name + "."
		class := strings.TrimSpace(props[prefix+"class"])
		params := connect.WithPrefix(props, prefix+"param.")
		allowed := connect.SplitList(params["allowed.paths"])
		switch class {
		case fileProviderClass, "FileConfigProvider":
			t.providers[name] = fileProvider{allowed: allowed}
		case dirProviderClass, "DirectoryConfigProvider":
			t.providers[name] = dirProvider{allowed: allowed}
		case envProviderClass, "EnvVarConfigProvider":
			var re *regexp.Regexp
			if p := params["allowlist.pattern"]; p != "" {
				var err error
				if re, err = regexp.Compile(`^(?:` + p + `)$`); err != nil {
					return nil, connect.InvalidValueError(prefix+"param.allowlist.pattern", p, err.Error())
				}
			}
			t.providers[name] = envProvider{allow: re}
		case "":
			return nil, connect.MissingConfigError(prefix + "class")
		default:
			return nil, connect.InvalidValueError(prefix+"class", class, "unknown config provider; Runnel has FileConfigProvider, EnvVarConfigProvider and DirectoryConfigProvider")
		}
	}
	return t, nil
}

// transform returns props with every resolvable placeholder replaced.
func (t *configTransformer) transform(props map[string]string) (map[string]string, error) {
	if t == nil || len(t.providers) == 0 {
		return props, nil
	}
	out := make(map[string]string, len(props))
	var firstErr error
	for k, v := range props {
		out[k] = placeholder.ReplaceAllStringFunc(v, func(m string) string {
			sub := placeholder.FindStringSubmatch(m)
			p, ok := t.providers[sub[1]]
			if !ok {
				return m
			}
			val, found, err := p.get(sub[3], sub[4])
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("resolving %s in %s: %w", m, k, err)
				}
				return m
			}
			if !found {
				return m
			}
			return val
		})
	}
	return out, firstErr
}

func checkAllowed(allowed []string, path string) error {
	if len(allowed) == 0 {
		return nil
	}
	clean := filepath.Clean(path)
	for _, a := range allowed {
		a = filepath.Clean(a)
		if clean == a || strings.HasPrefix(clean, a+string(filepath.Separator)) {
			return nil
		}
	}
	return fmt.Errorf("path %s is not in allowed.paths", path)
}

type fileProvider struct{ allowed []string }

func (p fileProvider) get(path, key string) (string, bool, error) {
	if err := checkAllowed(p.allowed, path); err != nil {
		return "", false, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	props, err := ParseProperties(path, b)
	if err != nil {
		return "", false, err
	}
	v, ok := props[key]
	return v, ok, nil
}

type dirProvider struct{ allowed []string }

func (p dirProvider) get(dir, key string) (string, bool, error) {
	path := filepath.Join(dir, key)
	if err := checkAllowed(p.allowed, path); err != nil {
		return "", false, err
	}
	if filepath.Dir(path) != filepath.Clean(dir) {
		return "", false, fmt.Errorf("key %q leaves directory %s", key, dir)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(b), true, nil
}

type envProvider struct{ allow *regexp.Regexp }

func (p envProvider) get(_, key string) (string, bool, error) {
	if p.allow != nil && !p.allow.MatchString(key) {
		return "", false, nil
	}
	v, ok := os.LookupEnv(key)
	return v, ok, nil
}
