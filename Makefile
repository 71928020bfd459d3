# The README's test command is `make test`; .ci/run runs exactly that.
GO ?= go
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
VERSION ?= dev

.PHONY: test lint build bench fuzz

# test: formatting, vet, staticcheck, every fuzz target for a few seconds, then every test with
# the race detector.
test: lint
	bash scripts/fuzz-short
	$(GO) test -race -timeout 15m ./...

lint:
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# build: the static binary, built exactly as the Dockerfile builds it.
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X main.buildVersion=$(VERSION)" -o bin/cohortd ./cmd/cohortd
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o bin/cohortd-gen ./cmd/cohortd-gen

# bench: the long benchmarks; they rewrite BENCHMARKS.md. Not part of `make test`.
bench:
	bash scripts/bench

# fuzz: longer fuzzing, e.g. make fuzz FUZZTIME=5m
fuzz:
	FUZZTIME=$(or $(FUZZTIME),1m) bash scripts/fuzz-short
