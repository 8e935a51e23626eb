#!/usr/bin/env bash
# Installs the pinned external tools the tests run for real into .tools/bin (ignored by Git).
# Each tool is built from its Go module at a pinned version; a tool already built at that
# version is kept, so only the first run pays for the build.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/.tools/bin"
mkdir -p "$BIN"

# name | Go package | version | command printing the version ("-": read the module version the
# binary was built from, for tools that print none) | text the output must contain
#
# kube-linter (golang.stackrox.io/kube-linter/cmd/kube-linter) cannot be installed here: the Go
# module proxy answers 403 Forbidden for every version of golang.stackrox.io/kube-linter, so the
# manifest linter is kube-score, the next best static linter (see docs/gitops.md).
TOOLS=(
  "opa|github.com/open-policy-agent/opa|v1.22.2|version|Version: 1.22.2"
  "kustomize|sigs.k8s.io/kustomize/kustomize/v5|v5.8.1|version|v5.8.1"
  "kube-score|github.com/zegl/kube-score/cmd/kube-score|v1.20.0|-|v1.20.0"
)

tool_version() { # name vcmd
  if [ "$2" = "-" ]; then
    command -v go >/dev/null 2>&1 && go version -m "$BIN/$1" 2>/dev/null | awk '$1 == "mod" { print $3 }'
  else
    "$BIN/$1" $2 2>/dev/null
  fi
}

for entry in "${TOOLS[@]}"; do
  IFS='|' read -r name pkg version vcmd expect <<<"$entry"
  if [ -x "$BIN/$name" ] && [[ "$(tool_version "$name" "$vcmd" || true)" == *"$expect"* ]]; then
    continue
  fi
  if ! command -v go >/dev/null 2>&1; then
    echo "install-tools: '$name' needs the Go toolchain (go install $pkg@$version); install Go and retry" >&2
    exit 1
  fi
  echo "install-tools: building $name $version (first run only, a few minutes)" >&2
  GOBIN="$BIN" GOFLAGS="-trimpath" go install "$pkg@$version"
  [[ "$(tool_version "$name" "$vcmd" || true)" == *"$expect"* ]] || { echo "install-tools: $name is not $version after install" >&2; exit 1; }
done

# OPA with the Envoy ext_authz plugin, for the tests and `custody verify` that go through Envoy's
# gRPC call. `go install mod@version` is refused here: it asks the module proxy for the module's
# version list (to look up deprecations), which the proxy does not serve for this module, while the
# pinned version itself is served. So it is built from a small module that requires it.
ENVOY_VERSION="v1.15.2-envoy"
ENVOY_OPA_VERSION="1.15.2"  # the OPA version that plugin release embeds, as `version` prints it
if ! { [ -x "$BIN/opa-envoy-plugin" ] && [[ "$("$BIN/opa-envoy-plugin" version 2>/dev/null || true)" == *"Version: ${ENVOY_OPA_VERSION}"* ]]; }; then
  command -v go >/dev/null 2>&1 || { echo "install-tools: opa-envoy-plugin needs the Go toolchain" >&2; exit 1; }
  echo "install-tools: building opa-envoy-plugin $ENVOY_VERSION (first run only, a few minutes)" >&2
  mod="$PWD/.tools/opa-envoy-plugin-build"
  rm -rf "$mod" && mkdir -p "$mod"
  printf 'module custody.invalid/tools\n\ngo 1.26\n\nrequire github.com/open-policy-agent/opa-envoy-plugin %s\n' "$ENVOY_VERSION" > "$mod/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/open-policy-agent/opa-envoy-plugin/cmd/opa-envoy-plugin"\n' > "$mod/tools.go"
  (cd "$mod" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 && GOTOOLCHAIN=local go build -trimpath -o "$BIN/opa-envoy-plugin" github.com/open-policy-agent/opa-envoy-plugin/cmd/opa-envoy-plugin) \
    || { echo "install-tools: building opa-envoy-plugin failed" >&2; exit 1; }
  [[ "$("$BIN/opa-envoy-plugin" version 2>/dev/null || true)" == *"Version: ${ENVOY_OPA_VERSION}"* ]] || { echo "install-tools: opa-envoy-plugin is not $ENVOY_VERSION" >&2; exit 1; }
fi
