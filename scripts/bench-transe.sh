#!/usr/bin/env bash
# TransE training throughput, full filtered evaluation time and test MRR of
# package embed against the PyTorch reference (SHARED/bench/transe_torch.py)
# on WN18RR (or the dataset directory DATASET names: train.tsv, valid.tsv,
# test.tsv), with the reference's settings on both sides: dimension 128, 32
# negatives, batch 1024, margin 5, L1, Adam at 0.001, uniform corruption,
# entities rescaled to unit length after each epoch. It follows the
# comparison protocol at the top of BENCHMARKS.md:
#
#   - the sides run interleaved, in an order that rotates every round
#     (round 1: A B C, round 2: B C A, ...), ROUNDS rounds (default 3);
#   - every side gets the same threads: embed's workers and GOMAXPROCS, and
#     the reference's torch threads, are the number of cores;
#   - the reference at its best: dense Adam (its default) and SparseAdam
#     (the lazy update embed makes);
#   - wall time and CPU time (all threads) per unit of work: positive
#     triples per second of training, and of training CPU; the evaluation's
#     wall and CPU seconds;
#   - the 1-minute load average before every run, beside its figures; with
#     MAX_LOAD set, each run first waits (up to 15 minutes) for the load to
#     fall to it;
#   - medians with the range over the rounds, the commit and the date.
#
#   [ROUNDS=3] [MAX_LOAD=1.5] [SIDES="embed torch-adam torch-sparse"] [DATASET=DIR] \
#     scripts/bench-transe.sh [SHARED] [EPOCHS]   (defaults ../shared, 10)
#
# Every run's JSON line is kept in $OUT (default bench-transe-<date>.jsonl in
# the temporary directory, printed at the end). Needs Debian's python3-torch
# (apt-get install -y python3-torch).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=$(cd "${1:-../shared}" && pwd)
epochs=${2:-10}
dataset=$(cd "${DATASET:-$shared/datasets/wn18rr}" && pwd)
rounds=${ROUNDS:-3}
read -r -a sides <<<"${SIDES:-embed torch-adam torch-sparse}"
python=/usr/bin/python3 # Debian's, which has torch; not a pyenv shim
threads=$(nproc)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${OUT:-$(dirname "$tmp")/bench-transe-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- embed scripts/bench-transe.sh || echo "+dirty")
log() { printf '%s\n' "$*" >&2; }
load1() { cut -d' ' -f1 /proc/loadavg; }

go test -c -o "$tmp/embed.test" ./embed

# wait_quiet waits until the 1-minute load average is at most MAX_LOAD.
wait_quiet() {
	[ -n "${MAX_LOAD:-}" ] || return 0
	local waited=0
	while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l > m) }'; do
		if [ "$waited" -ge 900 ]; then
			log "load $(load1) still above $MAX_LOAD after 15 min; running anyway"
			return 0
		fi
		sleep 10
		waited=$((waited + 10))
	done
}

# run SIDE ROUND: one run of a side; appends its JSON line to $out.
run() {
	local side=$1 round=$2 load
	wait_quiet
	load=$(load1)
	log "round $round, $side: load average $(cut -d' ' -f1-3 /proc/loadavg), $epochs epochs, $threads threads"
	case $side in
	embed)
		(cd embed && GOMAXPROCS=$threads PFF_DATASET="$dataset" PFF_EPOCHS=$epochs \
			"$tmp/embed.test" -test.run '^TestBenchmarkThroughput$' -test.v -test.timeout 2h) >"$tmp/run.log"
		sed -n 's/.*summary: //p' "$tmp/run.log" >"$tmp/run.json"
		;;
	torch-adam | torch-sparse)
		local opt=adam
		[ "$side" = torch-sparse ] && opt=sparse_adam
		# The reference times its training and evaluation with pairs of
		# time.perf_counter() calls; a wrapper notes the process CPU time
		# (all threads) at each call too, leaving the script unchanged.
		"$python" - "$shared/bench/transe_torch.py" "$dataset" --epochs "$epochs" \
			--optimizer "$opt" --threads "$threads" >"$tmp/run.out" <<'PY'
import json, runpy, sys, time
cpu, perf_counter = [], time.perf_counter
def counter():
    cpu.append(time.process_time())
    return perf_counter()
time.perf_counter = counter
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
spans = [cpu[i + 1] - cpu[i] for i in range(0, len(cpu) - 1, 2)]  # the epochs, then the evaluation
print(json.dumps({"train_cpu_seconds": sum(spans[:-1]), "eval_cpu_seconds": spans[-1]}))
PY
		tail -2 "$tmp/run.out" | "$python" -c 'import json, sys; r = {}; [r.update(json.loads(l)) for l in sys.stdin]; print(json.dumps(r))' >"$tmp/run.json"
		;;
	*)
		log "unknown side $side"
		return 1
		;;
	esac
	"$python" - "$tmp/run.json" "$side" "$round" "$load" "$commit" "$threads" >>"$out" <<'PY'
import datetime, json, sys
r = json.load(open(sys.argv[1]))
r.update(side=sys.argv[2], round=int(sys.argv[3]), load=float(sys.argv[4]), commit=sys.argv[5], threads=int(sys.argv[6]),
         date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
print(json.dumps(r))
PY
	tail -1 "$out" >&2
}

for ((round = 1; round <= rounds; round++)); do
	n=${#sides[@]}
	for ((i = 0; i < n; i++)); do
		run "${sides[$(((round - 1 + i) % n))]}" "$round"
	done
done
log "load average $(cut -d' ' -f1-3 /proc/loadavg); done; runs in $out"

"$python" - "$out" "$commit" "$(basename "$dataset")" <<'EOF'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
runs = [r for r in runs if r["commit"] == sys.argv[2]]
for r in runs:
    r["per_cpu_s"] = r["epochs"] * r["train"] / r["train_cpu_seconds"]
sides = list(dict.fromkeys(r["side"] for r in runs))
def fmt(xs, f):
    return f"{f(statistics.median(xs))} ({f(min(xs))}–{f(max(xs))})"
print(f"commit {sys.argv[2]}, {runs[0]['date']} to {runs[-1]['date']}, {runs[0]['threads']} threads, "
      f"{runs[0]['epochs']} epochs, {sys.argv[3]}; median (range) over rounds")
print("| side | rounds | load | triples/s (wall) | triples per CPU s | eval wall s | eval CPU s | test MRR |")
print("|---|---|---|---|---|---|---|---|")
med = {}
for s in sides:
    rs = [r for r in runs if r["side"] == s]
    med[s] = {k: statistics.median(r[k] for r in rs) for k in ("triples_per_s", "per_cpu_s", "eval_seconds", "eval_cpu_seconds")}
    print(f"| {s} | {len(rs)} | {fmt([r['load'] for r in rs], lambda x: f'{x:.2f}')} "
          f"| {fmt([r['triples_per_s'] for r in rs], lambda x: f'{x:,.0f}')} "
          f"| {fmt([r['per_cpu_s'] for r in rs], lambda x: f'{x:,.0f}')} "
          f"| {fmt([r['eval_seconds'] for r in rs], lambda x: f'{x:.1f}')} "
          f"| {fmt([r['eval_cpu_seconds'] for r in rs], lambda x: f'{x:.1f}')} "
          f"| {fmt([r['mrr'] for r in rs], lambda x: f'{x:.4f}')} |")
if "embed" in med:
    for s in sides:
        if s == "embed":
            continue
        a, b = med["embed"], med[s]
        print(f"embed / {s} (medians): training {a['triples_per_s'] / b['triples_per_s']:.2f}x in wall time, "
              f"{a['per_cpu_s'] / b['per_cpu_s']:.2f}x per CPU second; evaluation {b['eval_seconds'] / a['eval_seconds']:.2f}x "
              f"as fast in wall time, {b['eval_cpu_seconds'] / a['eval_cpu_seconds']:.2f}x in CPU time")
EOF
log "runs kept in $out"
