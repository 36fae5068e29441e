// Package file holds the FileStreamSource and FileStreamSink connectors,
// configuration-compatible with Kafka's
// org.apache.kafka.connect.file.FileStreamSourceConnector and
// FileStreamSinkConnector.
//
// The source reads a file line by line (lines end with \n, \r\n or \r),
// following it as it grows, and records the byte position after each line
// as the offset {"position": n} of source partition {"filename": path}, so a
// restarted task resumes exactly after the last committed line. Without
// `file` it reads standard input and keeps no offsets. If the file becomes
// shorter than the stored position (it was truncated or replaced), the task
// logs a warning and starts again from the beginning.
//
// The sink appends each record's value, formatted as Java's
// String.valueOf would print it (maps as {k=v}, structs as Struct{f=v}),
// followed by a newline, to `file` or standard output, and makes the file
// durable (fsync) on every flush.
package file
