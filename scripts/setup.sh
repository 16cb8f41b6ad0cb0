#!/usr/bin/env bash
# Set-up shared by `npm start` and `npm test`: installs what is missing
# (Debian packages with apt-get when root; npm packages with npm ci when the
# lock file changed), then builds incrementally (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the build and tests use (chromium: the browser test project
# drives Debian's Chromium; no browser is ever downloaded).
PACKAGES=(cmake ninja-build g++ libgtest-dev emscripten chromium)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# npm ci only when package-lock.json changed since the last install.
stamp=node_modules/.anythread-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

bash scripts/build.sh
