#!/usr/bin/env bash
# Makes sure Debian's prometheus is installed: promtool checks and unit-tests
# the alerting and recording rules (deploy/prometheus), and a test runs the
# prometheus server against a live `pff serve` to evaluate every expression
# of the rules and dashboards. Installed once with apt-get from the archive
# this machine already uses; nothing is downloaded when the tests run. Used
# by `make test`. PFF_SKIP_PROMETHEUS=1 skips it: the tests then skip
# themselves (unless PFF_REQUIRE_PROMETHEUS=1).
set -euo pipefail

log() { printf 'setup-prometheus: %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ "${PFF_SKIP_PROMETHEUS:-}" = 1 ] || { command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; }; then
	exit 0
fi
log "prometheus or promtool is missing; installing Debian's package (about 100 MB, once)"
as_root apt-get -o DPkg::Lock::Timeout=900 update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
	prometheus >/dev/null
# The package starts a system-wide server where an init system runs; the
# tests start their own on a free port and need none.
command -v promtool >/dev/null 2>&1 || { log "apt-get finished but there is no promtool on PATH"; exit 1; }
log "prometheus installed: $(prometheus --version 2>/dev/null | head -n 1 || echo unknown version)"
