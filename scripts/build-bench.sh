#!/usr/bin/env bash
# Builds the benchmark module (bench/) for both backends; incremental.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
export NODE_PATH=/usr/share/nodejs
npx cmake-js build --directory bench --out build/bench-native --generator Ninja \
  --parallel "$jobs" --log-level warn | { grep -vE '^(--|Not searching)' || true; }
if [[ ! -f build/bench-wasm/build.ninja ]]; then
  emcmake cmake -S bench -B build/bench-wasm -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build/bench-wasm --parallel "$jobs" | { grep -vE 'USE_PTHREADS \+ ALLOW_MEMORY_GROWTH' || true; }
