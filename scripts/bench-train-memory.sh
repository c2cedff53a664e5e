#!/usr/bin/env bash
# Memory and phase times of `pff train` as users run it: the stripped binary
# under /usr/bin/time -v, its peak RSS against a budget, and the phases it
# prints (load, train, evaluate, calibrate, save) with their peak memory.
# Exits 1 when a run's peak RSS is over its budget.
#
#   scripts/bench-train-memory.sh corpus [RECORDS] [DIM...]
#       generate RECORDS clean records (default 14550), ingest them, build
#       the graph and train on it once per DIM (default 64 128); budget
#       BUDGET_MIB (default 600: the compose worker has 1 GiB). REUSE=1
#       keeps the database of an earlier run and its graph.
#   scripts/bench-train-memory.sh dataset DIR BUDGET_MIB [pff train flags]
#       train on a dataset directory (train.tsv, valid.tsv, test.tsv).
#
# EPOCHS (default 3) sets --epochs unless the flags do. The load average is
# printed before and after every run, with the commit and the date.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?corpus or dataset}
shift
scripts/setup-postgres.sh >/dev/null
db=pff_bench_train_memory
admin=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db?sslmode=disable
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/pff" .
pff=$tmp/pff
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- embed app store || echo "+dirty")
log() { printf '%s\n' "$*" >&2; }

# train BUDGET_MIB FLAGS...: one run of pff train; fails over budget.
train() {
	local budget=$1
	shift
	log "pff train $*: load average $(cut -d' ' -f1-3 /proc/loadavg), commit $commit, $(date -u '+%Y-%m-%d %H:%M UTC')"
	/usr/bin/time -v "$pff" train "$@" >"$tmp/out" 2>"$tmp/err"
	grep -E '^(load|train|evaluate|calibrate|save) ' "$tmp/err" >&2 || true
	cat "$tmp/out" >&2
	local rss wall
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/err")
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/err")
	log "peak RSS $((rss / 1024)) MiB (budget $budget MiB), wall $wall, load average after $(cut -d' ' -f1-3 /proc/loadavg)"
	if [ $((rss / 1024)) -gt "$budget" ]; then
		log "OVER BUDGET"
		return 1
	fi
}

has_epochs() { [[ " $* " == *" --epochs "* ]]; }
status=0
case $mode in
corpus)
	n=${1:-14550}
	shift || true
	dims=("$@")
	[ ${#dims[@]} -gt 0 ] || dims=(64 128)
	if [ "${REUSE:-0}" != 1 ]; then
		"$pff" gen records --n "$n" --seed 1 --faults 0 --out "$tmp/records.ndjson" >/dev/null
		psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
		"$pff" migrate up >/dev/null 2>&1
		/usr/bin/time -f 'ingest: %e s, peak RSS %M KB' "$pff" ingest "$tmp/records.ndjson" | tail -1
		/usr/bin/time -f 'kg build: %e s, peak RSS %M KB' "$pff" kg build
	fi
	for dim in "${dims[@]}"; do
		train "${BUDGET_MIB:-600}" --corpus --dim "$dim" --epochs "${EPOCHS:-3}" --seed 1 || status=1
	done
	;;
dataset)
	dir=${1:?dataset directory}
	budget=${2:?budget in MiB}
	shift 2
	if [ "${REUSE:-0}" != 1 ]; then
		psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
		"$pff" migrate up >/dev/null 2>&1
	fi
	flags=("$@")
	has_epochs "$@" || flags+=(--epochs "${EPOCHS:-3}")
	train "$budget" --dataset "$dir" "${flags[@]}" || status=1
	;;
*)
	log "unknown mode $mode: corpus or dataset"
	exit 2
	;;
esac
exit $status
