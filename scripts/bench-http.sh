#!/usr/bin/env bash
# /health throughput of `pff serve` against a bare net/http handler serving
# the same bytes, both loaded by wrk from a second process, in one run and
# interleaved, the order rotating from round to round (bare first, then pff
# first, ...), so the ratio holds on a noisy shared machine. pff runs with
# the production defaults (PFF_ENV=production: JSON logs at info, where
# liveness probes are debug lines and so not written).
#
#   scripts/bench-http.sh [seconds per round] [rounds]
#
# Prints each round with the 1-minute load average, then the median ratio
# and its range, the commit and the date (BENCHMARKS.md's protocol).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
rounds=${2:-3}
command -v wrk >/dev/null || { echo "bench-http: needs wrk (apt-get install wrk)" >&2; exit 1; }
scripts/setup-postgres.sh
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pff_bench?sslmode=disable}
DATABASE_URL=$DATABASE_URL scripts/create-database.sh
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/pff" .
go build -o "$tmp/barehttp" ./scripts/barehttp
"$tmp/pff" migrate up >/dev/null
PFF_ENV=production PFF_AUTH__JWT_SECRET=$(head -c 48 /dev/urandom | base64) \
	"$tmp/pff" serve --workers 0 --addr 127.0.0.1:18080 2>"$tmp/pff.log" &
"$tmp/barehttp" --addr 127.0.0.1:18081 &
for port in 18080 18081; do
	until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.1; done
done
rps() { wrk -t1 -c32 -d"${duration}s" "http://127.0.0.1:$1/health" | awk '/Requests\/sec/ {print $2}'; }
ratios=()
for round in $(seq 1 "$rounds"); do
	load=$(cut -d' ' -f1 /proc/loadavg)
	if ((round % 2)); then
		bare=$(rps 18081)
		pff=$(rps 18080)
		order="bare, pff"
	else
		pff=$(rps 18080)
		bare=$(rps 18081)
		order="pff, bare"
	fi
	ratio=$(echo "scale=3; $pff / $bare" | bc)
	ratios+=("$ratio")
	echo "round $round ($order; load $load): pff $pff req/s, bare net/http $bare req/s, ratio $ratio"
done
sorted=($(printf '%s\n' "${ratios[@]}" | sort -n))
echo "median ratio ${sorted[$((rounds / 2))]} (range ${sorted[0]}–${sorted[$((rounds - 1))]}) over $rounds rounds;" \
	"commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo +dirty), $(date -u +%Y-%m-%dT%H:%MZ)"
