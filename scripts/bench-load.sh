#!/usr/bin/env bash
# Mixed API traffic at fixed rates (scripts/loadbench: vegeta as a library)
# against two deployments on one database, in interleaved rounds whose
# order rotates:
#   single    one `pff serve` (API and 10 job workers in one process)
#   replicas  two `pff serve --workers 0` behind round-robin, one `pff worker`
# The mix: 40% record reads, 30% report reads, 20% predictions (score and
# completion), 2% logins, 2% uploads of a new production-size record (whose
# validation the workers do meanwhile). Rate limits are lifted
# (rate_limit.*_per_minute), since one client sends everything; the access
# log is on, as in production.
#
#   scripts/bench-load.sh RATE...     (e.g. 50 100 200)
#
# DURATION (default 30s) per run, ROUNDS (default 3) per rate and
# deployment, RECORDS (default 500) in the corpus. Prints each run's table,
# then the median and range per rate and deployment. The database
# pff_bench_load is dropped and created again.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 RATE..." >&2; exit 2; }
rates=("$@")
duration=${DURATION:-30s}
rounds=${ROUNDS:-3}
records=${RECORDS:-500}
scripts/setup-postgres.sh >/dev/null
db=pff_bench_load
admin=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db?sslmode=disable
export PFF_RATE_LIMIT__READ_PER_MINUTE=1000000 PFF_RATE_LIMIT__WRITE_PER_MINUTE=1000000 PFF_RATE_LIMIT__AUTH_PER_MINUTE=1000000
tmp=$(mktemp -d)
procs=()
cleanup() {
	for p in "${procs[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/pff" .
go build -o "$tmp/loadbench" ./scripts/loadbench
pff=$tmp/pff
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- app store jobs scripts/loadbench || echo "+dirty")
log() { printf '%s\n' "$*" >&2; }
password="correct horse battery staple 42"

# run NAME ADDR ARGS...: a pff process in the background, healthy.
run() {
	local name=$1 addr=$2
	shift 2
	"$pff" "$@" 2>>"$tmp/$name.log" &
	procs+=($!)
	until curl -sf "http://$addr/health" >/dev/null; do sleep 0.1; done
}
stop_all() {
	for p in "${procs[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${procs[@]}"; do wait "$p" 2>/dev/null || true; done
	procs=()
}
pending() { psql "$DATABASE_URL" -tAc "SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'discarded', 'cancelled') AND kind <> 'prune_audit_log'"; }

log "corpus: $records records, validated, a graph and a small model (activated with --force if it fails its gate: this is a load test)"
psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
"$pff" migrate up >/dev/null
echo "$password" | "$pff" user create --username load --email load@example.com --role admin --password-stdin >/dev/null
"$pff" gen records --n "$records" --seed 1 --faults 0.1 --out "$tmp/corpus.ndjson" >/dev/null
"$pff" ingest "$tmp/corpus.ndjson" >/dev/null
run setup 127.0.0.1:18390 worker --addr 127.0.0.1:18390
while [ "$(pending)" != 0 ]; do sleep 0.5; done
stop_all
"$pff" kg build >/dev/null
"$pff" train --dim 32 --epochs 5 --seed 1 >/dev/null 2>&1
version=$("$pff" models list | awk 'NR == 2 {print $1}')
"$pff" models activate "$version" >/dev/null 2>&1 || "$pff" models activate "$version" --force >/dev/null

# attack SETUP RATE ROUND: one run; its summary line goes to $tmp/summary.
attack() {
	local setup=$1 rate=$2 round=$3 apis
	case $setup in
	single)
		run single 127.0.0.1:18380 serve --addr 127.0.0.1:18380
		apis=http://127.0.0.1:18380
		;;
	replicas)
		run api1 127.0.0.1:18381 serve --workers 0 --addr 127.0.0.1:18381
		run api2 127.0.0.1:18382 serve --workers 0 --addr 127.0.0.1:18382
		run worker 127.0.0.1:18391 worker --addr 127.0.0.1:18391
		apis=http://127.0.0.1:18381,http://127.0.0.1:18382
		;;
	esac
	log ""
	log "== $setup, $rate req/s, round $round (commit $commit)"
	local status=ok
	"$tmp/loadbench" -api "$apis" -user load -password "$password" -rate "$rate" -duration "$duration" \
		-seed $((1000 + rate * 10 + round)) -json >"$tmp/out" || status=failed
	grep -v '^{' "$tmp/out" >&2
	tail -1 "$tmp/out" | jq -r --arg s "$setup" --arg st "$status" '[$s, .rate, .all.throughput, .reads.latencies["50th"] / 1e6,
		.reads.latencies["99th"] / 1e6, .all.latencies["99th"] / 1e6, (.all.requests - (.all.requests * .all.success + 0.5 | floor)), $st] | @tsv' >>"$tmp/summary"
	stop_all
	# Let the uploads' validations finish before the next run.
	run drain 127.0.0.1:18390 worker --addr 127.0.0.1:18390
	while [ "$(pending)" != 0 ]; do sleep 0.5; done
	stop_all
}

setups=(single replicas)
for rate in "${rates[@]}"; do
	for ((round = 0; round < rounds; round++)); do
		# Rotate which deployment goes first.
		for ((i = 0; i < ${#setups[@]}; i++)); do
			attack "${setups[$(((i + round) % ${#setups[@]}))]}" "$rate" "$round"
		done
	done
done

printf '\ncommit %s, %s, %s per run, %s rounds\n' "$commit" "$(date -u '+%Y-%m-%d %H:%M UTC')" "$duration" "$rounds"
echo "| deployment | rate | throughput/s median (range) | reads p50 ms median | reads p99 ms median (range) | all p99 ms median | errors (all rounds) | runs that met the aim |"
echo "|---|---|---|---|---|---|---|---|"
for rate in "${rates[@]}"; do
	for setup in "${setups[@]}"; do
		awk -F'\t' -v s="$setup" -v r="$rate" '$1 == s && $2 == r' "$tmp/summary" | sort -t$'\t' -k5,5n | awk -F'\t' '
			{ tp[NR] = $3; p50[NR] = $4; p99[NR] = $5; all99[NR] = $6; err += $7; ok += ($8 == "ok"); n = NR; s = $1; r = $2 }
			END {
				if (n == 0) exit
				m = int((n + 1) / 2)
				# throughput sorted separately for its median and range
				for (i = 1; i <= n; i++) t[i] = tp[i]
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (t[j] < t[i]) { x = t[i]; t[i] = t[j]; t[j] = x }
				for (i = 1; i <= n; i++) a[i] = all99[i]
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { x = a[i]; a[i] = a[j]; a[j] = x }
				for (i = 1; i <= n; i++) q[i] = p50[i]
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (q[j] < q[i]) { x = q[i]; q[i] = q[j]; q[j] = x }
				printf "| %s | %s | %.1f (%.1f–%.1f) | %.1f | %.1f (%.1f–%.1f) | %.1f | %d | %d of %d |\n", s, r, t[m], t[1], t[n], q[m], p99[m], p99[1], p99[n], a[m], err, ok, n
			}'
	done
done
psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
