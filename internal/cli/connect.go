package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
)

const defaultBootstrap = "localhost:9092"

// parseBootstrap validates a --bootstrap-server value: a comma separated
// list of host:port.
func parseBootstrap(cmd *cobra.Command, flag, v string) ([]string, error) {
	var out []string
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		host, port, err := net.SplitHostPort(s)
		if err != nil || host == "" || port == "" {
			return nil, usageErrorf(cmd, "--%s: expected host:port[,host:port...], got %q", flag, v)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, usageErrorf(cmd, "--%s: expected host:port[,host:port...], got %q", flag, v)
	}
	return out, nil
}

// connTracker remembers the last failed connection attempt so that a
// timeout can say why nothing answered ("connection refused") instead of
// only "deadline exceeded".
type connTracker struct {
	mu        sync.Mutex
	lastErr   error
	addr      string
	connected bool // a connection ever succeeded
}

func (t *connTracker) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.lastErr = err
		t.addr = net.JoinHostPort(meta.Host, fmt.Sprint(meta.Port))
	} else {
		t.lastErr = nil
		t.connected = true
	}
}

// neverConnected reports the last dial error when no connection ever
// succeeded.
func (t *connTracker) neverConnected() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.connected {
		return nil
	}
	return t.lastErr
}

func (t *connTracker) last() (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.addr, t.lastErr
}

// kafkaClient is a franz-go client plus what is needed to explain a failure
// to reach the cluster.
type kafkaClient struct {
	*kgo.Client
	seeds   []string
	tracker *connTracker
}

// newKafkaClient builds a client for the given seeds. clientProps are the
// already translated --command-config/--*-property options.
func newKafkaClient(seeds []string, opts ...kgo.Opt) (*kafkaClient, error) {
	tr := &connTracker{}
	all := append([]kgo.Opt{
		kgo.SeedBrokers(seeds...),
		kgo.WithHooks(tr),
		// Tools exit on a missing topic rather than wait for it: a few
		// metadata retries cover topics created just before.
		kgo.UnknownTopicRetries(4),
	}, opts...)
	cl, err := kgo.NewClient(all...)
	if err != nil {
		return nil, fmt.Errorf("creating Kafka client: %w", err)
	}
	return &kafkaClient{Client: cl, seeds: seeds, tracker: tr}, nil
}

// explain turns a deadline or dial failure into an error that names the
// bootstrap servers and the last connection error.
func (c *kafkaClient) explain(err error) error {
	if err == nil {
		return nil
	}
	addr, lastErr := c.tracker.last()
	var netErr net.Error
	timedOut := errors.Is(err, context.DeadlineExceeded)
	if !timedOut && !errors.As(err, &netErr) && lastErr == nil {
		return err
	}
	if lastErr != nil && !strings.Contains(err.Error(), lastErr.Error()) {
		return fmt.Errorf("cannot reach Kafka at --bootstrap-server %s: %w (last attempt to %s: %v)",
			strings.Join(c.seeds, ","), err, addr, lastErr)
	}
	if lastErr != nil {
		return fmt.Errorf("cannot reach Kafka at --bootstrap-server %s: %w", strings.Join(c.seeds, ","), err)
	}
	if timedOut {
		return fmt.Errorf("no answer from Kafka at --bootstrap-server %s: %w", strings.Join(c.seeds, ","), err)
	}
	return err
}
