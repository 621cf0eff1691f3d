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

.PHONY: all build etcdctl test unit e2e race fuzz lint cover demo bench clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $(BIN)/ $(addprefix ./cmd/,$(BINARIES))

# The etcdctl pinned by go.mod's tool directive (what `go tool etcdctl` runs).
etcdctl:
	$(GO) build -o $(BIN)/ go.etcd.io/etcd/etcdctl/v3

# lint, then unit and e2e tests, then the race detector, then a short fuzz run.
test: lint
	$(GO) test -count=1 ./...
	$(MAKE) --no-print-directory race fuzz

unit:
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /tests)

e2e:
	$(GO) test -count=1 ./tests/...

# The packages with concurrency (config locking, parallel diag probes in
# process) under the race detector (needs cgo: a C compiler). The e2e tests are
# left out: the binaries they run are built with CGO_ENABLED=0, so -race there
# would check only the harness, at several times the cost.
race:
	$(GO) test -race -count=1 ./contexts/ ./diag/ ./internal/...

# Each fuzz target in turn for its budget (go test -fuzz takes one target per
# run). A crasher is saved under the package's testdata/fuzz/FuzzX/, fails the
# run, and from then on is replayed by every go test as a regression case.
# Budgets are execution counts (about 10 s each on an idle 2-core machine),
# not durations: with a duration, Go 1.26's fuzz coordinator can fail a target
# at the deadline with "context deadline exceeded" and no crasher (a race,
# golang/go#75804, fixed in Go 1.27; seen here on a loaded machine). A count
# has no deadline: under load the run only takes longer. FUZZTIME (a count,
# 1000x, or a duration) overrides every budget.
FUZZTIME ?=
FUZZ_TARGETS := ./contexts:FuzzParseConfig:70000 ./contexts:FuzzStateFile:20000 ./internal/conn:FuzzParseCerts:250000 \
	./internal/conn:FuzzParseKey:150000 ./internal/conn:FuzzKeyPair:50000 ./internal/conn:FuzzNormalizeEndpoint:200000 \
	./certwiz:FuzzParsePlan:80000 ./certwiz:FuzzCheckTree:10000 ./diag:FuzzExplain:15000
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; rest=$${t#*:}; name=$${rest%%:*}; budget=$${rest##*:}x; \
		[ -z "$(FUZZTIME)" ] || budget=$(FUZZTIME); \
		echo "$(GO) test -run '^$$' -fuzz '^$$name\$$' -fuzztime $$budget $$pkg"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $$budget $$pkg; \
	done

# staticcheck, pinned, from the Go module proxy (the first run downloads and
# builds it; later ones use the module and build caches).
STATICCHECK_VERSION := v0.8.2
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# Statement coverage of each package over the whole suite (unit and
# end-to-end tests: the commands run inside the test binary, see
# tests/e2e_test.go), as a table; cover.out is the merged profile. Code that
# runs only just before `etcd-ctx exec` replaces itself with etcdctl (exec(2)
# in place) is not counted: the counters go with the process.
cover:
	$(GO) test -count=1 -coverpkg=./... -coverprofile=cover.out ./...
	@$(GO) tool cover -func=cover.out | tail -1
	@awk -v module=$(MODULE) -f scripts/cover-table.awk cover.out

demo: build etcdctl
	$(GO) run ./tests/demo -bin $(BIN)

# One table: etcd-ctx against kubectx and bare etcdctl, etcd-diag against
# etcdctl endpoint health + status, certwiz against openssl, measured in the same
# run on the release build in $(BIN) (see tests/bench), then binary sizes and
# peak memory; about 1 min once built on an idle 2-core machine (BENCHMARKS.md).
BENCHTIME ?= 100x
bench: build etcdctl
	$(GO) run ./tests/bench/report -bin $(BIN) -benchtime $(BENCHTIME)

clean:
	rm -rf $(BIN) dist

# Packaging (goreleaser.yaml): archives, .deb/.rpm, checksums and a Homebrew
# cask for linux, darwin and windows on amd64 and arm64, with the completion
# scripts and man pages packaging/gen writes from the command definitions.
# GoReleaser is pinned and installed here by `go install` (about 3 min once).
GORELEASER_VERSION := v2.16.0
GORELEASER := $(BIN)/tools/goreleaser-$(GORELEASER_VERSION)

.PHONY: gen release-check release-snapshot package-test

$(GORELEASER):
	GOBIN=$(abspath $(BIN)/tools) $(GO) install github.com/goreleaser/goreleaser/v2@$(GORELEASER_VERSION)
	mv $(BIN)/tools/goreleaser $@

# Completion scripts and man pages into build/gen, as the release does.
gen:
	$(GO) run ./packaging/gen -out build/gen

release-check: $(GORELEASER)
	$(GORELEASER) check

# Everything a release makes, into dist/, without publishing: needs no
# GitHub remote, token or network beyond Go modules.
release-snapshot: $(GORELEASER)
	$(GORELEASER) release --snapshot --clean

# The snapshot checked as users get it, the .deb installed on this machine
# with dpkg -i and removed again (root or sudo): packaging/package-test.sh.
package-test: release-check release-snapshot
	bash packaging/package-test.sh dist
