#!/usr/bin/env bash
# What tracing costs per request: the envelope (BenchmarkAccessLog, four
# record routes) and a whole API route (BenchmarkAuthOverhead: a viewer's
# GET through token check, rate limit and roles), in three builds:
#
#   today  the commit before tracing (BASE, default 387f47a)
#   off    this tree, telemetry.otlp_endpoint unset (no tracer at all)
#   on     this tree, a span per request, sampled and batched to an exporter
#          that drops them (BenchmarkTracedEnvelope; the route benchmark has
#          no tracing variant)
#
# Rounds are interleaved with the order rotating (BENCHMARKS.md's protocol);
# each line prints the 1-minute load average. Test binaries are built once.
#
#   scripts/bench-tracing.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
base=${BASE:-387f47a}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/today"
git archive "$base" | tar -x -C "$tmp/today"
(cd "$tmp/today" && go test -c -o "$tmp/today.test" ./app/httpapi)
go test -c -o "$tmp/now.test" ./app/httpapi
routes='/GET/api/v1/records/:id$'
envelope() { # binary benchmark
	(cd app/httpapi && "$1" -test.run '^$' -test.bench "$2" -test.benchtime 20000x) |
		awk '/envelope-cpu-ns/ {for (i = 1; i < NF; i++) if ($(i+1) == "envelope-cpu-ns/req") s += $i; n++} END {printf "%.0f", s / n}'
}
route() { # binary
	(cd app/httpapi && "$1" -test.run '^$' -test.bench AuthOverhead -test.benchtime 100000x) |
		awk '/AuthOverhead/ {for (i = 1; i < NF; i++) if ($(i+1) == "protected-ns/req") print $i}'
}
sides=(today off on)
for round in $(seq 1 "$rounds"); do
	for k in 0 1 2; do
		side=${sides[$(((round + k - 1) % 3))]}
		load=$(cut -d' ' -f1 /proc/loadavg)
		case $side in
		today) env=$(envelope "$tmp/today.test" "AccessLog$routes") r=$(route "$tmp/today.test") ;;
		off) env=$(envelope "$tmp/now.test" "AccessLog$routes") r=$(route "$tmp/now.test") ;;
		on) env=$(envelope "$tmp/now.test" "TracedEnvelope$routes") r=- ;;
		esac
		echo "round $round $side: envelope ${env} ns/req (mean of 4 routes), route ${r} ns/req, load $load"
	done
done
echo "commit $(git rev-parse --short HEAD)$(git diff --quiet || echo +dirty) against $base, $(date -u '+%Y-%m-%d %H:%M UTC')"
