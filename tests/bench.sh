#!/usr/bin/env bash
# make bench: speed figures for the README (not timed tests).
#  1. kernel benchmarks (build/tests/bench_*): spmm, losses, ranking, projector vs plain sgemm
#  2. end-to-end on the real Beauty data when ../shared/data is present (or DATA=...):
#     seconds per training epoch and per validation pass, peak memory, for each model.
# BENCH_EPOCHS (default 3) epochs per model; THREADS (default all cores);
# BENCH_4096=1 adds AlphaRec with 4096-d (Llama-2-7B-sized, random) text vectors, 1 epoch each;
# with python3-numpy a 384-d (MiniLM-sized, random) AlphaRec run is always included.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$PWD/$BUILD/bin
DATA=${DATA:-$(cd .. && pwd)/shared/data}
EPOCHS=${BENCH_EPOCHS:-3}
THREADS=${THREADS:-0}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), OpenBLAS $(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo '?')"
for b in "$BUILD"/tests/bench_*; do
  [ -x "$b" ] || continue
  echo
  echo "== $(basename "$b")"
  "$b"
done
raw=$DATA/beauty/raw/user_sequence.txt
if [ ! -f "$raw" ]; then
  echo "(no Beauty data at $raw: set DATA=... for the end-to-end figures)"
  exit 0
fi
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
echo
echo "== end-to-end on Amazon Beauty 5-core (ROU), $EPOCHS epochs per model, threads=$THREADS"
"$BIN/ar-split" -q --format seq --kcore-user 5 --kcore-item 5 "$raw" -o "$w/data"
"$BIN/ar-graph" -q --data "$w/data" -o "$w/graph.npz"
"$BIN/ar-embed-import" -q --data "$w/data" --ids "$DATA/beauty/emb/ids.txt" "$DATA/beauty/emb/use512.npy" -o "$w/use512.npy"
"$BIN/ar-embed-import" -q --data "$w/data" --ids "$DATA/beauty/emb/ids.txt" "$DATA/beauty/emb/glove100.npy" -o "$w/glove100.npy"
printf '%-28s %12s %12s %12s\n' model "s/epoch" "s/eval" "peak MiB"
run() {  # label config extra...
  local label=$1 cfg=$2; shift 2
  "$BIN/ar-train" -q --config "configs/beauty/$cfg.json" --data "$w/data" --graph "$w/graph.npz" \
    --set epochs="$EPOCHS" --set eval_freq="$EPOCHS" -t "$THREADS" "$@" -o "$w/run-$label"
  local s="$w/run-$label/summary.json"
  local spe ev mem
  spe=$(grep -o '"seconds_per_epoch":[[:space:]]*[-0-9.eE+]*' "$s" | sed 's/.*:[[:space:]]*//')
  ev=$(grep -o '"eval_seconds":[[:space:]]*[-0-9.eE+]*' "$w/run-$label/log.jsonl" | tail -n1 | sed 's/.*:[[:space:]]*//')
  mem=$(grep -o '"peak_rss_bytes":[[:space:]]*[0-9]*' "$s" | sed 's/.*:[[:space:]]*//')
  printf '%-28s %12.3f %12.3f %12.0f\n' "$label" "$spe" "${ev:-0}" "$(( ${mem:-0} / 1048576 ))"
}
randvec() {  # randvec DIM OUT.npy: random float32 text vectors, one row per item
  /usr/bin/python3 -c 'import numpy as np, sys; n=sum(1 for _ in open(sys.argv[1])); np.save(sys.argv[3], np.random.default_rng(0).standard_normal((n, int(sys.argv[2])), dtype=np.float32))' "$w/data/items.txt" "$1" "$2"
}
run lightgcn lightgcn
run lightgcn-infonce lightgcn-infonce
run "alpharec USE-512 mlp" alpharec --text "$w/use512.npy"
run "alpharec GloVe-100 mlp" alpharec --text "$w/glove100.npy"
run "alpharec USE-512 linear" alpharec --text "$w/use512.npy" --set projector=linear
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  # MiniLM-sized text vectors (random, 384-d): the size of the official CPU reference (~320 s per epoch)
  randvec 384 "$w/rand384.npy"
  run "alpharec 384-d mlp" alpharec --text "$w/rand384.npy"
fi
if [ "${BENCH_4096:-0}" = 1 ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  # Llama-2-7B-sized text vectors (random, 4096-d) to measure speed and memory at that size
  randvec 4096 "$w/rand4096.npy"
  EPOCHS=1 run "alpharec 4096-d H=1152" alpharec --text "$w/rand4096.npy" --set hidden=1152
  EPOCHS=1 run "alpharec 4096-d H=2048" alpharec --text "$w/rand4096.npy"
fi
echo
echo "== ranking all test users (K=20, train+valid excluded) + metrics"
t0=$(date +%s.%N)
"$BIN/ar-rank" --users "$w/run-lightgcn/user_emb.npy" --items "$w/run-lightgcn/item_emb.npy" \
  --exclude "$w/data/train.npy" --exclude "$w/data/valid.npy" --users-from "$w/data/test.npy" -k 20 -t "$THREADS" \
  | "$BIN/ar-metrics" --truth "$w/data/test.npy" -k 20 >/dev/null
t1=$(date +%s.%N)
echo "ar-rank | ar-metrics: $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') s"
