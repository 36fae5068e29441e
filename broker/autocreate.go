package broker

import (
	"errors"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// installAutoCreate implements auto.create.topics.enable on top of kfake.
//
// kfake's own auto-creation only records the new topic in memory; its
// metadata file is written on a clean Close, so after a kill -9 the topic,
// and with it every acknowledged record, would be gone. Topics created
// through Cluster.CreateTopic are persisted at once, so metadata requests
// that ask for auto-creation create their missing topics that way before
// kfake answers them.
func installAutoCreate(c *kfake.Cluster, log *slog.Logger) {
	c.ControlKey(int16(kmsg.Metadata), func(req kmsg.Request) (kmsg.Response, error, bool) {
		mreq, ok := req.(*kmsg.MetadataRequest)
		if !ok || !mreq.AllowAutoTopicCreation || len(mreq.Topics) == 0 {
			return nil, nil, false
		}
		names := make([]string, 0, len(mreq.Topics))
		for _, t := range mreq.Topics {
			if t.Topic != nil && *t.Topic != "" {
				names = append(names, *t.Topic)
			}
		}
		if len(names) == 0 {
			return nil, nil, false
		}
		// The control function runs on kfake's loop; creating a topic
		// needs that loop, so the work runs while this request sleeps.
		c.SleepControl(func() {
			for _, name := range names {
				if c.TopicInfo(name) != nil {
					continue
				}
				if err := c.CreateTopic(name, 0, nil); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
					log.Warn("auto-creating topic failed", "topic", name, "err", err)
					continue
				}
				log.Info("auto-created topic", "topic", name)
			}
		})
		return nil, nil, false
	})
}
