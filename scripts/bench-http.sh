#!/usr/bin/env bash
# /health throughput of `pff serve` against a bare net/http handler serving
# the same bytes, both loaded by wrk from a second process, in one run and
# interleaved, so the ratio holds on a noisy shared machine.
#
#   scripts/bench-http.sh [seconds per round] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10}
rounds=${2:-3}
command -v wrk >/dev/null || { echo "bench-http: needs wrk (apt-get install wrk)" >&2; exit 1; }
scripts/setup-postgres.sh
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pff_bench?sslmode=disable}
DATABASE_URL=$DATABASE_URL scripts/create-database.sh
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/pff" .
go build -o "$tmp/barehttp" ./scripts/barehttp
"$tmp/pff" migrate up >/dev/null
"$tmp/pff" serve --workers 0 --addr 127.0.0.1:18080 2>"$tmp/pff.log" &
"$tmp/barehttp" --addr 127.0.0.1:18081 &
for port in 18080 18081; do
	until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.1; done
done
rps() { wrk -t1 -c32 -d"${duration}s" "http://127.0.0.1:$1/health" | awk '/Requests\/sec/ {print $2}'; }
total_pff=0 total_bare=0
for round in $(seq 1 "$rounds"); do
	bare=$(rps 18081)
	pff=$(rps 18080)
	echo "round $round: pff $pff req/s, bare net/http $bare req/s, ratio $(echo "scale=3; $pff / $bare" | bc)"
	total_pff=$(echo "$total_pff + $pff" | bc)
	total_bare=$(echo "$total_bare + $bare" | bc)
done
echo "overall: pff $(echo "scale=0; $total_pff / $rounds" | bc) req/s, bare $(echo "scale=0; $total_bare / $rounds" | bc) req/s, ratio $(echo "scale=3; $total_pff / $total_bare" | bc)"
