#!/bin/bash
# Build stock mosquitto-go-auth (github.com/iegomez/mosquitto-go-auth) once, for bench/go_auth.py.
#
#   bench/go-auth/build.sh [OUT_DIR]          (default var/go-auth; GO_AUTH_VERSION=latest)
#   GO_AUTH_SOURCE=/path/to/git/clone bench/go-auth/build.sh   (when the module proxy refuses it)
#
# Its source comes from the Go module proxy (`go mod download`, checksummed by sum.golang.org),
# is built in a temporary folder against Debian's mosquitto-dev headers, and only the plugin
# (OUT_DIR/go-auth.so) and a note of the version are kept. Nothing of go-auth is vendored or
# committed: var/ is ignored. CI cannot fetch it, which is why this is a benchmark, not a test.
#
# Needs: go (1.24 or newer: go-auth's go.mod says so), gcc, mosquitto-dev and libmosquitto-dev
# (installed when missing and run as root), network access to the
# module proxy. The upstream repository is archived (June 2025); its tags (e.g. 3.0.0) are not
# semantic-version tags with a "v", so the proxy resolves `latest` to a pseudo-version of the
# newest commit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/var/go-auth}
VERSION=${GO_AUTH_VERSION:-latest}
MODULE=github.com/iegomez/mosquitto-go-auth

command -v go >/dev/null || { echo "go is not installed (make bench installs golang-go)" >&2; exit 1; }
# mosquitto_broker.h and mosquitto_plugin.h come with mosquitto-dev, mosquitto.h with libmosquitto-dev.
missing=$(for pkg in mosquitto-dev libmosquitto-dev gcc; do
  dpkg-query -W -f='${Status}\n' $pkg 2>/dev/null | grep -q '^install ok installed' || echo $pkg; done)
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
  else
    echo "missing Debian packages: $missing" >&2; exit 1
  fi
fi

if [ -f "$OUT/go-auth.so" ] && [ -z "${GO_AUTH_REBUILD:-}" ]; then
  echo "already built: $OUT/go-auth.so ($(cat "$OUT/VERSION" 2>/dev/null)); GO_AUTH_REBUILD=1 to rebuild"
  exit 0
fi

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
export GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-local}

if [ -n "${GO_AUTH_SOURCE:-}" ]; then
  # A git repository of go-auth you already have (a clone, or a bare mirror): its HEAD, or
  # GO_AUTH_REF, is exported into the temporary folder. For when the module proxy refuses it.
  resolved="git:$(git -C "$GO_AUTH_SOURCE" rev-parse "${GO_AUTH_REF:-HEAD}")"
  mkdir "$work/src"
  git -C "$GO_AUTH_SOURCE" archive "${GO_AUTH_REF:-HEAD}" | tar -x -C "$work/src"
  echo "source $GO_AUTH_SOURCE at ${resolved#git:}"
else
  echo "fetching $MODULE@$VERSION from $(go env GOPROXY)"
  if ! info=$(cd "$work" && go mod download -json "$MODULE@$VERSION"); then
    printf '%s\n' "$info" >&2
    echo "the module proxy did not serve $MODULE@$VERSION; set GO_AUTH_SOURCE=<a git clone of it>" >&2
    exit 1
  fi
  dir=$(printf '%s' "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
  resolved=$(printf '%s' "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Version"])')
  echo "resolved $resolved"
  # The module cache is read-only; build in a copy, the way go-auth's own Makefile does.
  cp -r "$dir" "$work/src"
fi
chmod -R u+w "$work/src"
cd "$work/src"
go mod download
CGO_CFLAGS="-I/usr/include -fPIC" go build -buildvcs=false -buildmode=c-archive go-auth.go
CGO_LDFLAGS="-shared" go build -buildvcs=false -buildmode=c-shared -o go-auth.so

mkdir -p "$OUT"
install -m 0755 go-auth.so "$OUT/go-auth.so"
echo "$MODULE@$resolved $(go version)" > "$OUT/VERSION"
echo "built $OUT/go-auth.so ($MODULE@$resolved)"
