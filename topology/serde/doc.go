// Package serde turns typed keys and values into bytes and back.
//
// A Serde[T] serializes and deserializes one type. The built-ins match the
// byte formats of Kafka's own serdes (String is UTF-8, Int32/Int64 are
// big-endian two's complement, Float64 is big-endian IEEE 754), so Runnel
// applications can share topics with Java Kafka Streams applications.
//
// Kafka's serdes map a null byte array to a null object. Go's non-pointer
// types have no null, so the built-ins deserialize nil to the zero value;
// wrap a serde in Nullable to keep the difference (nil <-> nil pointer).
// Errors are *Error values that name the topic and serde.
package serde
