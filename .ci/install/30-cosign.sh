#!/usr/bin/env bash
# The real cosign, built from the Go module proxy (no GitHub download): a v2 release (reads and
# writes the legacy `sha256-<hex>.sig` format) and a v3 release (Sigstore bundle v0.3 as an OCI
# 1.1 referrer), side by side. Idempotent: each binary is built once into
#   ~/.cache/shipline/cosign/v2/cosign  and  ~/.cache/shipline/cosign/v3/cosign
# and linked as cosign-v2 / cosign-v3 into ~/go/bin (on PATH in .ci/run).
# Tests find them through SHIPLINE_COSIGN_V2 / SHIPLINE_COSIGN_V3 or those default paths.
set -euo pipefail
COSIGN_V2_VERSION="${SHIPLINE_COSIGN_V2_VERSION:-v2.6.5}"
COSIGN_V3_VERSION="${SHIPLINE_COSIGN_V3_VERSION:-v3.1.3}"
cache="$HOME/.cache/shipline/cosign"
export GOFLAGS="${GOFLAGS:--modcacherw}"
export CGO_ENABLED=0

build() {
  local major="$1" version="$2" dir="$cache/$1"
  if [ -x "$dir/cosign" ] && [ "$(cat "$dir/VERSION" 2>/dev/null)" = "$version" ]; then
    echo "cosign $major: $version already built in $dir"
  else
    echo "cosign $major: go install github.com/sigstore/cosign/$major/cmd/cosign@$version"
    mkdir -p "$dir"
    rm -f "$dir/cosign" "$dir/VERSION"
    # Both cores: CI has the machine to itself, and a fresh machine builds this once (cached after).
    GOBIN="$dir" go install -trimpath "github.com/sigstore/cosign/$major/cmd/cosign@$version"
    echo "$version" > "$dir/VERSION"
  fi
  mkdir -p "$HOME/go/bin"
  ln -sf "$dir/cosign" "$HOME/go/bin/cosign-$major"
  "$dir/cosign" version --json 2>/dev/null | grep -E '"gitVersion"' || true
}

build v2 "$COSIGN_V2_VERSION"
build v3 "$COSIGN_V3_VERSION"
