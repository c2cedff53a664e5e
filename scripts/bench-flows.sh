#!/usr/bin/env bash
# Fix flows: throughput against a plain Go program making the same calls to
# the same simulator with the same concurrency, in the same run (a 6-read
# flow and a 3-read-3-write flow, BSS answering at once and after 20 ms;
# rounds interleaved, each side first in turn; median and range), with the
# engine's own time per step; or the no-duplicate-writes chaos test at the
# issue's full size. See app/executions/throughput_test.go and chaos_test.go.
#
#   scripts/bench-flows.sh            throughput (LINES=300 a run, ROUNDS=3,
#                                     CONCURRENCY=16 workers and goroutines)
#   scripts/bench-flows.sh chaos      2,000 lines of 3 writes, 3 SIGKILLs of
#                                     the worker process (CHAOS_LINES, CHAOS_KILLS)
#
# MAX_LOAD=1.5 waits (up to 10 minutes) for the 1-minute load average to
# fall below it first; the load is printed beside every figure either way.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-postgres.sh >/dev/null

load() { cut -d' ' -f1 /proc/loadavg; }
if [ -n "${MAX_LOAD:-}" ]; then
	for _ in $(seq 120); do
		awk -v l="$(load)" -v m="$MAX_LOAD" 'BEGIN { exit !(l < m) }' && break
		sleep 5
	done
fi
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- app/executions store || commit="$commit+dirty"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "commit:  $commit"
echo "machine: $(nproc) cores, $(go version | cut -d' ' -f3)"
echo "load:    $(load) (1-minute average, before)"

case "${1:-throughput}" in
chaos)
	PFF_CHAOS_LINES=${CHAOS_LINES:-2000} PFF_CHAOS_KILLS=${CHAOS_KILLS:-3} \
		go test ./app/executions -run '^TestNoWriteIsAppliedTwiceWhileWorkersAreKilled$' -count=1 -v -timeout 15m |
		grep -E 'kill [0-9]|lines, [0-9]+ kills|^(--- |ok|FAIL)|Error'
	;;
throughput)
	PFF_BENCH_FLOWS=1 PFF_BENCH_LINES=${LINES:-300} PFF_BENCH_ROUNDS=${ROUNDS:-3} PFF_BENCH_CONCURRENCY=${CONCURRENCY:-16} \
		go test ./app/executions -run '^TestFlowThroughputAgainstPlainGo$' -count=1 -v -timeout 60m |
		grep -E 'round [0-9]|PFF lines took|lines a run|^ *\||^(--- |ok|FAIL)|Error' | sed 's/^ *throughput_test.go:[0-9]*: //; s/^ *//'
	;;
*)
	echo "usage: $0 [throughput|chaos]" >&2
	exit 2
	;;
esac
echo "load:    $(load) (1-minute average, after)"
