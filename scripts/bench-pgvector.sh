#!/usr/bin/env bash
# pgvector nearest neighbours: the per-model HNSW indexes SaveTrainedModel
# builds (m=16, ef_construction=64) and the searches of NearestEntities, on
# random 128-dimensional unit vectors, clustered like entity embeddings
# (or uniform), for 40,000 and 500,000 entities in one model each: build
# time, p50/p95 latency and recall@10 against an exact Go scan for each
# ef_search, and the latency of the same search as a sequential scan.
# Needs the local PostgreSQL with pgvector (tests get fresh databases).
# The machine is shared: the load average is printed with every figure.
#
#   scripts/bench-pgvector.sh [clustered|uniform] [SIZES] [EF]
#     (defaults clustered, 40000,500000, 40,100,200)
#
# PFF_BENCH_PGVECTOR_REINDEX_MEM=1GB in the environment also times a rebuild
# of the cosine index with that maintenance_work_mem (SaveTrainedModel sizes
# it to the graph, 512MB to 2GB).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/store.test" ./store
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
(cd store && PFF_BENCH_PGVECTOR=1 PFF_BENCH_PGVECTOR_DATA="${1:-clustered}" \
	PFF_BENCH_PGVECTOR_SIZES="${2:-40000,500000}" PFF_BENCH_PGVECTOR_EF="${3:-40,100,200}" \
	"$tmp/store.test" -test.run '^TestBenchmarkPgvector$' -test.v -test.timeout 4h) | tee "$tmp/log" |
	grep -v '^ *\(Order By\|Sort Key\|->\|Limit\)' >&2
echo "summary:"
sed -n 's/.*RESULT //p' "$tmp/log"
