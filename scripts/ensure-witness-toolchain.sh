#!/usr/bin/env bash
# Installs the Debian packages that the native programs zkr builds at first use need, if any is
# missing: circom's C++ witness generator (`circom --c`, src/proving/witness.ts) and zkr's native
# Groth16 prover (native/prover on ffiasm, src/proving/native.ts). g++ and make to build them
# (g++ brings OpenMP, libgomp, which the native prover uses for both cores), libgmp-dev
# (big-number arithmetic), nasm (assembles the field arithmetic, fr.asm / fq.asm) and
# nlohmann-json3-dev (the witness generator reads input.json). Idempotent: does nothing when all
# are installed. Both programs are optional — the prover falls back to snarkjs's wasm witness
# calculator and to snarkjs's prover without them — so callers that can live without them may
# ignore this script's exit status.
set -euo pipefail
packages=(g++ make libgmp-dev nlohmann-json3-dev nasm)

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != "installed" ]; then missing+=("$p"); fi
done
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "zkr: the C++ witness generator and the native prover need ${missing[*]}, which cannot be installed automatically (needs root and apt-get); snarkjs's wasm witness calculator and prover will be used" >&2
  exit 1
fi
echo "zkr: installing ${missing[*]} (Debian packages, for the C++ witness generator and the native prover)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
