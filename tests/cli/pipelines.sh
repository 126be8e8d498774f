#!/usr/bin/env bash
# CLI tests of pipelines/Makefile and pipelines/report.sh: the command chains printed
# by make -n (beauty, baby-baselines, overrides), the demo and a tiny synthetic
# Movies dataset run end to end with 2 epochs, the report's table and SVG, and
# test.tsv (ar-rank | ar-metrics) against the trainer's own test metrics.
. "$(dirname "$0")/../cli_lib.sh"
P=$ROOT/pipelines
MK=(make --no-print-directory -C "$P" BIN="$BIN" THREADS=1)

# ---- fixtures ----
# Shared data for the dry runs: the real files when present, else empty stand-ins
# (make -n only needs the prerequisites to exist).
if [ -f "$DATA/beauty/raw/user_sequence.txt" ] && [ -f "$DATA/beauty/emb/use512.npy" ] \
   && [ -f "$DATA/beauty/emb/glove100.npy" ] && [ -f "$DATA/baby/raw/train.json" ]; then
  SH=$DATA
else
  SH=$TMP/shared
  mkdir -p "$SH/beauty/raw" "$SH/beauty/emb" "$SH/baby/raw"
  touch "$SH/beauty/raw/user_sequence.txt" "$SH/beauty/emb/use512.npy" "$SH/beauty/emb/glove100.npy" \
        "$SH/baby/raw/train.json"
fi

# A tiny dataset in the official AlphaRec layout: 60 users, items 0..38 (6-10 each:
# the last one test, the one before valid, the rest train), and a (40, 16) float32
# text array: one row more than the split has items (row r = item id r).
mkmovies() {
  local d=$1
  mkdir -p "$d/cf_data" "$d/item_info"
  awk -v d="$d/cf_data" 'BEGIN {
    srand(7)
    for (u = 0; u < 60; u++) {
      n = 6 + int(rand() * 5); delete seen; m = 0
      while (m < n) { i = (m == 0) ? u % 39 : int(rand() * 39); if (!(i in seen)) { seen[i] = 1; it[m++] = i } }
      line = u; for (k = 0; k < n - 2; k++) line = line " " it[k]
      print line > (d "/train.txt"); print u " " it[n-2] > (d "/valid.txt"); print u " " it[n-1] > (d "/test.txt")
    } }'
  local npy=$d/item_info/item_cf_embeds_large3_array.npy
  if [ -n "${PY:-}" ]; then
    "$PY" -c 'import numpy as np, sys; np.save(sys.argv[1], np.random.default_rng(5).standard_normal((40, 16)).astype(np.float32))' "$npy"
  else  # no numpy: let ar-embed-import write the .npy from text vectors
    seq 0 39 >"$TMP/mv_ids.txt"
    awk 'BEGIN { srand(5); for (r = 0; r < 40; r++) { s = r "\t"; for (c = 0; c < 16; c++) s = s (c ? " " : "") sprintf("%.6f", rand() * 2 - 1); print s } }' >"$TMP/mv_vec.tsv"
    ar-embed-import -q --items "$TMP/mv_ids.txt" "$TMP/mv_vec.tsv" -o "$npy"
  fi
}

# value of metric KEY in a "metric<TAB>value" file
tsv_val() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$2"; }
# test metric KEY of a summary.json (the "test" object; cJSON writes one key a line)
sum_test() { awk -v k="\"$1\":" '/^\t"test":/ { t = 1; next } t && /^\t}/ { t = 0 }
  t && index($0, k) { v = $0; sub(/.*":[ \t]*/, "", v); sub(/,.*/, "", v); print v }' "$2"; }
# |a - b| <= 1e-6
close_to() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= 1e-6) }'; }

# check_run NAME RUNDIR: test.tsv (ar-rank | ar-metrics) reproduces summary.json's test recall@20
check_run() {
  local a b
  a=$(tsv_val recall@20 "$2/test.tsv" 2>/dev/null) b=$(sum_test recall@20 "$2/summary.json" 2>/dev/null)
  if close_to "$a" "$b"; then ok "$1: test.tsv recall@20 = summary.json test recall@20 ($a)"
  else bad "$1: test.tsv recall@20 = summary.json test recall@20" "'$a' vs '$b' in $2"; fi
}

# check_table NAME TABLE.md LABEL...: one row per label with six numeric metric cells
check_table() {
  local name=$1 table=$2 lab row; shift 2
  for lab in "$@"; do
    row=$(grep -F "| $lab | " "$table" | head -n1)
    if awk -F'|' '{ n = 0; for (i = 4; i <= 9; i++) if ($i ~ /^ *[0-9]+\.[0-9]+( ± [0-9.]+)? *$/) n++; exit n != 6 }' <<<"$row"
    then ok "$name: table row $lab has numbers"; else bad "$name: table row $lab" "got '$row'"; fi
  done
}

# check_svg NAME FILE N: well-formed SVG with N polylines
check_svg() {
  local n
  if [ -n "${PY:-}" ]; then
    n=$("$PY" -c 'import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot(); assert r.tag == "{http://www.w3.org/2000/svg}svg", r.tag
print(sum(1 for e in r.iter("{http://www.w3.org/2000/svg}polyline") if len(e.get("points").split()) >= 2))' "$2" 2>"$TMP/.svgerr")
  else
    grep -q '^<svg ' "$2" && grep -q '^</svg>$' "$2" && n=$(grep -c '<polyline .*points="[0-9]' "$2")
  fi
  if [ "${n:-x}" = "$3" ]; then ok "$1: ndcg.svg well-formed, $3 curves"
  else bad "$1: ndcg.svg" "expected $3 polylines, got '${n:-}' $(head -c 200 "$TMP/.svgerr" 2>/dev/null)"; fi
}

# ---- 1. make -n beauty: the whole chain ----
W=$TMP/dw R=$TMP/dr
"${MK[@]}" -n beauty WORK="$W" RESULTS="$R" SHARED="$SH" >"$TMP/beauty.n" 2>"$TMP/beauty.err"
rc=$?
[ $rc -eq 0 ] && ok "make -n beauty" || bad "make -n beauty" "exit $rc: $(head -c 300 "$TMP/beauty.err")"
line_of() { grep -n -F -- "$1" "$TMP/beauty.n" | head -n1 | cut -d: -f1; }
eol_of() { awk -v o="$1" 'substr($0, length($0) - length(o) + 1) == o { print NR; exit }' "$TMP/beauty.n"; }
ls_=$(line_of "ar-split --format seq --kcore-user 5 --kcore-item 5 --mode ROU --ratios 8,1,1 --force $SH/beauty/raw/user_sequence.txt -o $W/beauty/data")
lg=$(line_of "ar-graph --data $W/beauty/data -o $W/beauty/graph.npz")
lu=$(line_of "ar-embed-import --data $W/beauty/data --ids $SH/beauty/emb/ids.txt $SH/beauty/emb/use512.npy -o $W/beauty/use512.npy")
lgl=$(line_of "ar-embed-import --data $W/beauty/data --ids $SH/beauty/emb/ids.txt $SH/beauty/emb/glove100.npy -o $W/beauty/glove100.npy")
lr=$(line_of "report.sh")
[ -n "$ls_" ] && [ -n "$lg" ] && [ "$ls_" -lt "$lg" ] && ok "beauty -n: ar-split then ar-graph" \
  || bad "beauty -n: ar-split then ar-graph" "split line '${ls_}', graph line '${lg}'"
[ -n "$lu" ] && [ -n "$lgl" ] && [ "$ls_" -lt "$lu" ] && [ "$ls_" -lt "$lgl" ] && ok "beauty -n: ar-embed-import for USE and GloVe" \
  || bad "beauty -n: ar-embed-import" "use line '${lu}', glove line '${lgl}'"
n=$(grep -c 'ar-train --config' "$TMP/beauty.n")
[ "$n" -eq 12 ] && ok "beauty -n: 12 trainings" || bad "beauty -n: 12 trainings" "got $n"
n=$(grep -c '^| .*ar-metrics --truth '"$W"'/beauty/data/test.npy -k 1,10,20 --format tsv > ' "$TMP/beauty.n")
[ "$n" -eq 12 ] && ok "beauty -n: 12 ar-rank | ar-metrics" || bad "beauty -n: 12 ar-rank | ar-metrics" "got $n"
miss=""
for s in 1 2 3; do
  for r in lightgcn:lightgcn: lightgcn-infonce:lightgcn-infonce: alpharec-use:alpharec:use512.npy alpharec-glove:alpharec:glove100.npy; do
    IFS=: read -r run cfg text <<<"$r"
    # the training command (3 lines: config, data/graph, text, seed/out) as one string
    cmd=$(awk -v o="-o $W/beauty/seed$s/$run" '/ar-train --config/ { c = "" } { c = c $0 " " }
      substr($0, length($0) - length(o) + 1) == o && c ~ /ar-train/ { print c; exit }' "$TMP/beauty.n")
    lt=$(eol_of "-o $W/beauty/seed$s/$run")
    lk=$(line_of "--users $W/beauty/seed$s/$run/user_emb.npy --items $W/beauty/seed$s/$run/item_emb.npy")
    case "$cmd" in *"--config $ROOT/configs/beauty/$cfg.json"*"--seed $s "*) ;; *) miss="$miss $run/seed$s(config/seed)";; esac
    if [ -n "$text" ]; then case "$cmd" in *"--text $W/beauty/$text"*) ;; *) miss="$miss $run/seed$s(text)";; esac
    else case "$cmd" in *--text*) miss="$miss $run/seed$s(text given)";; esac; fi
    { [ -n "$lt" ] && [ -n "$lk" ] && [ "$lg" -lt "$lt" ] && [ "$lt" -lt "$lk" ] && [ "$lk" -lt "$lr" ]; } || miss="$miss $run/seed$s(order)"
    grep -q "report.sh .*$run=$W/beauty/seed1/$run,$W/beauty/seed2/$run,$W/beauty/seed3/$run" "$TMP/beauty.n" || miss="$miss $run(report)"
  done
done
[ -z "$miss" ] && ok "beauty -n: 4 runs x 3 seeds: configs, seeds, text vectors, ranked after training, report last" \
  || bad "beauty -n: runs" "missing or wrong:$miss"
grep -q "report.sh \"Amazon Beauty .*\" $R/beauty $P/references/beauty.tsv" "$TMP/beauty.n" \
  && ok "beauty -n: report.sh into RESULTS/beauty" || bad "beauty -n: report.sh" "$(grep report.sh "$TMP/beauty.n")"
if grep -q -e "/work/main/pipelines/work" -e " work/" "$TMP/beauty.n"; then bad "beauty -n: WORK honoured" "default work dir in the commands"
else ok "beauty -n: WORK honoured"; fi

# ---- 5. RAW_BEAUTY override ----
mkdir -p "$TMP/raw"; touch "$TMP/raw/my_seq.txt"
t "make -n beauty RAW_BEAUTY=..." "${MK[@]}" -n beauty WORK="$W" RESULTS="$R" SHARED="$SH" RAW_BEAUTY="$TMP/raw/my_seq.txt"
if grep -q -- "ar-split .* $TMP/raw/my_seq.txt -o $W/beauty/data" "$TMP/.out" && ! grep -q "beauty/raw/user_sequence.txt" "$TMP/.out"; then
  ok "RAW_BEAUTY override used by ar-split"
else bad "RAW_BEAUTY override" "$(grep ar-split "$TMP/.out")"; fi

# ---- 4. baby-baselines (dry run only) ----
t "make -n baby-baselines" "${MK[@]}" -n baby-baselines WORK="$W" RESULTS="$R" SHARED="$SH"
b=$TMP/.out
if grep -q -- "ar-split --format mmrec --force $SH/baby/raw -o $W/baby/data" "$b" \
   && [ "$(grep -c "ar-train --config $ROOT/configs/baby/lightgcn.json" "$b")" -eq 3 ] \
   && [ "$(grep -c "ar-train --config $ROOT/configs/baby/lightgcn-infonce.json" "$b")" -eq 3 ] \
   && [ "$(grep -c 'ar-train --config' "$b")" -eq 6 ] && ! grep -q -- "--text" "$b" \
   && grep -q "report.sh .* $R/baby-baselines $P/references/baby.tsv lightgcn=.* lightgcn-infonce=" "$b"; then
  ok "baby-baselines -n: mmrec split of DATA/baby/raw, 2 baselines x 3 seeds, report"
else bad "baby-baselines -n" "$(grep -e ar-split -e 'ar-train' -e report.sh "$b" | head -c 600)"; fi

# SET: several overrides, each one shell-quoted (JSON values survive)
t "make -n demo SET=..." "${MK[@]}" -n demo WORK="$W" RESULTS="$R" SET='epochs=2 monitors=["ndcg@20","hit@5"]'
grep -q -- "--set 'epochs=2' --set 'monitors=\[\"ndcg@20\",\"hit@5\"\]' *-o" "$TMP/.out" \
  && ok "SET: space-separated overrides become quoted --set options" || bad "SET" "$(grep -- --set "$TMP/.out" | head -n1)"

# Makefile used from another directory (make -f): report.sh and references still found
(cd "$TMP" && make --no-print-directory -n -f "$P/Makefile" demo BIN="$BIN" WORK="$W" RESULTS="$R") >"$TMP/f.n" 2>&1
grep -q "^$P/report.sh .* $P/references/demo.tsv" "$TMP/f.n" && grep -q "ar-split .* $P/sample/beauty/user_sequence.txt" "$TMP/f.n" \
  && ok "make -f pipelines/Makefile from elsewhere: absolute script and sample paths" || bad "make -f from elsewhere" "$(head -c 400 "$TMP/f.n")"

# OMP_WAIT_POLICY exported as passive unless the user set it
printf 'show-omp:\n\t@echo "omp=$$OMP_WAIT_POLICY"\n' >"$TMP/omp.mk"
o=$(env -u OMP_WAIT_POLICY make --no-print-directory -C "$P" -f Makefile -f "$TMP/omp.mk" show-omp 2>&1)
[ "$o" = "omp=passive" ] && ok "OMP_WAIT_POLICY=passive exported" || bad "OMP_WAIT_POLICY default" "got '$o'"
o=$(OMP_WAIT_POLICY=active make --no-print-directory -C "$P" -f Makefile -f "$TMP/omp.mk" show-omp 2>&1)
[ "$o" = "omp=active" ] && ok "OMP_WAIT_POLICY from the user kept" || bad "OMP_WAIT_POLICY user value" "got '$o'"

# ---- 2. the demo, for real, 2 epochs ----
W=$TMP/w R=$TMP/r
if "${MK[@]}" demo WORK="$W" RESULTS="$R" SET='epochs=2 eval_freq=1' >"$TMP/demo.out" 2>"$TMP/demo.err"; then
  ok "make demo (2 epochs)"
  check_table demo "$R/demo/table.md" lightgcn alpharec-use
  check_svg demo "$R/demo/ndcg.svg" 2
  for r in lightgcn alpharec-use; do
    d=$W/demo/seed1/$r
    check_run "demo $r" "$d"
    # SET reached the trainer: 2 epochs, evaluated at 0, 1, 2
    if grep -q '"epochs":[[:space:]]*2,' "$d/summary.json" && grep -q '"eval_freq":[[:space:]]*1,' "$d/summary.json" \
       && [ "$(grep -c '"valid"' "$d/log.jsonl")" -eq 3 ]; then ok "demo $r: SET epochs=2 eval_freq=1 applied"
    else bad "demo $r: SET applied" "$(grep -e '"epochs"' -e eval_freq "$d/summary.json" | tr -d '\t\n'), $(wc -l <"$d/log.jsonl") log lines"; fi
  done
  grep -q "| lightgcn | 1 | .* | [0-9]\+ *| [0-9]\+\.[0-9]\{3\} |$" "$R/demo/table.md" \
    && ok "demo: table has best epoch and s/epoch" || bad "demo: best epoch, s/epoch" "$(grep '| lightgcn' "$R/demo/table.md")"
  # a second make has nothing to do
  # (demo itself always prints the table, so ask about the table it builds)
  "${MK[@]}" -q "$R/demo/table.md" WORK="$W" RESULTS="$R" SET='epochs=2 eval_freq=1' >/dev/null 2>&1 \
    && ok "demo: up to date after the run" || bad "demo: up to date" "make -q says something is out of date"
  # the table is printed by the target, also when everything is up to date
  "${MK[@]}" demo WORK="$W" RESULTS="$R" SET='epochs=2 eval_freq=1' 2>/dev/null | grep -q '^| alpharec-use | 1 |' \
    && ok "demo: prints the table when up to date" || bad "demo: prints the table" "no table on stdout of a second make demo"
  # a run deleted by hand is trained again (no file of the chain is an 'intermediate')
  mv "$W/demo/seed1/alpharec-use" "$TMP/keep-run"
  "${MK[@]}" -n demo WORK="$W" RESULTS="$R" >"$TMP/redo.n" 2>&1
  if grep -q "ar-train .*demo/alpharec.json" "$TMP/redo.n" && ! grep -q "demo/lightgcn.json" "$TMP/redo.n" \
     && ! grep -q "ar-split" "$TMP/redo.n"; then ok "demo: a deleted run directory is trained again, nothing else"
  else bad "demo: deleted run" "$(head -c 400 "$TMP/redo.n")"; fi
  mv "$TMP/keep-run" "$W/demo/seed1/alpharec-use"
  # zero-shot: the demo's AlphaRec scores Beauty users outside the sample, untrained
  if [ -f "$DATA/beauty/raw/user_sequence.txt" ] && [ -f "$DATA/beauty/emb/use512.npy" ]; then
    # the whole Beauty file (a part of it does not survive the 5-core filter); 2 epochs
    cp "$DATA/beauty/raw/user_sequence.txt" "$TMP/zs_raw.txt"
    if "${MK[@]}" zero-shot WORK="$W" RESULTS="$R" SHARED="$DATA" RAW_BEAUTY="$TMP/zs_raw.txt" \
         SET='epochs=2 eval_freq=1' >"$TMP/zs.out" 2>"$TMP/zs.err"; then
      ok "make zero-shot"
      check_table zero-shot "$R/zero-shot/table.md" lightgcn alpharec-untrained alpharec-zeroshot
      for r in lightgcn alpharec-untrained alpharec-zeroshot; do check_run "zero-shot $r" "$W/zeroshot/seed1/$r"; done
      z=$W/zeroshot/seed1/alpharec-zeroshot
      if grep -q '"epochs":[[:space:]]*0,' "$z/summary.json" && grep -q "\"init\":[[:space:]]*\"$W/demo/seed1/alpharec-use/model.npz\"" "$z/summary.json"
      then ok "zero-shot: no training, the demo model as init (SET cannot override epochs=0)"
      else bad "zero-shot: init, epochs 0" "$(grep -e '"epochs"' -e '"init"' "$z/summary.json" | tr -d '\t\n')"; fi
      # no user of the sample is in the zero-shot data
      n=$(awk 'NR == FNR { s[$1] = 1; next } ($1 in s)' "$W/demo/data/users.txt" "$W/zeroshot/data/users.txt" | wc -l)
      [ "$n" -eq 0 ] && [ -s "$W/zeroshot/data/users.txt" ] && ok "zero-shot: users disjoint from the sample's" \
        || bad "zero-shot: disjoint users" "$n shared users"
    else
      bad "make zero-shot" "$(tail -c 400 "$TMP/zs.err")"
    fi
  else
    skip "make zero-shot" "no Beauty data under $DATA"
  fi
  # swapping a stage: an extra makefile replaces ar-embed-import by a Python one-liner
  # (the example of the pipelines notes)
  if need_py "stage swap: Python text-vector stage"; then
    cat >"$TMP/my-embed.mk" <<'EOF'
$(WORK)/demo/use512.npy: $(WORK)/demo/data/dataset.json
	$(PY) -c 'import sys, gzip, numpy as np; V = np.load(gzip.open(sys.argv[1])); \
	  row = {a: r for r, a in enumerate(open(sys.argv[2]).read().split())}; items = open(sys.argv[3]).read().split(); \
	  np.save(sys.argv[4], V[[row[a] for a in items]].astype(np.float32))' \
	  $(SAMPLE)/use512.f16.npy.gz $(SAMPLE)/ids.txt $(WORK)/demo/data/items.txt $@
EOF
    if "${MK[@]}" -f Makefile -f "$TMP/my-embed.mk" PY="$PY" WORK="$TMP/w2" "$TMP/w2/demo/use512.npy" >"$TMP/swap.out" 2>&1 \
       && ! grep -q "ar-embed-import" "$TMP/swap.out" && cmp -s "$TMP/w2/demo/use512.npy" "$W/demo/use512.npy"; then
      ok "stage swap: Python one-liner output = ar-embed-import output"
    else bad "stage swap" "$(tail -c 400 "$TMP/swap.out")"; fi
  fi
  # inputs from outside WORK count by their bytes: a fresh copy of the sample (new
  # times) leaves everything up to date; an edited one redoes the split and the rest
  # (last in this block: the edit rewrites WORK's stamp of the sample)
  cp -r "$P/sample/beauty" "$TMP/sample2" && touch "$TMP/sample2"/*
  "${MK[@]}" -q "$R/demo/table.md" WORK="$W" RESULTS="$R" SET='epochs=2 eval_freq=1' SAMPLE="$TMP/sample2" >/dev/null 2>&1 \
    && ok "demo: a touched copy of the sample changes nothing" || bad "demo: touched copy" "make -q says something is out of date"
  sed -i '$d' "$TMP/sample2/user_sequence.txt"
  "${MK[@]}" -n demo WORK="$W" RESULTS="$R" SAMPLE="$TMP/sample2" >"$TMP/edit.n" 2>&1
  if grep -q "ar-split .*sample2/user_sequence.txt" "$TMP/edit.n" && grep -q "ar-train .*demo/lightgcn.json" "$TMP/edit.n" \
     && grep -q "ar-train .*demo/alpharec.json" "$TMP/edit.n"; then ok "demo: an edited sample redoes the split and the trainings"
  else bad "demo: edited sample" "$(head -c 400 "$TMP/edit.n")"; fi
else
  bad "make demo (2 epochs)" "$(tail -c 600 "$TMP/demo.err")"
fi

# ---- 3. movies on a synthetic official-layout dataset ----
t_exit 2 "make movies without MOVIES fails" "${MK[@]}" movies WORK="$W" RESULTS="$R"
grep -q "make movies needs MOVIES=DIR" "$TMP/.err" && ok "make movies without MOVIES: clear message" \
  || bad "make movies without MOVIES: message" "$(head -c 300 "$TMP/.err")"
t_exit 2 "make -n movies without MOVIES fails too" "${MK[@]}" -n movies WORK="$W" RESULTS="$R"
t_exit 2 "make movies MOVIES=missing dir fails" "${MK[@]}" movies MOVIES="$TMP/nowhere" WORK="$W" RESULTS="$R"
grep -q "cf_data/train.txt" "$TMP/.err" && ok "make movies MOVIES=missing: names cf_data/train.txt" \
  || bad "make movies MOVIES=missing: message" "$(head -c 300 "$TMP/.err")"

mkmovies "$TMP/movies"
t_exit 2 "make movies MOVIES_LM=absent fails" "${MK[@]}" movies MOVIES="$TMP/movies" MOVIES_LM=nope WORK="$W" RESULTS="$R"
grep -q "item_cf_embeds_nope_array.npy.*present: item_cf_embeds_large3_array.npy" "$TMP/.err" \
  && ok "make movies MOVIES_LM=absent: names the file and the ones present" || bad "MOVIES_LM message" "$(head -c 300 "$TMP/.err")"
if "${MK[@]}" movies MOVIES="$TMP/movies" WORK="$W" RESULTS="$R" SET='epochs=2 eval_freq=1' SEEDS=1 >"$TMP/mv.out" 2>"$TMP/mv.err"; then
  ok "make movies (synthetic, 2 epochs, 1 seed)"
  check_table movies "$R/movies/table.md" lightgcn lightgcn-infonce alpharec
  check_svg movies "$R/movies/ndcg.svg" 3
  for r in lightgcn lightgcn-infonce alpharec; do check_run "movies $r" "$W/movies/seed1/$r"; done
  m=$W/movies
  if grep -q '"n_users":[[:space:]]*60,' "$m/data/dataset.json" && grep -q '"n_items":[[:space:]]*39,' "$m/data/dataset.json"; then
    ok "movies: lgcn split read (60 users, 39 items)"
  else bad "movies: split" "$(grep -e n_users -e n_items "$m/data/dataset.json" | tr -d '\t\n')"; fi
  bad_cfg=""
  for r in lightgcn lightgcn-infonce alpharec; do
    grep -q '"num_layers":[[:space:]]*2,' "$m/seed1/$r/summary.json" || bad_cfg="$bad_cfg $r(layers)"
  done
  grep -q '"which4best":[[:space:]]*"recall@20"' "$m/seed1/alpharec/summary.json" || bad_cfg="$bad_cfg alpharec(which4best)"
  grep -q '"batch_size":[[:space:]]*4096,' "$m/seed1/alpharec/summary.json" || bad_cfg="$bad_cfg alpharec(batch)"
  grep -q '"text":[[:space:]]*"'"$m"'/text.npy"' "$m/seed1/alpharec/summary.json" || bad_cfg="$bad_cfg alpharec(text)"
  [ -z "$bad_cfg" ] && ok "movies: configs/movies used (2 layers; AlphaRec B 4096, which4best recall@20, text.npy)" \
    || bad "movies: configs" "$bad_cfg"
  if need_py "movies: text.npy rows = item ids"; then
    "$PY" -c 'import numpy as np, sys
a = np.load(sys.argv[1]); t = np.load(sys.argv[2]); items = open(sys.argv[3]).read().split()
assert t.shape == (39, 16) and t.dtype == np.float32, (t.shape, t.dtype)
assert np.array_equal(t, a[[int(i) for i in items]]), "rows differ"' \
      "$TMP/movies/item_info/item_cf_embeds_large3_array.npy" "$m/text.npy" "$m/data/items.txt" 2>"$TMP/.pyerr" \
      && ok "movies: text.npy rows = item ids (extra array row ignored)" || bad "movies: text.npy" "$(tail -n1 "$TMP/.pyerr")"
  fi
else
  bad "make movies (synthetic)" "$(tail -c 600 "$TMP/mv.err")"
fi
exit 0
