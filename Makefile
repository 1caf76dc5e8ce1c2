# The root module is the library; gen/ is a module of its own holding the
# generators and the pinned build tools (buf, staticcheck, benchstat, as
# tool directives in gen/go.mod), so that a module importing the library
# does not inherit them. `go -C gen tool X` builds X from gen/go.mod on
# demand (cached by Go); nothing needs installing by hand.
GO        ?= go
# Every module in the repository, for lint and fuzz: the library, gen/, and
# the compatibility test modules (whose tests test-compat runs).
MODULES   := . gen internal/compat/am034 internal/compat/am035
# The schemas, each a buf module with its released image in schema/:
# the first generation (Alertmanager v0.33/v0.34's wire format) and the
# second (v0.35's events.v2).
SCHEMAS   := event event/v2
# buf runs from gen/, so paths given to it are relative to gen/.
BUF       := $(GO) -C gen tool buf
FUZZTIME  ?= 20s

.PHONY: demo test test-compat test-alertmanager test-short generate check-generated check-footprint lint buf-lint buf-breaking buf-breaking-selftest fuzz bench ci

## demo: record a realistic alert lifecycle into ./events.jsonl and stdout (no external service)
demo:
	$(GO) run ./tools/cmd/eventrecorder demo

## test: every test of both modules, with the race detector
test:
	$(GO) test -race -count=1 -timeout 20m ./...
	$(GO) -C gen test -race -count=1 -timeout 20m ./...

## test-alertmanager-versions: go vet ./... and test ./event/... against every supported Alertmanager release
.PHONY: test-alertmanager-versions
test-alertmanager-versions:
	GO=$(GO) .ci/alertmanager-versions

## test-compat: link Alertmanager v0.34's and v0.35's schema packages beside ours and decode each
## other's events; modules of their own (internal/compat/am034, am035), as the root requires Alertmanager v0.33
test-compat:
	cd internal/compat/am034 && $(GO) vet ./... && $(GO) test -race -count=1 ./...
	cd internal/compat/am035 && $(GO) vet ./... && $(GO) test -race -count=1 ./...

## test-alertmanager: build Alertmanager v0.33.1, v0.34.2 and v0.35.0 with this recorder swapped in (and v0.35.0 stock) and drive an alert lifecycle through each (minutes; needs the module proxy)
test-alertmanager:
	EVENTRECORDER_ALERTMANAGER=1 $(GO) test -race -count=1 -timeout 25m -v -run '^TestAlertmanagerLifecycle$$' ./internal/alertmanagertest/

## test-short: the fast subset (skips the extension proof and long fault tests)
test-short:
	$(GO) test -short -count=1 ./...
	$(GO) -C gen test -short -count=1 ./...

## generate: regenerate protobuf types, constructors, converters and encoders from the schema
generate:
	$(GO) generate ./...
	$(GO) -C gen generate ./...

## check-generated: fail if checked-in generated code is stale
check-generated: generate
	git diff --exit-code -- . || (echo "generated code is stale: run 'make generate' and commit" >&2; exit 1)
	test -z "$$(git status --porcelain --untracked-files=all -- event gen)" || (git status --porcelain -- event gen; echo "generation left untracked files" >&2; exit 1)

## check-footprint: a module importing event keeps its go directive and gets none of our tools (.ci/check-footprint)
check-footprint:
	bash .ci/check-footprint

## lint: go vet, staticcheck and go mod tidy in every module, gofmt
lint:
	@set -e; staticcheck=$$($(GO) -C gen tool -n staticcheck); for mod in $(MODULES); do \
	  echo "lint module $$mod"; \
	  (cd $$mod && $(GO) vet ./... && $$staticcheck ./... && $(GO) mod tidy -diff); \
	done
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

## buf-lint: lint every schema
buf-lint:
	@set -e; for s in $(SCHEMAS); do echo "buf lint $$s"; $(BUF) lint ../$$s; done

## buf-breaking: each schema must stay wire- and JSON-compatible with its last released image
## (event/v2's is the schema as first written, field for field Alertmanager v0.35's events.v2,
## which internal/compat/am035 checks; built with `go -C gen tool buf build ../event/v2 -o ../event/v2/schema/released.binpb`)
buf-breaking:
	@set -e; for s in $(SCHEMAS); do echo "buf breaking $$s"; $(BUF) breaking ../$$s --against ../$$s/schema/released.binpb; done

## buf-breaking-selftest: prove buf-breaking can fail, for each schema: renumbering a field in a
## copy must be rejected, and for that field: failing for another reason (buf not running, or a
## baseline with another proto package, against which no field is compared) proves nothing
buf-breaking-selftest:
	@set -e; for s in $(SCHEMAS); do \
	  tmp=$$(mktemp -d); cp -r $$s/buf.yaml $$s/*pb $$tmp/; mkdir -p $$tmp/schema; cp $$s/schema/released.binpb $$tmp/schema/; \
	  protos=$$(ls $$tmp/*pb/*.proto); \
	  if [ "$$(printf '%s\n' $$protos | wc -l)" -ne 1 ] || ! grep -q 'string instance = 2;' $$protos; then \
	    echo "$$s: expected one schema file declaring Event.instance = 2" >&2; rm -rf $$tmp; exit 1; fi; \
	  sed -i 's/string instance = 2;/string instance = 5;/' $$protos; \
	  rc=0; out=$$($(BUF) breaking $$tmp --against $$tmp/schema/released.binpb 2>&1) || rc=$$?; rm -rf $$tmp; \
	  if [ $$rc -eq 0 ]; then echo "$$s: buf breaking accepted a renumbered field" >&2; exit 1; fi; \
	  if ! printf '%s\n' "$$out" | grep -q 'field "2" with name "instance" on message "Event"'; then \
	    printf '%s: buf breaking failed, but not on the renumbered field:\n%s\n' "$$s" "$$out" >&2; exit 1; fi; \
	  echo "$$s: buf breaking rejects a renumbered field: ok"; \
	done

## fuzz: run every fuzz target of every module for FUZZTIME each
# A run that fails with only "context deadline exceeded" and writes no
# failing input is Go's race at the end of a timed -fuzztime
# (golang/go#75804, not fixed in go1.26): it found nothing, so it passes,
# saying so. Any other failure fails, a found input above all.
fuzz:
	@set -e; log=$$(mktemp); trap 'rm -f $$log $$log.rc' EXIT; \
	for mod in $(MODULES); do \
	  for dir in $$($(GO) -C $$mod list -f '{{.Dir}}' ./...); do \
	    for f in $$(cat $$dir/*_test.go 2>/dev/null | sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/p'); do \
	      echo "fuzz $${dir#$(CURDIR)/} $$f"; \
	      { (cd $$dir; rc=0; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) . || rc=$$?; echo $$rc > $$log.rc) 2>&1; } | tee $$log; \
	      rc=$$(cat $$log.rc); \
	      if [ "$$rc" -ne 0 ]; then \
	        if grep -qx '    context deadline exceeded' $$log && ! grep -q 'Failing input written to' $$log \
	          && [ "$$(grep -c '^--- FAIL' $$log)" -eq 1 ]; then \
	          echo "fuzz $$f: only Go's -fuzztime deadline race (golang/go#75804), no failing input: counted as passed"; \
	        else exit "$$rc"; fi; \
	      fi; \
	    done; \
	  done; \
	done

## bench: run the benchmark suite and write BENCHMARKS.md
bench:
	$(GO) run ./internal/benchreport

## ci: what .ci/run does after installing system packages
ci: check-generated check-footprint lint buf-lint buf-breaking buf-breaking-selftest test test-alertmanager-versions test-compat test-alertmanager fuzz
