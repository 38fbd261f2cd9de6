#!/usr/bin/env bash
# Makes sure the headless Chromium that the console's browser tests drive is installed, from
# Debian's packages (Playwright's own browser downloads are not used). Prints its path.
set -euo pipefail
CHROMIUM="${STATELINE_CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >&2
  else
    # Installing a system package needs root; without it the browser tests skip (or fail on CI).
    echo "chromium is not installed at $CHROMIUM and only root can install it:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi
[ -x "$CHROMIUM" ] || { echo "chromium could not be installed" >&2; exit 1; }
echo "$CHROMIUM"
