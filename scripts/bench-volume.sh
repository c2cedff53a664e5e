#!/usr/bin/env bash
# The real volume in one run: generate N records of production size (15–90
# KB each, 10% with a fault), upload them as one ZIP through the API, let a
# worker validate them, build the graph, train, activate the model (past the
# quality gate with --force if it fails, as an admin would, and the script
# says so), predict, and re-validate every record with the model active.
# Every stage runs as its own process under /usr/bin/time -v: its wall time
# and peak RSS are printed as a table, with the load average before and
# after each stage, the commit and the date.
#
#   scripts/bench-volume.sh [records] [dim] [epochs]    (default 14550 64 3)
#
# WORKERS (default 2) is the worker's jobs.workers. The database
# pff_bench_volume is dropped and created again.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-14550}
dim=${2:-64}
epochs=${3:-3}
workers=${WORKERS:-2}
scripts/setup-postgres.sh >/dev/null
db=pff_bench_volume
admin=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db?sslmode=disable
tmp=$(mktemp -d)
api=127.0.0.1:18280
trap 'for p in $(jobs -p); do pkill -TERM -P "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/pff" .
pff=$tmp/pff
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- app store jobs embed || echo "+dirty")
log() { printf '%s\n' "$*" >&2; }
load() { cut -d' ' -f1 /proc/loadavg; }
now() { date +%s.%N; }
rows=()
# row STAGE SECONDS TIMEFILE LOAD_BEFORE: one line of the table.
row() {
	local rss
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$3")
	rows+=("$(printf '| %s | %.1f s | %d MiB | %s–%s |' "$1" "$2" $((rss / 1024)) "$4" "$(load)")")
	log "${rows[-1]}"
}
# stage NAME COMMAND...: runs a command under /usr/bin/time -v as one stage.
stage() {
	local name=$1 before start end
	shift
	before=$(load)
	start=$(now)
	if ! /usr/bin/time -v -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
		cat "$tmp/$name.err" >&2
		exit 1
	fi
	end=$(now)
	row "$name" "$(echo "$end - $start" | bc)" "$tmp/$name.time" "$before"
}
# start NAME COMMAND...: a long-running process under /usr/bin/time -v,
# whose pid (time's) is left in $started.
start() {
	local name=$1
	shift
	/usr/bin/time -v -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	started=$!
}
# stop PID: SIGTERM to the process /usr/bin/time runs, then wait for both.
stop() {
	pkill -TERM -P "$1"
	wait "$1" || true
}
pending() {
	psql "$DATABASE_URL" -tAc "SELECT count(*) FROM river_job WHERE kind IN ('validate_records', 'revalidate_records') AND state NOT IN ('completed', 'discarded', 'cancelled')"
}
wait_jobs() { while [ "$(pending)" != 0 ]; do sleep 0.5; done; }
decisions() { psql "$DATABASE_URL" -tAc "SELECT decision || ' ' || count(*) FROM validation_reports WHERE latest GROUP BY decision ORDER BY 1" | paste -sd, -; }

log "bench-volume: $n records, dim $dim, $epochs epochs, $workers workers; commit $commit, $(date -u '+%Y-%m-%d %H:%M UTC')"
stage gen "$pff" gen records --n "$n" --seed 1 --faults 0.1 --out "$tmp/records"
(cd "$tmp/records" && zip -q -r "$tmp/records.zip" .)
log "$(ls "$tmp/records" | wc -l) files, $(du -sb "$tmp/records" | cut -f1) bytes, sizes $(ls -S -l "$tmp/records" | awk 'NR==2 {max=$5} END {print "up to " max}') bytes, ZIP $(stat -c %s "$tmp/records.zip") bytes"

psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
"$pff" migrate up >/dev/null 2>&1
echo "correct horse battery staple 42" | "$pff" user create --username volume --email volume@example.com --role admin --password-stdin >/dev/null
key=$("$pff" apikey create --user volume --name bench 2>/dev/null)
export PFF_HTTP__REQUEST_TIMEOUT=1h PFF_HTTP__READ_TIMEOUT=1h PFF_HTTP__WRITE_TIMEOUT=1h
call() { curl -sSf -H "X-API-Key: $key" "$@"; }

# Ingest: one ZIP through POST /api/v1/records to an API-only process.
start serve "$pff" serve --workers 0 --addr "$api"
serve=$started
until curl -sf "http://$api/health" >/dev/null; do sleep 0.1; done
before=$(load)
start_s=$(now)
call -o "$tmp/upload.json" -H 'Content-Type: application/zip' --data-binary @"$tmp/records.zip" "http://$api/api/v1/records?name=records.zip"
end_s=$(now)
log "upload: $(head -c 200 "$tmp/upload.json")"
stop "$serve"
row "ingest (POST one ZIP; pff serve --workers 0)" "$(echo "$end_s - $start_s" | bc)" "$tmp/serve.time" "$before"

# Validation: the jobs the upload queued, worked by one worker process.
before=$(load)
start_s=$(now)
start worker "$pff" worker --workers "$workers" --addr 127.0.0.1:18291
worker=$started
wait_jobs
end_s=$(now)
stop "$worker"
row "validate ($workers workers; pff worker)" "$(echo "$end_s - $start_s" | bc)" "$tmp/worker.time" "$before"
log "decisions after validation: $(decisions)"

stage "kg build" "$pff" kg build
stage train "$pff" train --corpus --dim "$dim" --epochs "$epochs" --seed 1
grep -E '^(load|train|evaluate|calibrate|save) ' "$tmp/train.err" >&2 || true
version=$("$pff" models list 2>/dev/null | awk 'NR == 2 {print $1}')
[ -n "$version" ] || { "$pff" models list >&2; log "no model"; exit 1; }
before=$(load)
start_s=$(now)
if /usr/bin/time -v -o "$tmp/activate.time" "$pff" models activate "$version" >"$tmp/activate.out" 2>"$tmp/activate.err"; then
	forced=""
else
	log "the model failed its quality gate: $(cat "$tmp/activate.err")"
	log "activating it with --force, as an admin would (audited)"
	forced=" --force"
	/usr/bin/time -v -o "$tmp/activate.time" "$pff" models activate "$version" --force >"$tmp/activate.out" 2>"$tmp/activate.err"
fi
end_s=$(now)
row "models activate$forced (quality gate)" "$(echo "$end_s - $start_s" | bc)" "$tmp/activate.time" "$before"
cat "$tmp/activate.out" >&2

# Prediction: completions of a fact of the first record, then every record
# validated again with the model judging it.
start serve2 "$pff" serve --workers 0 --addr "$api"
serve=$started
until curl -sf "http://$api/health" >/dev/null; do sleep 0.1; done
id=$(call "http://$api/api/v1/records?limit=1" | jq -r '.items[0].id')
read -r head relation < <(call "http://$api/api/v1/records/$id/triples" | jq -r '[.triples[] | select(.predicate == "status")][0] | "\(.subject) \(.predicate)"')
stage "predict tail (pff predict)" "$pff" predict --k 10 tail "$head" "$relation"
before=$(load)
start_s=$(now)
start worker2 "$pff" worker --workers "$workers" --addr 127.0.0.1:18291
worker=$started
call -o /dev/null -H 'Content-Type: application/json' -d '{}' "http://$api/api/v1/validations"
sleep 1
wait_jobs
end_s=$(now)
stop "$worker"
stop "$serve"
row "re-validate all with the model ($workers workers; pff worker)" "$(echo "$end_s - $start_s" | bc)" "$tmp/worker2.time" "$before"
log "decisions with the model: $(decisions)"

printf '\n%d records, dim %d, %d epochs; commit %s, %s\n\n' "$n" "$dim" "$epochs" "$commit" "$(date -u '+%Y-%m-%d %H:%M UTC')"
echo "| stage | wall | peak RSS | load (1 min) before–after |"
echo "|---|---|---|---|"
printf '%s\n' "${rows[@]}"
psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
