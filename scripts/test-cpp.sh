#!/usr/bin/env bash
# The core's GoogleTest suite: plain, under ThreadSanitizer, and under
# AddressSanitizer + UndefinedBehaviorSanitizer with leak checking.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
for variant in plain:"" tsan:thread asan:address; do
  dir=build/core-${variant%%:*}
  sanitize=${variant#*:}
  if [[ ! -f $dir/build.ninja ]]; then
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DANYTHREAD_SANITIZE="$sanitize" >/dev/null
  fi
  cmake --build "$dir" --parallel "$jobs" | { grep -vE '^\[' || true; }
  echo "core tests (${variant%%:*}):"
  summary=$dir/reliability-summary.txt
  rm -f "$summary"
  log=$dir/ctest-output.txt
  # allocator_may_return_null: the RingQueue tests ask for allocations that
  # must fail (nothrow new returning null is what they check). (No comment
  # may sit inside the continued command below: it would end it there.)
  # On success only ctest's summary is shown; on failure its whole output
  # (which tests failed, and their output), then the script stops.
  if ANYTHREAD_SUMMARY_FILE=$PWD/$summary ANYTHREAD_VARIANT=${variant%%:*} \
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 allocator_may_return_null=1" \
    ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:allocator_may_return_null=1" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    ctest --test-dir "$dir" --output-on-failure --parallel "$jobs" > "$log" 2>&1; then
    tail -n 3 "$log"
  else
    grep -vE '^ *(Start +[0-9]+:|[0-9]+/[0-9]+ Test +#[0-9]+: .* Passed)' "$log"
    exit 1
  fi
  if [[ -f $summary ]]; then sed "s/^/  /" "$summary"; fi
done
