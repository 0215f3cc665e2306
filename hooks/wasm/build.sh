#!/usr/bin/env bash
# Builds the C example hooks for both ABIs with Debian's clang and wasi-libc:
#   apt-get install -y --no-install-recommends clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32
# The committed .wasm files are this script's output; running it again must not change them.
set -euo pipefail
cd "$(dirname "$0")"
CC=(clang-19 --target=wasm32-wasi --sysroot=/usr -O2 -s -Wall -Werror)
for hook in add_header redirect; do
    "${CC[@]}" -mexec-model=reactor -o "$hook.fast.wasm" c/fast_abi.c "c/$hook.c"   # exports alloc/handle/init
    "${CC[@]}" -o "$hook.wasi.wasm" c/wasi_abi.c "c/$hook.c"                          # a WASI command (_start)
done
ls -l ./*.wasm
