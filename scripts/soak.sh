#!/usr/bin/env bash
# npm run soak: the reliability suites of npm test with the soak sizes of
# issue #6 (not in CI; takes hours on 2 cores). Same code as npm test, bigger
# numbers: ANYTHREAD_SOAK=1 switches the vitest suites' sizes, and the C++
# random model test takes ANYTHREAD_SEQUENCES / ANYTHREAD_CONCURRENT_RUNS.
# The shortest suites run first; each prints its summary line. The whole log
# goes to test-output/soak-<date>.log. ANYTHREAD_SEED replays a run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p test-output
log=test-output/soak-$(date -u +%Y%m%dT%H%M%SZ).log
export ANYTHREAD_SOAK=1
export ANYTHREAD_SEED=${ANYTHREAD_SEED:-$(( (RANDOM << 16) | RANDOM ))}
{
  echo "soak: started $(date -u +%FT%TZ), ANYTHREAD_SEED=$ANYTHREAD_SEED, $(nproc) cores"
  dir=build/core-plain
  [[ -f $dir/build.ninja ]] || cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build "$dir" | { grep -vE '^\[' || true; }
  echo "soak: C++ random model, 1,000,000 sequences and 1,000 concurrent runs"
  start=$SECONDS
  ANYTHREAD_SEQUENCES=1000000 ANYTHREAD_CONCURRENT_RUNS=1000 \
    "$dir/tests/cpp/core_tests" --gtest_filter='RandomModel.*' \
    | grep -E '^(reliability|\[  PASSED|\[  FAILED|.*Failure)' 
  echo "soak: C++ random model took $((SECONDS - start)) s"
  for files in \
    "tests/bad-input.node.test.ts tests/reliability-exit.node.test.ts tests/reliability-throw.node.test.ts" \
    "tests/reliability-abort.test.ts" \
    "tests/teardown.node.test.ts" \
    "tests/reliability-load.test.ts"; do
    start=$SECONDS
    # shellcheck disable=SC2086
    npx vitest run --project node $files
    echo "soak: $files took $((SECONDS - start)) s"
  done
  start=$SECONDS
  npx vitest run --project chromium tests/reliability-load.test.ts
  echo "soak: chromium tests/reliability-load.test.ts took $((SECONDS - start)) s"
  echo "soak: finished $(date -u +%FT%TZ)"
} 2>&1 | tee "$log"
