#!/usr/bin/env bash
# Debian package lists once, and the small tools every other installer assumes.
set -euo pipefail
stamp=/var/lib/apt/lists/.shipline-updated
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +720 2>/dev/null)" ]; then
  apt-get update -qq
  touch "$stamp"
fi
need=()
for pkg in openssl curl ca-certificates jq; do dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg"); done
[ ${#need[@]} -eq 0 ] || apt-get install -y -qq --no-install-recommends "${need[@]}"
