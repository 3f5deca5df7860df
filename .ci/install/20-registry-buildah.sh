#!/usr/bin/env bash
# Debian's docker-registry (distribution 2.8) and buildah, plus busybox-static (a base image that
# needs no pull) and apache2-utils (htpasswd: bcrypt users for a registry with Basic auth).
# Idempotent. The registry is started by the tests themselves (test/helpers/registry.ts) on a free
# loopback port with a temp storage dir; the Debian service is not started (no init here). Tests
# run buildah with the vfs driver and chroot isolation in a private storage root
# (test/helpers/buildah.ts).
set -euo pipefail
need=()
for pkg in docker-registry buildah busybox-static apache2-utils; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  # Other installers may hold the dpkg lock on a shared machine: wait for it rather than fail.
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${need[@]}"
fi
docker-registry --version
buildah --version
