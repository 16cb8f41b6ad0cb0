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

# Debian's emcc needs Debian's node modules for its JS optimizer (acorn).
export NODE_PATH=/usr/share/nodejs
wasm_build() {  # source dir, build dir
  if [[ ! -f $2/build.ninja ]]; then
    emcmake cmake -S "$1" -B "$2" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  fi
  cmake --build "$2" --parallel "$jobs" \
    | { grep -vE 'USE_PTHREADS \+ ALLOW_MEMORY_GROWTH' || true; }
}

echo "build: wasm (emcmake)"
wasm_build . build/wasm

# The example of a user's own module (examples/progress), both backends.
echo "build: examples/progress (native, wasm)"
npx cmake-js build --directory examples/progress --out build/progress-native --generator Ninja \
  --parallel "$jobs" --log-level warn | { grep -vE '^(--|Not searching)' || true; }
wasm_build examples/progress build/progress-wasm

# The example of anythread inside a module built its own way
# (examples/existing-module: a node-addon-api addon and an embind module).
echo "build: examples/existing-module (native, wasm)"
npx cmake-js build --directory examples/existing-module --out build/existing-native --generator Ninja \
  --parallel "$jobs" --log-level warn | { grep -vE '^(--|Not searching)' || true; }
wasm_build examples/existing-module build/existing-wasm

# The reliability suites' module (tests/reliability), both backends.
echo "build: tests/reliability module (native, wasm)"
npx cmake-js build --directory tests/reliability/module --out build/reliability-native \
  --generator Ninja --parallel "$jobs" --log-level warn | { grep -vE '^(--|Not searching)' || true; }
wasm_build tests/reliability/module build/reliability-wasm
