package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/runnel-dev/runnel/broker"
)

func startBrokerWith(t *testing.T, cfg broker.Config) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := broker.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("starting broker: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b.Addr()
}

func TestSASLClientProperties(t *testing.T) {
	addr := startBrokerWith(t, broker.Config{AutoCreateTopics: true, SASLUsers: []broker.SASLUser{
		{Mechanism: "PLAIN", User: "alice", Password: "s3cret"},
		{Mechanism: "SCRAM-SHA-256", User: "bob", Password: "pa\"ss"},
	}})
	plain := writeFile(t, "plain.properties", `security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cret";
`)
	scram := writeFile(t, "scram.properties", `security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-256
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="pa\\"ss";
`)
	wrong := writeFile(t, "wrong.properties", `security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=x required username="alice" password="nope";
`)
	for i, f := range []string{plain, scram} {
		mustRun(t, "", "topics", "--bootstrap-server", addr, "--command-config", f, "--create", "--topic", fmt.Sprintf("sasl-%d", i))
		mustRun(t, "v\n", "console-producer", "--bootstrap-server", addr, "--producer.config", f, "--topic", "secured")
	}
	r := mustRun(t, "", "console-consumer", "--bootstrap-server", addr, "--consumer.config", plain, "--topic", "secured", "--from-beginning", "--timeout-ms", "1000")
	if r.stdout != "v\nv\n" {
		t.Fatalf("consumed %q", r.stdout)
	}
	if r := runCLI(t, "", "topics", "--bootstrap-server", addr, "--command-config", wrong, "--list", "--timeout", "3000"); r.err == nil {
		t.Fatal("wrong password was accepted")
	}
	bad := writeFile(t, "bad.properties", "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=GSSAPI\nsasl.jaas.config=x username=\"a\" password=\"b\";\n")
	if r := runCLI(t, "", "topics", "--bootstrap-server", addr, "--command-config", bad, "--list"); r.err == nil || !strings.Contains(r.err.Error(), "sasl.mechanism: expected PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512") {
		t.Fatalf("unsupported mechanism: %v", r.err)
	}
}

func TestTLSClientProperties(t *testing.T) {
	certPEM, keyPEM := selfSignedCert(t)
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	addr := startBrokerWith(t, broker.Config{AutoCreateTopics: true, TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	trust := writeFile(t, "ca.pem", string(certPEM))
	props := writeFile(t, "tls.properties", "security.protocol=SSL\nssl.truststore.type=PEM\nssl.truststore.location="+trust+"\n")
	mustRun(t, "", "topics", "--bootstrap-server", addr, "--command-config", props, "--create", "--topic", "tls")
	if r := mustRun(t, "", "topics", "--bootstrap-server", addr, "--command-config", props, "--list"); r.stdout != "tls\n" {
		t.Fatalf("list over TLS: %q", r.stdout)
	}
	// Without the trust store the broker's certificate is rejected.
	untrusted := writeFile(t, "plain-tls.properties", "security.protocol=SSL\n")
	if r := runCLI(t, "", "topics", "--bootstrap-server", addr, "--command-config", untrusted, "--list", "--timeout", "3000"); r.err == nil {
		t.Fatal("an untrusted certificate was accepted")
	}
	jks := writeFile(t, "jks.properties", "security.protocol=SSL\nssl.truststore.location=/x.jks\nssl.truststore.type=JKS\n")
	if r := runCLI(t, "", "topics", "--bootstrap-server", addr, "--command-config", jks, "--list"); r.err == nil || !strings.Contains(r.err.Error(), "only PEM is supported") {
		t.Fatalf("JKS trust store: %v", r.err)
	}
}

func selfSignedCert(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "runnel test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}
