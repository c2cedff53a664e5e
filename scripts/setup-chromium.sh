#!/usr/bin/env bash
# Makes sure Debian's chromium is installed, for the console's browser tests
# (app/console drives it headless through chromedp). Installed once with
# apt-get from the archive this machine already uses; nothing is downloaded
# when the tests run. Used by `make test`, `make screenshots` and .ci/run.
# PFF_SKIP_CHROMIUM=1 skips it: the browser tests then skip themselves.
set -euo pipefail

log() { printf 'setup-chromium: %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ "${PFF_SKIP_CHROMIUM:-}" = 1 ] || command -v chromium >/dev/null 2>&1; then
	exit 0
fi
log "chromium is missing; installing Debian's package (about 100 MB, once)"
as_root apt-get -o DPkg::Lock::Timeout=900 update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
	chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null 2>&1 || { log "apt-get finished but there is no chromium on PATH"; exit 1; }
log "chromium installed: $(chromium --version 2>/dev/null || echo unknown version)"
