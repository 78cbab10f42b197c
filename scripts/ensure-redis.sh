#!/usr/bin/env bash
# Installs Debian's redis-server if it is missing (used by the distributed-proving tests and
# `zkr prover --redis`). Redis is only needed to run provers on several machines; the embedded
# default proves in-process.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "zkr: redis-server is not installed and cannot be installed automatically (needs root and apt-get)" >&2
  exit 1
fi
echo "zkr: installing redis-server (Debian package)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends redis-server >/dev/null 2>&1 || {
  apt-get update >/dev/null
  apt-get install -y --no-install-recommends redis-server >/dev/null
}
# The package starts a system-wide server on port 6379; zkr starts its own where it needs one.
(systemctl stop redis-server || service redis-server stop || pkill -x redis-server) >/dev/null 2>&1 || true
