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
#   scripts/bench-train-memory.sh job [RECORDS] [DIM] [EPOCHS]
#       train on the corpus as the deployment does: `pff train --async`
#       and one `pff worker` under /usr/bin/time -v, whose peak RSS then
#       includes the checkpoint the job writes every ten epochs (EPOCHS
#       default 12, DIM 128); budget BUDGET_MIB (default 600). The corpus
#       is set up as for corpus (REUSE=1 keeps it), and the validation jobs
#       its ingest queued are deleted, so the worker trains and does
#       nothing else.
#
# EPOCHS (default 3) sets --epochs unless the flags do. The load average is
# printed before and after every run, with the commit and the date.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?corpus, dataset or job}
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

# setup_corpus N: N clean generated records, ingested, and their graph,
# unless REUSE=1.
setup_corpus() {
	[ "${REUSE:-0}" = 1 ] && return
	"$pff" gen records --n "$1" --seed 1 --faults 0 --out "$tmp/records.ndjson" >/dev/null
	psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
	"$pff" migrate up >/dev/null 2>&1
	/usr/bin/time -f 'ingest: %e s, peak RSS %M KB' "$pff" ingest "$tmp/records.ndjson" | tail -1
	/usr/bin/time -f 'kg build: %e s, peak RSS %M KB' "$pff" kg build
}

has_epochs() { [[ " $* " == *" --epochs "* ]]; }
status=0
case $mode in
corpus)
	n=${1:-14550}
	shift || true
	dims=("$@")
	[ ${#dims[@]} -gt 0 ] || dims=(64 128)
	setup_corpus "$n"
	for dim in "${dims[@]}"; do
		train "${BUDGET_MIB:-600}" --corpus --dim "$dim" --epochs "${EPOCHS:-3}" --seed 1 || status=1
	done
	;;
job)
	setup_corpus "${1:-14550}"
	dim=${2:-128}
	epochs=${3:-12}
	budget=${BUDGET_MIB:-600}
	psql "$DATABASE_URL" -qc "DELETE FROM river_job WHERE kind <> 'train_model'"
	log "pff worker, training job --corpus --dim $dim --epochs $epochs: load average $(cut -d' ' -f1-3 /proc/loadavg), commit $commit, $(date -u '+%Y-%m-%d %H:%M UTC')"
	/usr/bin/time -v "$pff" worker --workers 1 --addr 127.0.0.1:18490 >"$tmp/out" 2>"$tmp/err" &
	worker=$!
	started=$(date +%s)
	id=$("$pff" train --async --corpus --dim "$dim" --epochs "$epochs" --seed 1 | sed -n 's/^enqueued training job //p')
	state=
	until [[ $state =~ ^(completed|discarded|cancelled)$ ]]; do
		sleep 2
		state=$(psql "$DATABASE_URL" -tAc "SELECT state FROM river_job WHERE id = $id")
	done
	log "job $id $state in $(($(date +%s) - started)) s; the model's phases:"
	psql "$DATABASE_URL" -tAc "SELECT p->>'name', round((p->>'seconds')::numeric, 1) || ' s', round((p->>'peak_mib')::numeric) || ' MiB'
		FROM models, jsonb_array_elements(metrics->'phases') p WHERE job_id = $id" >&2
	pkill -TERM -P "$worker"
	wait "$worker" || true
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/err")
	log "peak RSS of the worker $((rss / 1024)) MiB (budget $budget MiB), load average after $(cut -d' ' -f1-3 /proc/loadavg)"
	if [ "$state" != completed ] || [ $((rss / 1024)) -gt "$budget" ]; then
		log "FAILED or OVER BUDGET"
		status=1
	fi
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
	log "unknown mode $mode: corpus, dataset or job"
	exit 2
	;;
esac
exit $status
