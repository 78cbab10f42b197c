#!/usr/bin/env bash
# Installs the Debian packages that circom's C++ witness generator (`circom --c`, built by
# src/proving/witness.ts) needs, if any is missing: g++ and make to build it, libgmp-dev (big-number
# arithmetic), nlohmann-json3-dev (reads input.json) and nasm (assembles the field arithmetic,
# fr.asm). Idempotent: does nothing when all are installed. The C++ generator is optional — the
# prover falls back to snarkjs's wasm witness calculator without it — so callers that can live
# without it may ignore this script's exit status.
set -euo pipefail
packages=(g++ make libgmp-dev nlohmann-json3-dev nasm)

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != "installed" ]; then missing+=("$p"); fi
done
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "zkr: the C++ witness generator needs ${missing[*]}, which cannot be installed automatically (needs root and apt-get); the wasm witness calculator will be used" >&2
  exit 1
fi
echo "zkr: installing ${missing[*]} (Debian packages, for the C++ witness generator)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
