#!/usr/bin/env bash
# Builds both backends from the one CMake project; incremental (CMake and
# Ninja rebuild only what changed).
#   dist/native/anythread.node            cmake-js, node-addon-api
#   dist/wasm/anythread.{js,wasm,worker.js}  emcmake (Emscripten 3.1.6)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

echo "build: native (cmake-js)"
npx cmake-js build --out build/native --generator Ninja --parallel "$jobs" --log-level warn \
  | { grep -vE '^(--|Not searching)' || true; }

echo "build: wasm (emcmake)"
# Debian's emcc needs Debian's node modules for its JS optimizer (acorn).
export NODE_PATH=/usr/share/nodejs
if [[ ! -f build/wasm/build.ninja ]]; then
  emcmake cmake -S . -B build/wasm -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build/wasm --parallel "$jobs" \
  | { grep -vE 'USE_PTHREADS \+ ALLOW_MEMORY_GROWTH' || true; }
