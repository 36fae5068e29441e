#!/usr/bin/env bash
# make demo: the bundled broker and the Kafka-style CLI on a fresh machine.
# Starts `runnel broker` on a free port with its data under .demo/, creates
# a topic, produces a text file through console-producer, reads it back with
# console-consumer and stops the broker cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."

go build -o bin/ ./cmd/runnel
mkdir -p .demo
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 19092)
addr="127.0.0.1:${port}"

bin/runnel broker --data-dir .demo/broker --listen "$addr" >.demo/broker.log 2>&1 &
broker=$!
trap 'kill -TERM $broker 2>/dev/null; wait $broker 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  bin/runnel topics --bootstrap-server "$addr" --list >/dev/null 2>&1 && break
  sleep 0.1
done

echo "== bundled broker on $addr (data in .demo/broker)"
bin/runnel topics --bootstrap-server "$addr" --create --if-not-exists --topic demo-lines --partitions 2 --replication-factor 1
echo "== producing examples/data/sample.txt"
bin/runnel console-producer --bootstrap-server "$addr" --topic demo-lines < examples/data/sample.txt
echo "== reading it back"
bin/runnel console-consumer --bootstrap-server "$addr" --topic demo-lines --from-beginning \
  --max-messages "$(wc -l < examples/data/sample.txt)" --property print.partition=true
bin/runnel topics --bootstrap-server "$addr" --describe --topic demo-lines
