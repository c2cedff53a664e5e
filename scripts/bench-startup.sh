#!/usr/bin/env bash
# Binary size, time from exec to a 200 on /health, and idle RSS of `pff serve`
# (workers on) against a local, migrated PostgreSQL.
#
#   scripts/bench-startup.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
scripts/setup-postgres.sh
export DATABASE_URL=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/pff_bench?sslmode=disable}
scripts/create-database.sh
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/pff" .
"$tmp/pff" migrate up >/dev/null
echo "binary: $(stat -c %s "$tmp/pff" | awk '{printf "%.1f MiB", $1/1048576}') (CGO_ENABLED=0, -trimpath -s -w)"
# health_ok asks for /health with bash's own /dev/tcp: no process to spawn
# per poll, so the poll itself costs next to nothing.
health_ok() {
	{ exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
	printf 'GET /health HTTP/1.0\r\n\r\n' >&3
	local status
	read -r _ status _ <&3 || true
	exec 3<&-
	[ "$status" = 200 ]
}
ready=()
for run in $(seq 1 "$runs"); do
	start=$(date +%s%N)
	"$tmp/pff" serve --addr 127.0.0.1:18090 2>"$tmp/serve.log" &
	pid=$!
	until health_ok 18090; do sleep 0.001; done
	ready+=($(( ($(date +%s%N) - start) / 1000000 )))
	if [ "$run" -eq "$runs" ]; then
		sleep 5
		echo "idle RSS after 5 s: $(awk '/VmRSS/ {printf "%.1f MiB", $2/1024}' /proc/$pid/status)"
	fi
	kill -TERM $pid
	wait $pid
done
sorted=$(printf '%s\n' "${ready[@]}" | sort -n)
echo "start to ready (exec to first 200 on /health, $runs runs): median $(echo "$sorted" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') ms, min $(echo "$sorted" | head -1) ms, max $(echo "$sorted" | tail -1) ms"
