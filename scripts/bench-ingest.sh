#!/usr/bin/env bash
# Ingest throughput of `pff ingest DIR` and of POST /api/v1/records with the
# same records as one ZIP, each against psql's \copy of the same documents
# into a bare jsonb table in the same run (before and after, for the noise of
# a shared machine); peak RSS of both; then how fast the workers validate
# the stored records, and re-validate them all through POST /validations.
#
#   scripts/bench-ingest.sh [records]      (default 14550, about 0.44 GB)
#   scripts/bench-ingest.sh --rss [records]
#       only the server's peak RSS for one NDJSON upload (default 55000
#       records, about 0.98 GB: under the default 1 GiB upload limit)
set -euo pipefail
cd "$(dirname "$0")/.."
rss_only=false
if [ "${1:-}" = --rss ]; then
	rss_only=true
	shift
	n=${1:-55000}
else
	n=${1:-14550}
fi
workers=${WORKERS:-4}
scripts/setup-postgres.sh
db=pff_bench_ingest
admin=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db?sslmode=disable
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT

CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/pff" .
pff=$tmp/pff
log() { printf '%s\n' "$*" >&2; }

if $rss_only; then
	"$pff" gen records --n "$n" --seed 1 --faults 0.1 --out "$tmp/records.ndjson" >/dev/null
	psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
	"$pff" migrate up >/dev/null 2>&1
	echo "correct horse battery staple 42" | "$pff" user create --username ingest-bench --email ingest-bench@example.com --role operator --password-stdin >/dev/null
	key=$("$pff" apikey create --user ingest-bench --name bench 2>/dev/null)
	PFF_HTTP__REQUEST_TIMEOUT=1h PFF_HTTP__READ_TIMEOUT=1h PFF_HTTP__WRITE_TIMEOUT=1h \
		"$pff" serve --workers 0 --addr 127.0.0.1:18180 2>"$tmp/serve.log" &
	serve=$!
	until curl -sf http://127.0.0.1:18180/health >/dev/null; do sleep 0.1; done
	secs=$(curl -sS -o "$tmp/api.out" -w '%{time_total}' -H "X-API-Key: $key" -H 'Content-Type: application/x-ndjson' \
		--data-binary @"$tmp/records.ndjson" 'http://127.0.0.1:18180/api/v1/records?name=records.ndjson')
	echo "upload of $(stat -c %s "$tmp/records.ndjson") bytes ($n records) in ${secs}s: $(head -c 120 "$tmp/api.out")"
	echo "server max RSS $(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$serve/status") MB"
	kill -TERM "$serve"
	wait "$serve" || true
	psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
	exit 0
fi

log "generating $n records"
"$pff" gen records --n "$n" --seed 1 --faults 0.1 --out "$tmp/records" >/dev/null
# The same documents (same seed), compact, one a line, for COPY.
"$pff" gen records --n "$n" --seed 1 --faults 0.1 --out "$tmp/records.ndjson" >/dev/null
(cd "$tmp/records" && zip -q -r "$tmp/records.zip" .)
dir_bytes=$(du -sb "$tmp/records" | cut -f1)
json_bytes=$(stat -c %s "$tmp/records.ndjson")
log "$(ls "$tmp/records" | wc -l) files, $dir_bytes bytes indented, $json_bytes compact, zip $(stat -c %s "$tmp/records.zip")"

fresh_db() {
	psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
	"$pff" migrate up >/dev/null 2>&1
	psql "$DATABASE_URL" -qc "CREATE TABLE bare (doc jsonb NOT NULL)"
}
# seconds since the epoch, with nanoseconds
now() { date +%s.%N; }
rate() { echo "scale=1; $1 / $2" | bc; }
# max RSS in MB from /usr/bin/time -v output
max_rss() { awk '/Maximum resident set size/ {printf "%.0f", $6 / 1024}' "$1"; }

copy_bare() {
	psql "$DATABASE_URL" -qc "TRUNCATE bare"
	local start end
	start=$(now)
	# CSV with quote and delimiter bytes JSON never holds: each line is one
	# value, backslashes and all.
	psql "$DATABASE_URL" -qc "\\copy bare(doc) FROM '$tmp/records.ndjson' WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"
	end=$(now)
	echo "$end - $start" | bc
}

fresh_db
copy1=$(copy_bare)
log "COPY: ${copy1}s"

/usr/bin/time -v -o "$tmp/cli.time" "$pff" ingest "$tmp/records" >"$tmp/cli.out" 2>"$tmp/cli.err" || { cat "$tmp/cli.err" >&2; exit 1; }
cat "$tmp/cli.out" >&2
cli_secs=$(awk '/Elapsed \(wall clock\)/ {n = split($8, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$tmp/cli.time")

# The API: a fresh database, an operator's API key, one ZIP through curl.
fresh_db
echo "correct horse battery staple 42" | "$pff" user create --username ingest-bench --email ingest-bench@example.com --role operator --password-stdin >/dev/null
key=$("$pff" apikey create --user ingest-bench --name bench 2>/dev/null)
PFF_HTTP__REQUEST_TIMEOUT=1h PFF_HTTP__READ_TIMEOUT=1h PFF_HTTP__WRITE_TIMEOUT=1h \
	"$pff" serve --workers 0 --addr 127.0.0.1:18180 2>"$tmp/serve.log" &
serve=$!
until curl -sf http://127.0.0.1:18180/health >/dev/null; do sleep 0.1; done
api_secs=$(curl -sS -o "$tmp/api.out" -w '%{time_total}' -H "X-API-Key: $key" -H 'Content-Type: application/zip' \
	--data-binary @"$tmp/records.zip" 'http://127.0.0.1:18180/api/v1/records?name=records.zip')
log "API: $(head -c 200 "$tmp/api.out")"
grep -q "\"inserted\":$n," "$tmp/api.out" || { log "API upload did not insert $n records"; exit 1; }
serve_rss=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$serve/status")
kill -TERM "$serve"
wait "$serve" || true

copy2=$(copy_bare)
log "COPY again: ${copy2}s"
copy=$(echo "scale=3; ($copy1 + $copy2) / 2" | bc)

# Validation: the upload queued a job per 50 records; work them, then
# re-validate every record through the API's bulk endpoint.
pending() { psql "$DATABASE_URL" -tAc "SELECT count(*) FROM river_job WHERE kind = '$1' AND state NOT IN ('completed', 'discarded', 'cancelled')"; }
wait_jobs() { while [ "$(pending validate_records)" != 0 ] || [ "$(pending revalidate_records)" != 0 ]; do sleep 0.2; done; }
start=$(now)
"$pff" worker --workers "$workers" --addr 127.0.0.1:18191 2>"$tmp/worker.log" &
worker=$!
wait_jobs
validate_secs=$(echo "$(now) - $start" | bc)
"$pff" serve --workers 0 --addr 127.0.0.1:18180 2>>"$tmp/serve.log" &
serve=$!
until curl -sf http://127.0.0.1:18180/health >/dev/null; do sleep 0.1; done
start=$(now)
curl -sSf -o /dev/null -H "X-API-Key: $key" -H 'Content-Type: application/json' -d '{}' http://127.0.0.1:18180/api/v1/validations
wait_jobs
revalidate_secs=$(echo "$(now) - $start" | bc)
discarded=$(psql "$DATABASE_URL" -tAc "SELECT count(*) FROM river_job WHERE state = 'discarded'")
kill -TERM "$serve" "$worker"
wait "$serve" "$worker" || true

mb=$(echo "scale=3; $json_bytes / 1000000" | bc)
cat <<EOF
records: $n, $mb MB of compact JSON ($dir_bytes bytes as indented files)
COPY into bare jsonb: ${copy}s ($(rate "$n" "$copy") records/s, $(rate "$mb" "$copy") MB/s; runs ${copy1}s, ${copy2}s)
pff ingest DIR:       ${cli_secs}s ($(rate "$n" "$cli_secs") records/s, $(rate "$mb" "$cli_secs") MB/s), ratio to COPY $(echo "scale=2; $copy / $cli_secs" | bc), max RSS $(max_rss "$tmp/cli.time") MB
POST /records ZIP:    ${api_secs}s ($(rate "$n" "$api_secs") records/s, $(rate "$mb" "$api_secs") MB/s), ratio to COPY $(echo "scale=2; $copy / $api_secs" | bc), server max RSS $serve_rss MB
validation jobs:      ${validate_secs}s ($(rate "$n" "$validate_secs") records/s, $workers workers)
re-validation (POST /validations): ${revalidate_secs}s ($(rate "$n" "$revalidate_secs") records/s); discarded jobs: $discarded
EOF
psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
