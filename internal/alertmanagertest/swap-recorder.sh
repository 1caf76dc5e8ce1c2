#!/usr/bin/env bash
# swap-recorder.sh SRC DEST CHECKOUT
#
# Copies an Alertmanager release's source tree SRC (v0.33, v0.34 or v0.35,
# e.g. from `go mod download -json github.com/prometheus/alertmanager@v0.33.1`)
# to DEST and makes it build against this module's event recorder, checked
# out at CHECKOUT, instead of its own. These are exactly the edits README.md
# lists under "Migrating from Alertmanager's eventrecorder":
#
#   1. v0.33 and v0.34 (upstream has eventrecorder/eventrecorderpb): the
#      import paths .../alertmanager/eventrecorder and
#      .../eventrecorder/eventrecorderpb become .../eventrecorder/event and
#      .../event/eventrecorderpb (the first keeps the name eventrecorder);
#      v0.35 (upstream has eventrecorder/events/v2, the opaque API): the
#      import paths .../alertmanager/eventrecorder and
#      .../eventrecorder/events/v2 become .../eventrecorder/event/v2 (named
#      eventrecorder) and .../event/v2/eventsv2pb. Only a test of upstream's
#      notify package imports events/v2 outside eventrecorder/ itself, so the
#      second edit is not needed to build cmd/alertmanager; it keeps
#      `go vet ./...` of the swapped tree meaningful;
#   2. for v0.34 only, two call sites: RecordEvent(ctx, func() ...) becomes
#      RecordEventFunc, InhibitRuleAsProto(name, ...) becomes
#      InhibitRuleAsProtoNamed. Which release is which is read from
#      upstream's own eventrecorder package before it is deleted; v0.35
#      needs no call-site edit, the facade has its API;
#   3. go.mod requires this module, replaced by CHECKOUT.
#
# It also creates the empty ui/app/dist/index.html that the module zip
# lacks (the UI bundle is a build artefact that ui/web.go embeds). Then
# `go build -mod=mod ./cmd/alertmanager` in DEST builds the swapped binary.
#
# Exit status 3 means CHECKOUT lacks the package the release needs: for
# v0.35, the facade event/v2, whose hand-written recorder.go holds the
# Recorder (the package's generated code alone is not a facade; once
# recorder.go exists, a broken facade fails the build instead of being
# skipped). The test skips on 3 and fails on any other error.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 SRC DEST CHECKOUT" >&2
  exit 2
fi
src=$1 dest=$2 checkout=$3

up=github.com/prometheus/alertmanager/eventrecorder

# The generation, recognised by upstream's own package shape.
if [ -d "$src/eventrecorder/events/v2" ]; then
  gen=2 ours=github.com/eventrecorder/eventrecorder/event/v2
elif [ -d "$src/eventrecorder/eventrecorderpb" ]; then
  gen=1 ours=github.com/eventrecorder/eventrecorder/event
else
  echo "$src: neither eventrecorder/eventrecorderpb (v0.33, v0.34) nor eventrecorder/events/v2 (v0.35): not a supported Alertmanager release" >&2
  exit 1
fi
if [ ! -f "$checkout/event/recorder.go" ]; then
  echo "$checkout: not a checkout of github.com/eventrecorder/eventrecorder (no event/recorder.go)" >&2
  exit 1
fi
if [ $gen = 2 ] && [ ! -f "$checkout/event/v2/recorder.go" ]; then
  echo "$checkout: the v0.35 facade is missing: event/v2 has no recorder.go yet (github.com/eventrecorder/eventrecorder/event/v2, issue 14 point 4), so Alertmanager v0.35 cannot be built with this recorder" >&2
  exit 3
fi

mkdir -p "$dest"
cp -R "$src/." "$dest/"
chmod -R u+w "$dest"
cd "$dest"

# The v0.34 API, recognised by its signatures rather than a version number
# (v0.35's RecordEvent takes a builder too, but its facade has that API).
lazy=no named=no
if [ $gen = 1 ]; then
  grep -q 'func (r Recorder) RecordEvent(ctx context.Context, build func()' eventrecorder/recorder.go && lazy=yes
  grep -q 'func InhibitRuleAsProto(name string' eventrecorder/events.go && named=yes
fi
rm -rf eventrecorder

mapfile -t files < <(grep -rlF --include='*.go' "\"$up" .)
if [ ${#files[@]} -eq 0 ]; then
  echo "$src: no Go file imports $up" >&2
  exit 1
fi
if [ $gen = 1 ]; then
  sed -i -E \
    -e "s#^([[:space:]]*)\"$up\"#\\1eventrecorder \"$ours\"#" \
    -e "s#^import \"$up\"#import eventrecorder \"$ours\"#" \
    -e "s#\"$up\"#\"$ours\"#" \
    -e "s#\"$up/eventrecorderpb\"#\"$ours/eventrecorderpb\"#" \
    "${files[@]}"
else
  sed -i -E \
    -e "s#^([[:space:]]*)\"$up\"#\\1eventrecorder \"$ours\"#" \
    -e "s#^import \"$up\"#import eventrecorder \"$ours\"#" \
    -e "s#\"$up\"#\"$ours\"#" \
    -e "s#\"$up/events/v2\"#\"$ours/eventsv2pb\"#" \
    "${files[@]}"
fi
echo "imports: ${#files[@]} files now import $ours"

if [ $lazy = yes ]; then
  n=$(grep -rlE --include='*.go' '\.RecordEvent\([^,()]+, func\(\) \*eventrecorderpb\.EventData \{' . | wc -l)
  grep -rlE --include='*.go' '\.RecordEvent\([^,()]+, func\(\) \*eventrecorderpb\.EventData \{' . |
    xargs -r sed -i -E 's#\.RecordEvent\(([^,()]+), func\(\) \*eventrecorderpb\.EventData \{#.RecordEventFunc(\1, func() *eventrecorderpb.EventData {#g'
  echo "call sites: RecordEvent(ctx, func() ...) -> RecordEventFunc in $n files"
  if left=$(grep -rnE --include='*.go' '\.RecordEvent\([^)]*func\(\)' .); then
    echo "RecordEvent calls with a builder the edit did not match:" >&2
    echo "$left" >&2
    exit 1
  fi
fi
if [ $named = yes ]; then
  n=$(grep -rlF --include='*.go' 'eventrecorder.InhibitRuleAsProto(' . | wc -l)
  grep -rlF --include='*.go' 'eventrecorder.InhibitRuleAsProto(' . |
    xargs -r sed -i 's#eventrecorder\.InhibitRuleAsProto(#eventrecorder.InhibitRuleAsProtoNamed(#g'
  echo "call sites: InhibitRuleAsProto(name, ...) -> InhibitRuleAsProtoNamed in $n files"
fi

if left=$(grep -rnF --include='*.go' "$up" .); then
  echo "references to $up left after the edit:" >&2
  echo "$left" >&2
  exit 1
fi

go mod edit \
  -require=github.com/eventrecorder/eventrecorder@v0.0.0-00010101000000-000000000000 \
  -replace=github.com/eventrecorder/eventrecorder="$checkout"

mkdir -p ui/app/dist
: >ui/app/dist/index.html
