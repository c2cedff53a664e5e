#!/usr/bin/env bash
# TransE training throughput and full filtered evaluation time of package
# embed against the PyTorch reference (SHARED/bench/transe_torch.py), in one
# run, on WN18RR, with the reference's defaults on both sides: dimension 128,
# 32 negatives, batch 1024, margin 5, L1, Adam at 0.001, uniform corruption,
# unit-norm entities. Runs, in order: embed (default build), the reference
# with dense Adam (its default), embed again, embed built with
# GOEXPERIMENT=simd, and with SPARSE=1 also the reference with SparseAdam
# (the lazy update embed makes); then prints the ratios. The machine is
# shared, so the load can change between runs: the two default-build runs
# bracket the reference and the ratios take their mean, and the load
# average is printed before every run.
#
#   [SPARSE=1] scripts/bench-transe.sh [SHARED] [EPOCHS]   (defaults /work/shared, 10)
#
# Needs Debian's python3-torch (apt-get install -y python3-torch).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=$(cd "${1:-/work/shared}" && pwd)
epochs=${2:-10}
python=/usr/bin/python3 # Debian's, which has torch; not a pyenv shim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
log() { printf '%s\n' "$*" >&2; }

go test -c -o "$tmp/embed.test" ./embed
GOEXPERIMENT=simd go test -c -o "$tmp/embed-simd.test" ./embed

# go_run NAME BINARY runs embed's throughput benchmark and keeps its summary.
go_run() {
	log "load average: $(cut -d' ' -f1-3 /proc/loadavg); $1, $epochs epochs"
	(cd embed && PFF_DATASETS="$shared/datasets" PFF_EPOCHS=$epochs \
		"$2" -test.run '^TestBenchmarkThroughput$' -test.v -test.timeout 2h) >"$tmp/$1.log"
	sed -n 's/.*summary: //p' "$tmp/$1.log" >"$tmp/$1.json"
	cat "$tmp/$1.json"
}
# torch_run NAME OPTIMIZER runs the reference unchanged and keeps its final
# line, adding the process CPU time (all threads) of its training and of its
# evaluation: it times both with pairs of time.perf_counter() calls, so a
# wrapper notes process_time() at each call too. Wall time on a shared
# machine depends on the load; CPU time much less.
torch_run() {
	log "load average: $(cut -d' ' -f1-3 /proc/loadavg); $1, $epochs epochs"
	"$python" - "$shared/bench/transe_torch.py" "$shared/datasets/wn18rr" --epochs "$epochs" \
		--optimizer "$2" --threads "$(nproc)" >"$tmp/$1.out" <<'PY'
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
	tail -2 "$tmp/$1.out" | "$python" -c 'import json, sys; r = {}; [r.update(json.loads(l)) for l in sys.stdin]; print(json.dumps(r))' >"$tmp/$1.json"
	cat "$tmp/$1.json"
}

refs=(torch)
go_run go-before "$tmp/embed.test"
torch_run torch adam
go_run go-after "$tmp/embed.test"
go_run go-simd "$tmp/embed-simd.test"
if [ "${SPARSE:-0}" = 1 ]; then
	torch_run torch-sparse sparse_adam
	refs+=(torch-sparse)
fi
log "load average: $(cut -d' ' -f1-3 /proc/loadavg); done"

"$python" - "$tmp" "${refs[@]}" <<'EOF'
import json, os, sys
refs = sys.argv[2:]
r = {n: json.load(open(os.path.join(sys.argv[1], n + ".json"))) for n in ["go-before", "go-after", "go-simd"] + refs}
keys = ("triples_per_s", "eval_seconds", "mrr", "train_cpu_seconds", "eval_cpu_seconds")
r["go"] = {k: (r["go-before"][k] + r["go-after"][k]) / 2 for k in keys}
labels = {"go-before": "embed, before", "go-after": "embed, after", "go": "embed (default build), mean",
          "go-simd": "embed (GOEXPERIMENT=simd)", "torch": "PyTorch, Adam", "torch-sparse": "PyTorch, SparseAdam"}
print(f"{'':30}{'triples/s':>10}{'train CPU s':>12}{'eval s':>8}{'eval CPU s':>11}{'test MRR':>9}")
for n in r:
    x = r[n]
    print(f"{labels[n]:30}{x['triples_per_s']:10.0f}{x['train_cpu_seconds']:12.1f}{x['eval_seconds']:8.1f}"
          f"{x['eval_cpu_seconds']:11.1f}{x['mrr']:9.4f}")
for n in ("go", "go-simd"):
    for ref in refs:
        a, b = r[n], r[ref]
        print(f"{n} / {ref}: training {a['triples_per_s'] / b['triples_per_s']:.2f}x the triples/s "
              f"({b['train_cpu_seconds'] / a['train_cpu_seconds']:.2f}x per CPU second), evaluation "
              f"{b['eval_seconds'] / a['eval_seconds']:.2f}x as fast ({b['eval_cpu_seconds'] / a['eval_cpu_seconds']:.2f}x in CPU time)")
EOF
