#!/usr/bin/env bash
# The browser the browser tests drive: Debian's chromium at /usr/bin/chromium.
#
#   scripts/browser.sh     # installs the `chromium` package with apt-get if it is missing
#
# Playwright for Python (the `playwright` package of the dev extra) drives it through
# `executable_path`; Playwright's own browser download is never used. Installing needs root
# (as in CI); without root a missing chromium is an error that says what to install.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

log() { printf 'browser.sh: %s\n' "$*" >&2; }

if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "error: $CHROMIUM is missing; install Debian's chromium package (apt-get install chromium)"
    exit 1
fi
log "installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >&2
if [ ! -x "$CHROMIUM" ]; then
    log "error: the chromium package did not provide $CHROMIUM"
    exit 1
fi
log "$("$CHROMIUM" --version 2>/dev/null || echo chromium installed)"
