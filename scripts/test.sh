#!/usr/bin/env bash
# Every test: C++ core (plain, TSan, ASan + UBSan), type tests, vitest suites on every backend.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-cpp.sh
echo "type test:"
npx tsc -p tests/types/tsconfig.json && echo "  types ok"
# The suites themselves (strict): a misspelt property or a wrong argument
# in a test would otherwise only show as a vacuous or failing assertion.
npx tsc -p tests/tsconfig.json && echo "  test suites' types ok"
npx vitest run
