package cli

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// securityPropNames are the Kafka client security properties the tools
// understand. Java keystores (JKS, PKCS12) are not readable here: TLS
// material must be PEM, as with Kafka's ssl.truststore.type=PEM.
var securityPropNames = []string{
	"security.protocol", "sasl.mechanism", "sasl.jaas.config",
	"ssl.truststore.location", "ssl.truststore.type", "ssl.truststore.certificates",
	"ssl.keystore.location", "ssl.keystore.type", "ssl.keystore.certificate.chain", "ssl.keystore.key",
	"ssl.endpoint.identification.algorithm",
}

var jaasOption = regexp.MustCompile(`(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"`)

// takeSecurityProps consumes the security properties from m and returns
// the TLS and SASL options they ask for.
func takeSecurityProps(m *propertyMap) ([]kgo.Opt, error) {
	get := func(k string) (string, string) {
		v, src, _ := m.take(k)
		return strings.TrimSpace(v), src
	}
	proto, protoSrc := get("security.protocol")
	mech, mechSrc := get("sasl.mechanism")
	jaas, jaasSrc := get("sasl.jaas.config")
	trustLoc, trustSrc := get("ssl.truststore.location")
	trustType, trustTypeSrc := get("ssl.truststore.type")
	trustPEM, _ := get("ssl.truststore.certificates")
	keyLoc, keyLocSrc := get("ssl.keystore.location")
	keyType, keyTypeSrc := get("ssl.keystore.type")
	certChain, _ := get("ssl.keystore.certificate.chain")
	keyPEM, _ := get("ssl.keystore.key")
	endpointAlg, endpointSrc := get("ssl.endpoint.identification.algorithm")

	var useTLS, useSASL bool
	switch strings.ToUpper(proto) {
	case "", "PLAINTEXT":
	case "SSL":
		useTLS = true
	case "SASL_PLAINTEXT":
		useSASL = true
	case "SASL_SSL":
		useTLS, useSASL = true, true
	default:
		return nil, fmt.Errorf("%s: security.protocol: expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, got %q", protoSrc, proto)
	}

	var opts []kgo.Opt
	if useTLS {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		for _, t := range []struct{ v, src, key string }{{trustType, trustTypeSrc, "ssl.truststore.type"}, {keyType, keyTypeSrc, "ssl.keystore.type"}} {
			if t.v != "" && !strings.EqualFold(t.v, "PEM") {
				return nil, fmt.Errorf("%s: %s: only PEM is supported, got %q (convert the store with keytool/openssl)", t.src, t.key, t.v)
			}
		}
		var roots []byte
		switch {
		case trustPEM != "":
			roots = []byte(trustPEM)
		case trustLoc != "":
			b, err := os.ReadFile(trustLoc)
			if err != nil {
				return nil, fmt.Errorf("%s: ssl.truststore.location: %w", trustSrc, err)
			}
			roots = b
		}
		if roots != nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(roots) {
				return nil, fmt.Errorf("%s: ssl.truststore: no PEM certificates found", trustSrc)
			}
			cfg.RootCAs = pool
		}
		switch {
		case certChain != "" && keyPEM != "":
			cert, err := tls.X509KeyPair([]byte(certChain), []byte(keyPEM))
			if err != nil {
				return nil, fmt.Errorf("ssl.keystore.certificate.chain/ssl.keystore.key: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		case keyLoc != "":
			// A PEM keystore file holds both the private key and the chain.
			b, err := os.ReadFile(keyLoc)
			if err != nil {
				return nil, fmt.Errorf("%s: ssl.keystore.location: %w", keyLocSrc, err)
			}
			cert, err := tls.X509KeyPair(b, b)
			if err != nil {
				return nil, fmt.Errorf("%s: ssl.keystore.location: %w", keyLocSrc, err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		if endpointSrc != "" && endpointAlg == "" {
			// Kafka's way of turning off host name verification.
			cfg.InsecureSkipVerify = true
		}
		opts = append(opts, kgo.DialTLSConfig(cfg))
	}
	if useSASL {
		creds := map[string]string{}
		for _, m := range jaasOption.FindAllStringSubmatch(jaas, -1) {
			creds[m[1]] = strings.ReplaceAll(m[2], `\"`, `"`)
		}
		user, pass := creds["username"], creds["password"]
		if user == "" {
			return nil, fmt.Errorf("%s: sasl.jaas.config: expected ... username=\"USER\" password=\"PASSWORD\";", jaasSrc)
		}
		switch strings.ToUpper(mech) {
		case "", "PLAIN":
			opts = append(opts, kgo.SASL(plain.Auth{User: user, Pass: pass}.AsMechanism()))
		case "SCRAM-SHA-256":
			opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()))
		case "SCRAM-SHA-512":
			opts = append(opts, kgo.SASL(scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()))
		default:
			return nil, fmt.Errorf("%s: sasl.mechanism: expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, got %q", mechSrc, mech)
		}
	}
	return opts, nil
}
