# Every tool runs through `go run` at the version pinned in go.mod (see
# tools.go); nothing needs installing by hand.
GO        ?= go
BUF       := $(GO) run github.com/bufbuild/buf/cmd/buf
STATICCHECK := $(GO) run honnef.co/go/tools/cmd/staticcheck
BENCHSTAT := $(GO) run golang.org/x/perf/cmd/benchstat
FUZZTIME  ?= 20s

.PHONY: demo test test-alertmanager test-short generate check-generated lint buf-lint buf-breaking buf-breaking-selftest fuzz bench ci

## demo: record a realistic alert lifecycle into ./events.jsonl and stdout (no external service)
demo:
	$(GO) run ./tools/cmd/eventrecorder demo

## test: every test, with the race detector
test:
	$(GO) test -race -count=1 -timeout 20m ./...

## test-alertmanager: build Alertmanager v0.33.1 and v0.34.2 with this recorder swapped in and drive an alert lifecycle through each (minutes; needs the module proxy)
test-alertmanager:
	EVENTRECORDER_ALERTMANAGER=1 $(GO) test -race -count=1 -timeout 15m -v -run '^TestAlertmanagerLifecycle$$' ./internal/alertmanagertest/

## test-short: the fast subset (skips the extension proof and long fault tests)
test-short:
	$(GO) test -short -count=1 ./...

## generate: regenerate protobuf types, constructors, converters and encoders from the schema
generate:
	$(GO) generate ./...

## check-generated: fail if checked-in generated code is stale
check-generated: generate
	git diff --exit-code -- . || (echo "generated code is stale: run 'make generate' and commit" >&2; exit 1)
	test -z "$$(git status --porcelain --untracked-files=all -- event gen)" || (git status --porcelain -- event gen; echo "generation left untracked files" >&2; exit 1)

## lint: go vet, staticcheck, gofmt
lint:
	$(GO) vet ./...
	$(STATICCHECK) ./...
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

buf-lint:
	cd event && $(BUF) lint

## buf-breaking: the schema must stay wire- and JSON-compatible with the last released schema image
buf-breaking:
	cd event && $(BUF) breaking --against schema/released.binpb

## buf-breaking-selftest: prove buf-breaking can fail: renumbering a field in a copy must be rejected
buf-breaking-selftest:
	@tmp=$$(mktemp -d) && cp -r event/buf.yaml event/eventrecorderpb $$tmp/ && mkdir -p $$tmp/schema && cp event/schema/released.binpb $$tmp/schema/ && \
	sed -i 's/string instance = 2;/string instance = 5;/' $$tmp/eventrecorderpb/eventrecorder.proto && \
	if (cd $$tmp && $(BUF) breaking --against schema/released.binpb >/dev/null 2>&1); then echo "buf breaking accepted a renumbered field" >&2; rm -rf $$tmp; exit 1; else echo "buf breaking rejects a renumbered field: ok"; rm -rf $$tmp; fi

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@for spec in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  for f in $$(grep -h '^func Fuzz' $$spec/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "fuzz $$spec $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$spec || exit 1; \
	  done; \
	done

## bench: run the benchmark suite and write BENCHMARKS.md
bench:
	$(GO) run ./internal/benchreport

## ci: what .ci/run does after installing system packages
ci: check-generated lint buf-lint buf-breaking buf-breaking-selftest test test-alertmanager fuzz
