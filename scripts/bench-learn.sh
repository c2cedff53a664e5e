#!/usr/bin/env bash
# The learning pipeline on generated records, each step against `pff ingest`
# of the same records in the same run (a reference that the machine's load
# slows alike): kg build, a corpus training, and the training's peak RSS.
#
#   scripts/bench-learn.sh [records] [epochs] [dim]   (default 1000 50 64)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
epochs=${2:-50}
dim=${3:-64}
scripts/setup-postgres.sh
db=pff_bench_learn
admin=postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db?sslmode=disable
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$tmp/pff" .
pff=$tmp/pff

"$pff" gen records --n "$n" --seed 1 --faults 0 --out "$tmp/records.ndjson" >/dev/null
psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
"$pff" migrate up >/dev/null 2>&1

seconds() { # seconds COMMAND...: runs it, prints its wall time in seconds
	local start end
	start=$(date +%s.%N)
	if ! "$@" >"$tmp/out" 2>"$tmp/err"; then
		cat "$tmp/err" >&2
		return 1
	fi
	end=$(date +%s.%N)
	echo "$end - $start" | bc
}
ingest=$(seconds "$pff" ingest "$tmp/records.ndjson")
build=$(seconds "$pff" kg build)
cat "$tmp/out"
"$pff" kg stats --top 3 | sed -n 1,3p # reads it all: head would end pff with SIGPIPE under pipefail
train=$(seconds /usr/bin/time -f '%M' "$pff" train --dim "$dim" --epochs "$epochs" --eval-every -1 --seed 1)
rss_kb=$(tail -1 "$tmp/err")
cat "$tmp/out"
load=$(cut -d' ' -f1-3 /proc/loadavg)
printf '\n%d records, load %s\n' "$n" "$load"
printf 'pff ingest        %6.1f s\n' "$ingest"
printf 'pff kg build      %6.1f s  = %.2f x ingest\n' "$build" "$(echo "$build / $ingest" | bc -l)"
printf 'pff train         %6.1f s  = %.2f x ingest (dim %d, %d epochs, evaluation included), peak RSS %d MB\n' \
	"$train" "$(echo "$train / $ingest" | bc -l)" "$dim" "$epochs" "$((rss_kb / 1024))"
