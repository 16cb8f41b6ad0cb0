#!/usr/bin/env bash
# npm run soak: the reliability suites of npm test with the soak sizes of
# issue #6 (not in CI; takes hours on 2 cores). Same code as npm test, bigger
# numbers: ANYTHREAD_SOAK=1 switches the vitest suites' sizes, and the C++
# random model test takes ANYTHREAD_SEQUENCES / ANYTHREAD_CONCURRENT_RUNS.
# The shortest suites run first; each prints its summary line. The whole log
# goes to test-output/soak-<date>.log (each line also as its test ends, with
# the time, so a run cut short keeps what it finished). ANYTHREAD_SEED
# replays a run.
#
# Stages (all by default, or those named: npm run soak -- load):
#   model     the C++ random model test
#   quick     bad input, exit, throwing callbacks
#   abort     abort and last release
#   teardown  Workers terminated / exiting
#   load      exactly-once under load (Node, then Chromium): the longest
#
# -t PATTERN runs only the vitest tests whose names match PATTERN (vitest's
# -t: a regular expression over the backend and the test's name as vitest
# lists it, not over the summary lines), so that a soak can be finished in
# parts: npm run soak -- load -t "queue 1, " runs the load stage's queue-1
# configurations only. The model stage has no such names: with -t it runs
# only when named. A pattern that matches no test is an error (exit 3).
set -euo pipefail
cd "$(dirname "$0")/.."
all=(model quick abort teardown load)
stages=()
filter=()
while [[ $# -gt 0 ]]; do
  case $1 in
    -t)
      [[ $# -ge 2 && -n $2 ]] || { echo "soak: -t needs a pattern" >&2; exit 2; }
      filter=(-t "$2")
      shift 2
      ;;
    *) stages+=("$1"); shift ;;
  esac
done
if [[ ${#stages[@]} -eq 0 ]]; then
  stages=("${all[@]}")
  [[ ${#filter[@]} -eq 0 ]] || stages=(quick abort teardown load)
fi
for s in "${stages[@]}"; do
  [[ " ${all[*]} " == *" $s "* ]] || { echo "soak: unknown stage '$s' (stages: ${all[*]})" >&2; exit 2; }
done
want() { [[ " ${stages[*]} " == *" $1 "* ]]; }
node_stage() {  # name, then test files
  local name=$1 start=$SECONDS
  shift
  want "$name" || return 0
  npx vitest run --project node "$@" ${filter[@]+"${filter[@]}"}
  echo "soak: $* ${filter[*]-} took $((SECONDS - start)) s"
}
bash scripts/setup.sh
mkdir -p test-output
log=test-output/soak-$(date -u +%Y%m%dT%H%M%SZ).log
export ANYTHREAD_SOAK=1
export ANYTHREAD_PROGRESS=1  # Each summary line as its test ends, timed.
export ANYTHREAD_SEED=${ANYTHREAD_SEED:-$(( (RANDOM << 16) | RANDOM ))}
{
  echo "soak: started $(date -u +%FT%TZ), ANYTHREAD_SEED=$ANYTHREAD_SEED, $(nproc) cores, stages: ${stages[*]}${filter[1]+, tests matching \"${filter[1]}\"}, commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  if want model; then
    dir=build/core-plain
    [[ -f $dir/build.ninja ]] || cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug >/dev/null
    cmake --build "$dir" | { grep -vE '^\[' || true; }
    echo "soak: C++ random model, 1,000,000 sequences and 1,000 concurrent runs"
    start=$SECONDS
    # Without ANYTHREAD_SEED: to the C++ model it means "replay this one
    # sequence only", and this script always sets it (for the vitest suites).
    env -u ANYTHREAD_SEED ANYTHREAD_SEQUENCES=1000000 ANYTHREAD_CONCURRENT_RUNS=1000 \
      "$dir/tests/cpp/core_tests" --gtest_filter='RandomModel.*' \
      | grep -E '^(reliability|\[  PASSED|\[  FAILED|.*Failure)'
    echo "soak: C++ random model took $((SECONDS - start)) s"
  fi
  node_stage quick tests/bad-input.node.test.ts tests/reliability-exit.node.test.ts \
    tests/reliability-throw.node.test.ts
  node_stage abort tests/reliability-abort.test.ts
  node_stage teardown tests/teardown.node.test.ts
  node_stage load tests/reliability-load.test.ts
  if want load; then
    start=$SECONDS
    npx vitest run --project chromium tests/reliability-load.test.ts ${filter[@]+"${filter[@]}"}
    echo "soak: chromium tests/reliability-load.test.ts took $((SECONDS - start)) s"
  fi
  echo "soak: finished $(date -u +%FT%TZ)"
} 2>&1 | tee "$log"
# Only the vitest stages' progress lines count (the model's line has no
# timestamp): -t selects among their tests, not the model's.
if [[ ${#filter[@]} -gt 0 && " ${stages[*]} " != " model " ]] &&
   ! grep -q '^[0-9TZ:.-]* reliability \[' "$log"; then
  echo "soak: no test matched -t '${filter[1]}' in stages ${stages[*]}" >&2
  exit 3
fi
