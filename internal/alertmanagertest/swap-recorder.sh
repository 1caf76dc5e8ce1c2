#!/usr/bin/env bash
# swap-recorder.sh SRC DEST CHECKOUT
#
# Copies an Alertmanager release's source tree SRC (v0.33 or v0.34, e.g.
# from `go mod download -json github.com/prometheus/alertmanager@v0.33.1`)
# to DEST and makes it build against this module's event recorder, checked
# out at CHECKOUT, instead of its own. These are exactly the edits README.md
# lists under "Migrating from Alertmanager's eventrecorder":
#
#   1. the import paths .../alertmanager/eventrecorder and
#      .../eventrecorder/eventrecorderpb become .../eventrecorder/event and
#      .../event/eventrecorderpb (the first keeps the name eventrecorder);
#   2. for v0.34 only, two call sites: RecordEvent(ctx, func() ...) becomes
#      RecordEventFunc, InhibitRuleAsProto(name, ...) becomes
#      InhibitRuleAsProtoNamed. Which release is which is read from
#      upstream's own eventrecorder package before it is deleted;
#   3. go.mod requires this module, replaced by CHECKOUT.
#
# It also creates the empty ui/app/dist/index.html that the module zip
# lacks (the UI bundle is a build artefact that ui/web.go embeds). Then
# `go build -mod=mod ./cmd/alertmanager` in DEST builds the swapped binary.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 SRC DEST CHECKOUT" >&2
  exit 2
fi
src=$1 dest=$2 checkout=$3

up=github.com/prometheus/alertmanager/eventrecorder
ours=github.com/eventrecorder/eventrecorder/event

if [ ! -d "$src/eventrecorder/eventrecorderpb" ]; then
  echo "$src: no eventrecorder/eventrecorderpb package; only Alertmanager v0.33 and v0.34 are supported (v0.35 moved to the v2 API)" >&2
  exit 1
fi
if [ ! -f "$checkout/event/recorder.go" ]; then
  echo "$checkout: not a checkout of github.com/eventrecorder/eventrecorder (no event/recorder.go)" >&2
  exit 1
fi

mkdir -p "$dest"
cp -R "$src/." "$dest/"
chmod -R u+w "$dest"
cd "$dest"

# The v0.34 API, recognised by its signatures rather than a version number.
lazy=no named=no
grep -q 'func (r Recorder) RecordEvent(ctx context.Context, build func()' eventrecorder/recorder.go && lazy=yes
grep -q 'func InhibitRuleAsProto(name string' eventrecorder/events.go && named=yes
rm -rf eventrecorder

mapfile -t files < <(grep -rlF --include='*.go' "\"$up" .)
if [ ${#files[@]} -eq 0 ]; then
  echo "$src: no Go file imports $up" >&2
  exit 1
fi
sed -i -E \
  -e "s#^([[:space:]]*)\"$up\"#\\1eventrecorder \"$ours\"#" \
  -e "s#^import \"$up\"#import eventrecorder \"$ours\"#" \
  -e "s#\"$up\"#\"$ours\"#" \
  -e "s#\"$up/eventrecorderpb\"#\"$ours/eventrecorderpb\"#" \
  "${files[@]}"
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
