#!/usr/bin/env bash
# The core's GoogleTest suite, plain and under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
for variant in plain:"" tsan:thread; do
  dir=build/core-${variant%%:*}
  sanitize=${variant#*:}
  if [[ ! -f $dir/build.ninja ]]; then
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DANYTHREAD_SANITIZE="$sanitize" >/dev/null
  fi
  cmake --build "$dir" --parallel "$jobs" | { grep -vE '^\[' || true; }
  echo "core tests (${variant%%:*}):"
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    ctest --test-dir "$dir" --output-on-failure --parallel "$jobs" | tail -n 3
done
