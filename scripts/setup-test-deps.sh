#!/usr/bin/env bash
# Debian packages and tools the test servers (test/servers, test/tools) need; idempotent and
# quiet when nothing is missing. Run by `scripts/setup.sh test`.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup-test-deps: %s\n' "$*" >&2; }

# command → Debian package providing it.
declare -A wanted=(
  [git]=git
  [sshd]=openssh-server
  [ssh]=openssh-client
  [ssh-keygen]=openssh-client
  [docker-registry]=docker-registry
  [htpasswd]=apache2-utils
  [openssl]=openssl
  [unzip]=unzip
  [tar]=tar
  [gzip]=gzip
)

missing=()
for cmd in "${!wanted[@]}"; do
  # sshd lives in /usr/sbin, which may not be on a non-root PATH.
  if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$cmd" ]; then
    missing+=("${wanted[$cmd]}")
  fi
done
# The moto venv is made with Debian's python3, whatever python3 is first on PATH.
if [ ! -x /usr/bin/python3 ]; then missing+=(python3); fi
if ! dpkg -s python3-venv >/dev/null 2>&1; then missing+=(python3-venv); fi

if [ "${#missing[@]}" -gt 0 ]; then
  # De-duplicate (ssh and ssh-keygen share a package).
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  log "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    log "error: need root to install packages: ${missing[*]}"; exit 1
  fi
  # Don't let package scripts start daemons (sshd, registry) on this machine: the tests run
  # their own instances on free ports.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; created_policy=1
  fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
fi

# moto (S3-compatible server) from PyPI in a venv under .eddy/tools; re-created only when the
# pinned version changes.
moto_version=5.2.5
venv=.eddy/tools/moto-venv
if [ "$(cat "$venv/.eddy-moto-version" 2>/dev/null)" != "$moto_version" ]; then
  log "creating moto venv ($moto_version) in $venv"
  rm -rf "$venv"
  mkdir -p .eddy/tools
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$moto_version" >&2
  echo "$moto_version" > "$venv/.eddy-moto-version"
fi
