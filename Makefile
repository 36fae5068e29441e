# Runnel's entry points. `make test` is exactly what CI runs (.ci/run).
GO        ?= go
BIN       ?= bin
PKGS      ?= ./...
TEST_TIMEOUT ?= 15m

.PHONY: build test vet fmt-check demo bench bench-broker postgres clean

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

bench: bench-broker

bench-broker:
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./broker/...

clean:
	rm -rf $(BIN) .demo
