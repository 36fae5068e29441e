#!/usr/bin/env bash
# make demo: Kafka's WordCountDemo on Runnel, with nothing to install.
# Builds examples/wordcount and runs it in demo mode: it starts the bundled
# broker in-process (data under .demo/wordcount, wiped at the start), feeds
# it examples/data/sample.txt, runs the DSL word count, prints each count as
# it changes and exits once every word has its final count.
#
#   scripts/demo.sh                           # sample text, bundled broker
#   scripts/demo.sh -file - < some.txt        # your own text
#   scripts/demo.sh --bootstrap-server host:9092   # an existing Kafka cluster
set -euo pipefail
cd "$(dirname "$0")/.."

go build -o bin/ ./examples/wordcount
exec bin/wordcount -demo "$@"
