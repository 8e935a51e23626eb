#!/usr/bin/env bash
# Installs the pinned external tools the tests run for real into .tools/bin (ignored by Git).
# Each tool is built from its Go module at a pinned version; a tool already built at that
# version is kept, so only the first run pays for the build.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.tools/bin"
mkdir -p "$BIN"

# name | Go package | version | command printing the version | text the output must contain
TOOLS=(
  "opa|github.com/open-policy-agent/opa|v1.22.2|version|Version: 1.22.2"
)

for entry in "${TOOLS[@]}"; do
  IFS='|' read -r name pkg version vcmd expect <<<"$entry"
  if [ -x "$BIN/$name" ] && [[ "$("$BIN/$name" $vcmd 2>/dev/null || true)" == *"$expect"* ]]; then
    continue
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "install-tools: '$name' needs the Go toolchain (go install $pkg@$version); install Go and retry" >&2
    exit 1
  fi
  echo "install-tools: building $name $version (first run only, about two minutes)" >&2
  GOBIN="$BIN" GOFLAGS="-trimpath" go install "$pkg@$version"
  [[ "$("$BIN/$name" $vcmd 2>/dev/null || true)" == *"$expect"* ]] || { echo "install-tools: $name is not $version after install" >&2; exit 1; }
done
