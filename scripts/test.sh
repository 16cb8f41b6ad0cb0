#!/usr/bin/env bash
# Every test: C++ core (plain + TSan), type test, vitest suites on every backend.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-cpp.sh
echo "type test:"
npx tsc -p tests/types/tsconfig.json && echo "  types ok"
npx vitest run
