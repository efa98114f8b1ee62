#!/usr/bin/env bash
# Installs what eddy needs on a fresh machine of this kind; idempotent and quiet when nothing is missing.
#   setup.sh        npm packages, Go check, git (enough for `eddy up`)
#   setup.sh test   also the Debian packages and tools the test servers use
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

# npm: reinstall only when the lockfile changed since the last install.
stamp=node_modules/.eddy-lock-sha
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/node ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi

# The controllers run compiled (lib/): Node's TypeScript stripper costs each process ~20 MiB.
node_modules/.bin/node scripts/build-lib.mjs

# Go builds the local control plane; k8s.io/kubernetes 1.36 needs Go >= 1.26.
if ! command -v go >/dev/null 2>&1; then
  log "error: Go is not installed; install Go 1.26 or newer (Debian: apt-get install golang-go)"; exit 1
fi

# git: the source controller and the local default's example repository (git http-backend).
if ! command -v git >/dev/null 2>&1; then
  log "installing git (apt-get)"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git ca-certificates >&2
fi

if [ "${1:-}" = test ]; then
  bash scripts/setup-test-deps.sh
fi
