#!/usr/bin/env bash
# Finds a Chromium for the browser tests, or installs Debian's package.
# Playwright's own browser download cannot be used on this project's machines.
set -euo pipefail
for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    exit 0
  fi
done
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "Installing Debian's chromium for the browser tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
elif [ -x .venv/bin/python ]; then
  echo "No system Chromium; trying Playwright's browser download..."
  .venv/bin/python -m playwright install chromium
else
  echo "No Chromium found. Install it (e.g. 'apt-get install chromium') or set CHROMIUM_PATH." >&2
  exit 1
fi
