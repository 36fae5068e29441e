package broker

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
)

// errFrameTooLarge is what a capped connection's Read returns once a
// request frame announces a size above the cap.
var errFrameTooLarge = errors.New("request frame exceeds the broker's maximum request size")

// brokerListener wraps the real listener for two reasons: kfake advertises
// whatever Addr() returns, so Addr reports the advertised address; and each
// accepted connection is capped so that a client cannot make the broker
// allocate a huge request buffer.
type brokerListener struct {
	net.Listener
	advertised net.Addr
	maxFrame   int
	log        *slog.Logger
}

func (l *brokerListener) Addr() net.Addr { return l.advertised }

func (l *brokerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &cappedConn{Conn: c, maxFrame: l.maxFrame, log: l.log}, nil
}

// cappedConn follows Kafka's framing (a 4-byte big-endian size, then that
// many bytes) on the bytes flowing in, and fails the read that would hand
// an oversized size prefix to the broker. Bodies are skipped in bulk, so
// the cost is a few instructions per request, not per byte.
type cappedConn struct {
	net.Conn
	maxFrame int
	log      *slog.Logger

	mu        sync.Mutex
	hdr       [4]byte
	hdrN      int
	remaining int64
}

func (c *cappedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		if ferr := c.scan(p[:n]); ferr != nil {
			c.Conn.Close()
			return 0, ferr
		}
	}
	return n, err
}

func (c *cappedConn) scan(b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(b) > 0 {
		if c.remaining > 0 {
			skip := min(int64(len(b)), c.remaining)
			c.remaining -= skip
			b = b[skip:]
			continue
		}
		k := copy(c.hdr[c.hdrN:], b)
		c.hdrN += k
		b = b[k:]
		if c.hdrN < 4 {
			continue
		}
		c.hdrN = 0
		size := int32(binary.BigEndian.Uint32(c.hdr[:]))
		if size < 0 || int64(size) > int64(c.maxFrame) {
			c.log.Warn("closing connection: request frame too large",
				"remote", c.Conn.RemoteAddr().String(), "frame_bytes", size, "max_bytes", c.maxFrame)
			return fmt.Errorf("%w: %d > %d bytes", errFrameTooLarge, size, c.maxFrame)
		}
		c.remaining = int64(size)
	}
	return nil
}

// advertisedAddr resolves what the listener reports to clients.
func advertisedAddr(actual net.Addr, advertise string) (net.Addr, error) {
	if advertise == "" {
		tcp, ok := actual.(*net.TCPAddr)
		if ok && tcp.IP.IsUnspecified() {
			return hostPortAddr(net.JoinHostPort("localhost", fmt.Sprint(tcp.Port))), nil
		}
		return actual, nil
	}
	host, port, err := net.SplitHostPort(advertise)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("broker: advertise address %q: expected host:port", advertise)
	}
	return hostPortAddr(advertise), nil
}

// hostPortAddr is a net.Addr for an advertised host name that need not
// resolve on this machine.
type hostPortAddr string

func (hostPortAddr) Network() string  { return "tcp" }
func (a hostPortAddr) String() string { return string(a) }
