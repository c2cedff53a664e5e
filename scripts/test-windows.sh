#!/usr/bin/env bash
# `make test-windows`: builds the tests of every package that needs no
# database for Windows (go test -c) and runs them under Wine.
#
#   scripts/test-windows.sh            build, run, summarise; exit 1 if any fails
#   scripts/test-windows.sh --list     print the packages (the CI job on
#                                      Windows and macOS runs go test on them)
#   PFF_SKIP_WINE=1 scripts/test-windows.sh   only build them
#
# A package needs a database when its tests import store/storetest; those
# are the tests `make test` runs against PostgreSQL. The rest run anywhere,
# Redis optional: without it the Redis tests skip themselves.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
ARCH=${GOARCH_WINDOWS:-amd64}
module=$($GO list -m)

# packages lists the packages with tests, as Windows sees them, whose
# tests do not import store/storetest.
packages() {
	GOOS=windows GOARCH=$ARCH $GO list -test \
		-f '{{.ImportPath}}|{{if .ForTest}}{{.ForTest}}{{else}}{{.ImportPath}}{{end}}|{{len .TestGoFiles}}{{len .XTestGoFiles}}|{{join .Deps " "}}' ./... |
		awk -F'|' -v db="$module/store/storetest" '
			$1 ~ /\.test$/ { next }
			{ pkg = $2; seen[pkg] = 1
			  if ($3 != "00") tests[pkg] = 1
			  if (index(" " $4 " ", " " db " ") || $2 == db) needsDB[pkg] = 1 }
			END { for (p in seen) if (tests[p] && !needsDB[p]) print p }' |
		sort
}

if [ "${1:-}" = --list ]; then
	packages
	exit 0
fi

wine=
if [ "${PFF_SKIP_WINE:-}" != 1 ]; then
	export WINEPREFIX="${WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/pff-wine}" WINEDEBUG="${WINEDEBUG:--all}"
	wine=$(scripts/setup-wine.sh)
	"$(dirname "$wine")/wineserver" -p 2>/dev/null || wineserver -p 2>/dev/null || true # keep one server for all runs
fi

out=${PFF_WINDOWS_TESTS:-$(mktemp -d)}
mkdir -p "$out"
results=()
failed=0
for pkg in $(packages); do
	rel=${pkg#"$module"}
	rel=${rel#/}
	dir=${rel:-.}
	exe="$out/$(echo "${rel:-root}" | tr / _).test.exe"
	if ! GOOS=windows GOARCH=$ARCH CGO_ENABLED=0 $GO test -c -o "$exe" "$pkg"; then
		results+=("BUILD FAIL  $pkg")
		failed=1
		continue
	fi
	if [ -z "$wine" ]; then
		results+=("built       $pkg")
		continue
	fi
	log="$out/$(basename "$exe" .exe).log"
	start=$(date +%s)
	# Tests run in their package's directory, as go test runs them.
	if (cd "$dir" && timeout 1200 "$wine" "$exe" -test.count=1 -test.timeout=15m ${PFF_WINDOWS_TEST_FLAGS:-}) >"$log" 2>&1; then
		results+=("ok          $pkg ($(($(date +%s) - start))s)")
	else
		results+=("FAIL        $pkg ($(($(date +%s) - start))s, log $log)")
		grep -E '^(--- FAIL|FAIL|panic:)' "$log" | head -20 | sed 's/^/            /' >&2 || true
		failed=1
	fi
done
printf '%s\n' "${results[@]}"
exit $failed
