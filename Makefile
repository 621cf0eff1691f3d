# The README's two commands: `make demo` and `make test`.
GO      ?= go
BIN     := bin
MODULE  := github.com/etcd-ctx/etcd-ctx
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
DATE    ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS := -s -w -X $(MODULE)/internal/clix.Version=$(VERSION) \
	-X $(MODULE)/internal/clix.Commit=$(COMMIT) -X $(MODULE)/internal/clix.Date=$(DATE)
BINARIES := etcd-ctx etcd-certwiz etcd-diag
# urfave/cli's markdown/man generator costs 0.6 ms of start-up in every run of
# every binary (etcd-ctx current runs on each prompt); man pages are generated
# by completion/ instead.
TAGS    := urfave_cli_no_docs

.PHONY: all build etcdctl test unit e2e lint demo bench clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $(BIN)/ $(addprefix ./cmd/,$(BINARIES))

# The etcdctl pinned by go.mod's tool directive (what `go tool etcdctl` runs).
etcdctl:
	$(GO) build -o $(BIN)/ go.etcd.io/etcd/etcdctl/v3

test: lint
	$(GO) test -count=1 ./...

unit:
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /tests)

e2e:
	$(GO) test -count=1 ./tests/...

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

demo: build etcdctl
	$(GO) run ./tests/demo -bin $(BIN)

# One table: etcd-ctx against kubectx and bare etcdctl, measured in the same run
# on the release build in $(BIN) (see tests/bench); about 20 s once built.
BENCHTIME ?= 100x
bench: build etcdctl
	$(GO) run ./tests/bench/report -bin $(BIN) -benchtime $(BENCHTIME)

clean:
	rm -rf $(BIN) dist
