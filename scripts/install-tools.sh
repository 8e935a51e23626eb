#!/usr/bin/env bash
# Installs the pinned external tools the tests run for real into .tools/bin (ignored by Git).
# Each tool is built from its Go module at a pinned version; a tool already built at that
# version is kept, so only the first run pays for the build. With names (`install-tools.sh opa`),
# only those tools of the TOOLS list below: what the demo needs, without the minutes the control
# plane takes to build.
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
  "actionlint|github.com/rhysd/actionlint/cmd/actionlint|v1.7.12|-version|v1.7.12"
)

for wanted in "$@"; do
  printf '%s\n' "${TOOLS[@]}" | grep -q "^${wanted}|" || { echo "install-tools: no tool named '$wanted' (one of: opa, kustomize, kube-score, actionlint)" >&2; exit 2; }
done

tool_version() { # name vcmd
  if [ "$2" = "-" ]; then
    command -v go >/dev/null 2>&1 && go version -m "$BIN/$1" 2>/dev/null | awk '$1 == "mod" { print $3 }'
  else
    "$BIN/$1" $2 2>/dev/null
  fi
}

for entry in "${TOOLS[@]}"; do
  IFS='|' read -r name pkg version vcmd expect <<<"$entry"
  if [ $# -gt 0 ] && [[ " $* " != *" $name "* ]]; then
    continue
  fi
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
[ $# -eq 0 ] || exit 0

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

# A real control plane (etcd, kube-apiserver, kubectl) for the tests that send the generated trees
# to an API server. `go install k8s.io/kubernetes/cmd/...@version` is refused (kubernetes' go.mod
# has replace directives), so a small local module requires kubernetes and repeats its replace
# block with the published staging modules (k8s.io/X v0.N.M for Kubernetes v1.N.M). etcd is the
# version kubernetes itself pins; its server module has a main package.
KUBE_VERSION="v1.37.2"
KUBE_STAGING_VERSION="v0.37.2"
ETCD_VERSION="v3.7.0"
kube_version_ok() { # name
  case "$1" in
    kube-apiserver) [[ "$("$BIN/kube-apiserver" --version 2>/dev/null || true)" == "Kubernetes ${KUBE_VERSION}" ]] ;;
    kubectl) [[ "$("$BIN/kubectl" version --client 2>/dev/null || true)" == *"Client Version: ${KUBE_VERSION}"* ]] ;;
    etcd) [[ "$("$BIN/etcd" --version 2>/dev/null || true)" == *"etcd Version: ${ETCD_VERSION#v}"* ]] ;;
  esac
}
kube_pkg() { # name
  case "$1" in
    kube-apiserver) echo "k8s.io/kubernetes/cmd/kube-apiserver" ;;
    kubectl) echo "k8s.io/kubernetes/cmd/kubectl" ;;
    etcd) echo "go.etcd.io/etcd/server/v3" ;;
  esac
}
kube_missing=()
for name in etcd kubectl kube-apiserver; do
  { [ -x "$BIN/$name" ] && kube_version_ok "$name"; } || kube_missing+=("$name")
done
if [ "${#kube_missing[@]}" -gt 0 ]; then
  command -v go >/dev/null 2>&1 || { echo "install-tools: ${kube_missing[*]} need the Go toolchain" >&2; exit 1; }
  mod="$PWD/.tools/kube-build"
  if ! grep -qs "k8s.io/kubernetes ${KUBE_VERSION}\$" "$mod/go.mod" || ! grep -qs "go.etcd.io/etcd/server/v3 ${ETCD_VERSION}\$" "$mod/go.mod"; then
    echo "install-tools: resolving Kubernetes ${KUBE_VERSION} and etcd ${ETCD_VERSION} modules (first run only)" >&2
    kmod=$(GOTOOLCHAIN=local go mod download -json "k8s.io/kubernetes@${KUBE_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
    [ -f "$kmod" ] || { echo "install-tools: cannot download k8s.io/kubernetes@${KUBE_VERSION}" >&2; exit 1; }
    rm -rf "$mod" && mkdir -p "$mod"
    {
      printf 'module custody.invalid/kube\n\ngo 1.26\n\ngodebug default=go1.26\n\n'
      printf 'require (\n\tk8s.io/kubernetes %s\n\tgo.etcd.io/etcd/server/v3 %s\n)\n\nreplace (\n' "$KUBE_VERSION" "$ETCD_VERSION"
      sed -n '/^replace (/,/^)/p' "$kmod" | sed -n "s#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\t\1 => \1 ${KUBE_STAGING_VERSION}#p"
      printf ')\n'
    } > "$mod/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kube-apiserver"\n\t_ "k8s.io/kubernetes/cmd/kubectl"\n\t_ "go.etcd.io/etcd/server/v3"\n)\n' > "$mod/tools.go"
    (cd "$mod" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod tidy >/dev/null) \
      || { echo "install-tools: resolving the Kubernetes modules failed" >&2; rm -f "$mod/go.mod"; exit 1; }
  fi
  minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  vpkg="k8s.io/component-base/version"
  ldflags="-s -w -X $vpkg.gitVersion=${KUBE_VERSION} -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=${minor} -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=1970-01-01T00:00:00Z"
  for name in "${kube_missing[@]}"; do
    echo "install-tools: building $name (first run only; kube-apiserver takes several minutes)" >&2
    (cd "$mod" && GOTOOLCHAIN=local go build -p "${CUSTODY_BUILD_JOBS:-2}" -trimpath -ldflags="$ldflags" -o "$BIN/$name" "$(kube_pkg "$name")") \
      || { echo "install-tools: building $name failed" >&2; exit 1; }
    kube_version_ok "$name" || { echo "install-tools: $name is not the pinned version after the build" >&2; exit 1; }
  done
fi

# The CustomResourceDefinitions the generated trees use, as their projects ship them in their Go
# modules (the way controller-runtime's envtest users load them), so the API server in the tests
# validates the Istio, Argo CD and Flux objects against the real schemas. Versions: the oldest
# Istio release the module proxy serves at or after 1.22 (the first serving every kind as v1, the
# floor docs/gitops.md states), and recent Argo CD 3 and Flux 2 releases (Application and
# AppProject v1alpha1, GitRepository and Kustomization v1).
CRD_MODULES=(
  "istio.io/api|v1.24.2|kubernetes/customresourcedefinitions.gen.yaml|istio.yaml"
  "github.com/argoproj/argo-cd/v3|v3.5.7|manifests/crds/application-crd.yaml|argocd-application.yaml"
  "github.com/argoproj/argo-cd/v3|v3.5.7|manifests/crds/appproject-crd.yaml|argocd-appproject.yaml"
  "github.com/fluxcd/source-controller|v1.9.6|config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml|flux-gitrepository.yaml"
  "github.com/fluxcd/kustomize-controller|v1.9.6|config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml|flux-kustomization.yaml"
)
CRDS="$PWD/.tools/crds"
crd_stamp=$(printf '%s\n' "${CRD_MODULES[@]}")
if [ "$(cat "$CRDS/SOURCES" 2>/dev/null || true)" != "$crd_stamp" ]; then
  command -v go >/dev/null 2>&1 || { echo "install-tools: the CRDs are fetched with the Go toolchain" >&2; exit 1; }
  echo "install-tools: fetching the pinned Istio, Argo CD and Flux CRDs" >&2
  rm -rf "$CRDS.new" && mkdir -p "$CRDS.new"
  for entry in "${CRD_MODULES[@]}"; do
    IFS='|' read -r module version file target <<<"$entry"
    dir=$(cd "$CRDS.new" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -f "$dir/$file" ] || { echo "install-tools: $module@$version has no $file" >&2; exit 1; }
    cp "$dir/$file" "$CRDS.new/$target"
  done
  printf '%s\n' "$crd_stamp" > "$CRDS.new/SOURCES"
  rm -rf "$CRDS" && mv "$CRDS.new" "$CRDS"
fi
