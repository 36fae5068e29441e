package connect

import (
	"fmt"
	"log/slog"
)

// HiddenPassword is what a Password prints as, everywhere: logs, errors,
// REST responses. It is Kafka's Password.HIDDEN.
const HiddenPassword = "[hidden]"

// Password is a secret configuration value. Every way of printing it (fmt
// verbs, slog, JSON) yields HiddenPassword; only Value returns the secret.
type Password struct{ secret string }

// NewPassword wraps a secret.
func NewPassword(secret string) Password { return Password{secret: secret} }

// Value returns the secret itself. Call it only where the secret is used.
func (p Password) Value() string { return p.secret }

// String returns HiddenPassword.
func (p Password) String() string { return HiddenPassword }

// GoString returns HiddenPassword, so %#v does not leak the secret either.
func (p Password) GoString() string { return HiddenPassword }

// Format prints HiddenPassword for every verb.
func (p Password) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(HiddenPassword)) }

// LogValue keeps the secret out of slog output.
func (p Password) LogValue() slog.Value { return slog.StringValue(HiddenPassword) }

// MarshalJSON writes HiddenPassword.
func (p Password) MarshalJSON() ([]byte, error) { return []byte(`"` + HiddenPassword + `"`), nil }
