# Runnel's entry points. `make test` is exactly what CI runs (.ci/run).
GO        ?= go
BIN       ?= bin
PKGS      ?= ./...
TEST_TIMEOUT ?= 15m

.PHONY: build test vet fmt-check demo demo-postgres bench bench-broker bench-wordcount postgres clean

build:
	$(GO) build -o $(BIN)/ ./cmd/...

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# postgres makes sure a PostgreSQL server with wal_level=logical runs; the
# tests that need it read its URL from RUNNEL_TEST_POSTGRES_URL and fail
# (never skip) without it.
postgres:
	@./scripts/ensure-postgres.sh >/dev/null

test: fmt-check vet
	@url=$$(./scripts/ensure-postgres.sh) || { echo "make test: PostgreSQL is required (see scripts/ensure-postgres.sh)"; exit 1; }; \
	RUNNEL_TEST_POSTGRES_URL="$$url" $(GO) test -race -timeout $(TEST_TIMEOUT) $(PKGS)

# demo runs the main job on the bundled broker: no Kafka install needed.
demo:
	./scripts/demo.sh

# demo-postgres runs the PostgreSQL pipeline (CDC source -> streams app ->
# JDBC sink) against the local PostgreSQL that scripts/ensure-postgres.sh
# starts, or the one in RUNNEL_TEST_POSTGRES_URL; without either the demo
# tries its default URL and says what is missing.
# `make demo-postgres ARGS=--follow` keeps it running.
demo-postgres:
	@url=$$(./scripts/ensure-postgres.sh) || url=""; \
	$(GO) run ./examples/postgres $${url:+--postgres-url "$$url"} $(ARGS)

bench: bench-broker bench-wordcount

bench-broker:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./broker/...

# bench-wordcount runs the shared word-count harness (shared/bench/wordcount)
# on examples/wordcount and, in the same session, on the harness's baseline
# (a plain consumer counting into a map). One JSON line per run goes to
# WC_JSON; each SUMMARY line has the medians.
WC_HARNESS ?= ../shared/bench/wordcount
WC_BIN     ?= /tmp/wcbin
WC_LINES   ?= 1000000
WC_RUNS    ?= 3
WC_JSON    ?= /tmp/wc.jsonl
WC_FLAGS   ?=

bench-wordcount:
	cd $(WC_HARNESS) && $(GO) build -o $(WC_BIN)/ ./cmd/...
	$(GO) build -o $(BIN)/ ./examples/wordcount
	$(WC_BIN)/run -name runnel -runs $(WC_RUNS) -lines $(WC_LINES) -timeout 170s -json $(WC_JSON) -- \
	  $(abspath $(BIN))/wordcount $(WC_FLAGS) -brokers {brokers} -state {state} -group {group} -input {input} -output {output}
	$(WC_BIN)/run -name baseline -runs $(WC_RUNS) -lines $(WC_LINES) -selfreport -json $(WC_JSON) -- \
	  $(WC_BIN)/baseline -brokers {brokers} -group {group} -input {input}

clean:
	rm -rf $(BIN) .demo
