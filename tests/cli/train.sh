#!/usr/bin/env bash
# ar-train: the three models on a tiny synthetic dataset; run directory files, log
# records, summary fields, ar-rank | ar-metrics reproducing the test metrics,
# determinism, --resume equivalence, every config/input error, help examples.
. "$(dirname "$0")/../cli_lib.sh"
CFG=$ROOT/configs/beauty
# Many short OpenMP regions per step: on a loaded machine libgomp's spin-waiting
# makes 2-thread runs of this tiny dataset ~30x slower. Results do not depend on it.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
cd "$TMP" || exit 1

# ---- a tiny dataset: 150 users, 60 items, 8-14 distinct items each, in time order ----
awk 'BEGIN{split("7 11 13 17 19 23",st," "); s=12345
  for(u=0;u<150;u++){ s=(s*1103515245+12345)%2147483648; n=8+int(s/65536)%7
    s=(s*1103515245+12345)%2147483648; a=int(s/65536)%60; line="u" u
    for(j=0;j<n;j++) line=line " i" (a+j*st[u%6+1])%60; print line } }' > seq.txt
# item text vectors (16-d) as TSV, imported like any LM output
awk 'BEGIN{s=7; for(i=0;i<60;i++){ printf "i%d\t", i
  for(k=0;k<16;k++){ s=(s*1103515245+12345)%2147483648; printf "%s%.4f", (k?" ":""), (int(s/65536)%2000)/1000.0-1 }
  printf "\n" } }' > text.tsv
if ! { ar-split --format seq -q -o ds seq.txt && ar-graph -q --data ds -o graph.npz &&
       ar-embed-import -q --data ds text.tsv -o text.npy; } 2>prep.err; then
  bad "train setup" "ar-split/ar-graph/ar-embed-import failed: $(head -c 300 prep.err)"
  exit 0
fi

FAST="--set batch_size=128 --set eval_freq=1 -t 2"
NEG="--set num_negs=16"

# json_num KEY FILE: first numeric value of "KEY" in FILE
json_num() { grep -o "\"$1\":[[:space:]]*[-0-9.eE+]*" "$2" | head -n1 | sed 's/.*:[[:space:]]*//'; }
# block_tsv NAME FILE: "metric<TAB>value" lines of the object "NAME" in summary.json
block_tsv() {
  awk -v n="\"$1\":" '$1==n {on=1; next} on && /}/ {exit} on { gsub(/[",]/,""); sub(/:/,""); print $1 "\t" $2 }' "$2"
}

check_run() {  # check_run NAME RUNDIR EPOCHS
  local name=$1 d=$2 ep=$3 f ok=1 why=""
  for f in user_emb.npy item_emb.npy model.npz log.jsonl summary.json; do
    [ -s "$d/$f" ] || { ok=0; why="$why missing $f;"; }
  done
  ls "$d" | grep -q 'tmp' && { ok=0; why="$why temp file left;"; }
  [ "$ok" = 1 ] && ok "$name: run dir files" || bad "$name: run dir files" "$why"
  # one record per evaluation: epochs 0..EPOCHS (eval_freq 1), each with loss and validation metrics
  local n; n=$(grep -c '"valid":{' "$d/log.jsonl")
  local eps; eps=$(grep -o '"epoch":[0-9]*' "$d/log.jsonl" | cut -d: -f2 | tr '\n' ' ')
  local want; want=$(seq 0 "$ep" | tr '\n' ' ')
  if [ "$n" -eq $((ep + 1)) ] && [ "$eps" = "$want" ] && grep -q '"loss":null' "$d/log.jsonl" &&
     [ "$(grep -c '"loss":[0-9]' "$d/log.jsonl")" -eq "$ep" ] && grep -q '"train_seconds":' "$d/log.jsonl" &&
     grep -q '"eval_seconds":' "$d/log.jsonl" && grep -q '"ndcg@20":' "$d/log.jsonl"; then
    ok "$name: log.jsonl records"
  else
    bad "$name: log.jsonl records" "got $n records, epochs '$eps', want '$want'"
  fi
  local miss=""
  for f in '"config":' '"seed":' '"threads":' '"n_users":' '"n_items":' '"n_train":' '"best_epoch":' \
           '"valid":' '"test":' '"wall_seconds":' '"seconds_per_epoch":' '"peak_rss_bytes":' '"version":' '"which4best":'; do
    grep -q "$f" "$d/summary.json" || miss="$miss $f"
  done
  [ -z "$miss" ] && ok "$name: summary.json fields" || bad "$name: summary.json fields" "missing$miss"
  # the saved vectors, ranked by ar-rank and scored by ar-metrics, give the summary's test metrics
  if ar-rank -q -U "$d/user_emb.npy" -V "$d/item_emb.npy" -x ds/train.npy -x ds/valid.npy -u ds/test.npy -k 20 |
     ar-metrics -q --truth ds/test.npy -k 1,10,20 --format tsv > "$d.metrics.tsv"; then
    block_tsv test "$d/summary.json" > "$d.summary.tsv"
    local cmpres
    cmpres=$(awk -F'\t' 'NR==FNR {v[$1]=$2; next} ($1 in v) {n++; d=$2-v[$1]; if (d<0) d=-d; if (d>1e-6) bad=bad " " $1 "=" $2 "/" v[$1]}
             END {if (n < 7) print "only " n+0 " metrics compared"; else if (bad != "") print "differ:" bad}' \
             "$d.metrics.tsv" "$d.summary.tsv")
    [ -z "$cmpres" ] && ok "$name: ar-rank | ar-metrics reproduces summary test metrics" \
                     || bad "$name: ar-rank | ar-metrics reproduces summary test metrics" "$cmpres"
  else
    bad "$name: ar-rank | ar-metrics reproduces summary test metrics" "pipeline failed"
  fi
}

# ---- the three models ----
t "lightgcn trains" ar-train -c "$CFG/lightgcn.json" -d ds -g graph.npz --set epochs=3 $FAST -o r-lgcn
grep -c 'epoch' "$TMP/.err" | grep -qx 5 && ok "progress: one line per evaluation + test line when not a terminal" \
  || bad "progress lines" "$(head -c 300 "$TMP/.err")"
check_run lightgcn r-lgcn 3
t "lightgcn scored by cosine" ar-train -q -c "$CFG/lightgcn.json" -d ds -g graph.npz --set epochs=1 --set score=cosine $FAST -o r-lgcn-cos
if need_py "lightgcn scored by cosine: unit rows"; then
  "$PY" -c 'import numpy as np, sys; v = np.load(sys.argv[1]); n = np.linalg.norm(v, axis=1); sys.exit(0 if np.allclose(n[n > 0], 1, atol=1e-5) else 1)' r-lgcn-cos/item_emb.npy \
    && ok "lightgcn scored by cosine: unit rows" || bad "lightgcn scored by cosine: unit rows" "item_emb.npy rows are not unit length"
fi
t "lightgcn-infonce trains" ar-train -c "$CFG/lightgcn-infonce.json" -d ds -g graph.npz --set epochs=3 $FAST $NEG -o r-nce
check_run lightgcn-infonce r-nce 3
# "score" is what the loss scores too, not only the ranking: the first epoch's loss
# differs between dot and cosine for both losses (same seed, same batches)
t "lightgcn-infonce scored by dot" ar-train -q -c "$CFG/lightgcn-infonce.json" -d ds -g graph.npz --set epochs=1 --set score=dot $FAST $NEG -o r-nce-dot
loss1() { grep '"epoch":1,' "$1/log.jsonl" | grep -o '"loss":[-0-9.eE+]*' | cut -d: -f2; }
for pr in "lightgcn|r-lgcn|r-lgcn-cos" "lightgcn-infonce|r-nce|r-nce-dot"; do
  IFS='|' read -r m a b <<<"$pr"
  la=$(loss1 "$a") lb=$(loss1 "$b")
  [ -n "$la" ] && [ -n "$lb" ] && [ "$la" != "$lb" ] && ok "$m: score changes the training loss ($la vs $lb)" \
    || bad "$m: score changes the training loss" "epoch-1 losses '$la' and '$lb'"
done
if need_py "lightgcn-infonce scored by dot: raw rows"; then
  "$PY" -c 'import numpy as np, sys; v = np.load(sys.argv[1]); n = np.linalg.norm(v, axis=1); sys.exit(0 if not np.allclose(n[n > 0], 1, atol=1e-3) else 1)' r-nce-dot/item_emb.npy \
    && ok "lightgcn-infonce scored by dot: rows not normalised" || bad "lightgcn-infonce scored by dot: raw rows" "item_emb.npy rows are unit length"
fi
t "alpharec trains" ar-train -c "$CFG/alpharec.json" -d ds -g graph.npz --text text.npy --set epochs=3 $FAST $NEG -q -o r-alpha
[ ! -s "$TMP/.err" ] && ok "-q: stderr empty" || bad "-q: stderr empty" "$(head -c 200 "$TMP/.err")"
check_run alpharec r-alpha 3
# alpharec with the text path in the config (key "text") and a linear projector
t "alpharec: text key, linear projector" ar-train -c "$CFG/alpharec.json" -d ds -g graph.npz --set text=text.npy \
  --set projector=linear --set epochs=1 $FAST $NEG -q -o r-alpha-lin
grep -q '"projector":[[:space:]]*"linear"' r-alpha-lin/summary.json && ok "summary records the config as used" \
  || bad "summary records the config as used" "projector not linear"

# training must change the model: loss decreases over epochs
l1=$(grep '"epoch":1,' r-lgcn/log.jsonl | grep -o '"loss":[-0-9.eE+]*' | cut -d: -f2)
l3=$(grep '"epoch":3,' r-lgcn/log.jsonl | grep -o '"loss":[-0-9.eE+]*' | cut -d: -f2)
awk -v a="$l1" -v b="$l3" 'BEGIN{exit !(b < a)}' && ok "lightgcn loss decreases ($l1 -> $l3)" \
  || bad "lightgcn loss decreases" "epoch 1 $l1, epoch 3 $l3"

# ---- determinism ----
for m in lightgcn alpharec; do
  extra=""; [ $m = alpharec ] && extra="--text text.npy $NEG"
  ar-train -q -c "$CFG/$m.json" -d ds -g graph.npz --set epochs=2 $FAST $extra -o d1-$m --seed 5 &&
  ar-train -q -c "$CFG/$m.json" -d ds -g graph.npz --set epochs=2 $FAST $extra -o d2-$m --seed 5 &&
  ar-train -q -c "$CFG/$m.json" -d ds -g graph.npz --set epochs=2 $FAST $extra -o d3-$m --seed 6
  if cmp -s d1-$m/user_emb.npy d2-$m/user_emb.npy && cmp -s d1-$m/item_emb.npy d2-$m/item_emb.npy &&
     cmp -s d1-$m/model.npz d2-$m/model.npz; then ok "$m: same seed and threads -> identical files"
  else bad "$m: same seed and threads -> identical files" "user_emb.npy/model.npz differ"; fi
  cmp -s d1-$m/model.npz d3-$m/model.npz && bad "$m: another seed differs" "seed 6 gave the same model" \
    || ok "$m: another seed differs"
  grep -q '"seed":[[:space:]]*5' d1-$m/summary.json && ok "$m: seed recorded" || bad "$m: seed recorded" "no seed 5"
done

# ---- training steps propagate only what the batch needs (csr_propagate_sel);
# AR_FULL_PROPAGATION=1 forces the full propagation: the files must be identical ----
i=0
for v in "lightgcn|" "lightgcn-infonce|$NEG" "lightgcn|--set batch_size=4 --set num_layers=4 --set epochs=1 -t 1" \
         "lightgcn|--set batch_size=8 --set num_layers=2 -t 1"; do
  m=${v%%|*}; extra=${v#*|}; i=$((i + 1))
  if ar-train -q -c "$CFG/$m.json" -d ds -g graph.npz --set epochs=2 $FAST $extra -o fp$i-fast &&
     AR_FULL_PROPAGATION=1 ar-train -q -c "$CFG/$m.json" -d ds -g graph.npz --set epochs=2 $FAST $extra -o fp$i-full; then
    if cmp -s fp$i-fast/user_emb.npy fp$i-full/user_emb.npy && cmp -s fp$i-fast/item_emb.npy fp$i-full/item_emb.npy &&
       cmp -s fp$i-fast/model.npz fp$i-full/model.npz; then ok "$m $extra: fast propagation == AR_FULL_PROPAGATION=1"
    else bad "$m $extra: fast propagation == AR_FULL_PROPAGATION=1" "user_emb.npy/item_emb.npy/model.npz differ"; fi
  else
    bad "$m $extra: fast propagation == AR_FULL_PROPAGATION=1" "ar-train failed"
  fi
done

# ---- --resume: 4 epochs in one go == 2 epochs, then resumed to 4 ----
for m in lightgcn-infonce alpharec; do
  extra="$NEG"; [ $m = alpharec ] && extra="--text text.npy $NEG"
  ar-train -q -c "$CFG/$m.json" -d ds -g graph.npz --set epochs=4 $FAST $extra -o full-$m &&
  ar-train -q -c "$CFG/$m.json" -d ds -g graph.npz --set epochs=2 $FAST $extra -o part-$m
  t_exit 0 "$m: resume runs" ar-train -q --resume part-$m -d ds -g graph.npz --set epochs=4 -t 2
  if cmp -s full-$m/user_emb.npy part-$m/user_emb.npy && cmp -s full-$m/item_emb.npy part-$m/item_emb.npy &&
     cmp -s full-$m/model.npz part-$m/model.npz; then ok "$m: resumed run identical to uninterrupted"
  else bad "$m: resumed run identical to uninterrupted" "user_emb.npy, item_emb.npy or model.npz differ"; fi
  a=$(grep -o '"epoch":[0-9]*' full-$m/log.jsonl | tr '\n' ' '); b=$(grep -o '"epoch":[0-9]*' part-$m/log.jsonl | tr '\n' ' ')
  [ "$a" = "$b" ] && ok "$m: resumed log has every record once" || bad "$m: resumed log" "'$b' vs '$a'"
  grep -q '"resumed_from_epoch":[[:space:]]*2' part-$m/summary.json && ok "$m: summary notes the resume" \
    || bad "$m: summary notes the resume" "no resumed_from_epoch 2"
done
# resume into a new run directory with an explicit --config
ar-train -q -c "$CFG/lightgcn.json" -d ds -g graph.npz --set epochs=2 $FAST -o rs-a
ar-train -q -c "$CFG/lightgcn.json" -d ds -g graph.npz --set epochs=3 $FAST -o rs-full
t "resume into another directory" ar-train -q -c "$CFG/lightgcn.json" --resume rs-a -d ds -g graph.npz --set epochs=3 $FAST -o rs-b
cmp -s rs-full/model.npz rs-b/model.npz && cmp -s rs-full/user_emb.npy rs-b/user_emb.npy \
  && ok "resume into another directory: identical result" || bad "resume into another directory" "files differ"

# ---- --init: start from a trained model; with epochs=0 that is zero-shot scoring ----
# valid_of RUNDIR EPOCH: the "valid" object of that epoch's log record
valid_of() { grep "\"epoch\":$2," "$1/log.jsonl" | grep -o '"valid":{[^}]*}'; }
for v in "lightgcn|r-lgcn|" "alpharec|r-alpha|--text text.npy"; do
  m=${v%%|*}; rest=${v#*|}; src=${rest%%|*}; extra=${rest#*|}
  t "$m: --init with epochs=0 runs" ar-train -q -c "$CFG/$m.json" -d ds -g graph.npz $extra --init $src --set epochs=0 -t 2 -o init0-$m
  a=$(valid_of $src 3); b=$(valid_of init0-$m 0)
  [ -n "$a" ] && [ "$a" = "$b" ] && ok "$m: --init model, epoch 0 validation == the source's last epoch" \
    || bad "$m: --init epoch 0 validation" "'$b' vs '$a'"
  grep -q '"init":' init0-$m/summary.json && grep -q '"best_epoch":[[:space:]]*0' init0-$m/summary.json \
    && ok "$m: --init recorded in summary, best epoch 0" || bad "$m: --init summary" "no init or best_epoch 0"
done
# fine-tuning from a model changes it; hidden size follows the model
t "alpharec: --init then train 1 epoch" ar-train -q -c "$CFG/alpharec.json" -d ds -g graph.npz --text text.npy --init r-alpha/model.npz --set epochs=1 $FAST $NEG -o init1
cmp -s init1/model.npz r-alpha/model.npz && bad "--init then train: model changes" "identical" || ok "--init then train: model changes"
ar-train -q -c "$CFG/alpharec.json" -d ds -g graph.npz --text text.npy --set hidden=5 --set epochs=1 $FAST $NEG -o r-h5
t "alpharec: --init takes the model's hidden size" ar-train -q -c "$CFG/alpharec.json" -d ds -g graph.npz --text text.npy --init r-h5 --set epochs=0 -o init-h5
grep -q '"hidden":[[:space:]]*5' init-h5/summary.json && ok "--init: hidden 5 from the model" || bad "--init: hidden" "not 5"
# zero-shot on another dataset (ds2: 100 users, items i50..i59 dropped; same 16-d text space)
head -n 100 seq.txt | sed 's/ i5[0-9]\b//g' > seq2.txt
if ar-split --format seq -q -o ds2 seq2.txt && ar-graph -q --data ds2 -o graph2.npz &&
   ar-embed-import -q --data ds2 text.tsv -o text2.npy; then
  t "alpharec: zero-shot on another dataset" ar-train -q -c "$CFG/alpharec.json" -d ds2 -g graph2.npz --text text2.npy --init r-alpha --set epochs=0 -o zs2
  grep -q '"n_items":[[:space:]]*50' zs2/summary.json && [ -s zs2/user_emb.npy ] && ok "zero-shot: vectors of the new dataset" \
    || bad "zero-shot" "no 50-item summary"
else
  bad "zero-shot setup" "ar-split/ar-graph/ar-embed-import of ds2 failed"
fi

# ---- --project: the projector alone, on any rows of the same text space ----
t "--project runs" ar-train --project r-alpha --text text.npy -o proj.npy -q
t "--project, linear projector" ar-train --project r-alpha-lin/model.npz --text text.npy -o proj-lin.npy -q
if need_py "numpy: --project"; then
  cat > proj.py <<'EOF'
import numpy as np
Z = np.load("text.npy").astype(np.float64)
Z[5] = 0
np.save("text0.npy", Z.astype(np.float32))
np.save("text8.npy", Z[:, :8].astype(np.float32))
m = np.load("r-alpha/model.npz")
H = Z @ m["W1"] + m["b1"]
np.save("want.npy", np.where(H > 0, H, 0.01 * H) @ m["W2"] + m["b2"])
l = np.load("r-alpha-lin/model.npz")
np.save("want-lin.npy", Z @ l["W"] + l["b"])
EOF
  "$PY" proj.py && ar-train --project r-alpha --text text0.npy -o proj0.npy -q &&
    ar-train --project r-alpha-lin --text text0.npy -o proj0-lin.npy -q
  "$PY" - <<'EOF' && ok "numpy: --project == W2 LeakyReLU(W1 z + b1) + b2 (and W z + b); zero rows stay zero" || bad "numpy: --project" "mismatch"
import numpy as np
for got, want in (("proj0.npy", "want.npy"), ("proj0-lin.npy", "want-lin.npy")):
    g = np.load(got); w = np.load(want)
    assert g.dtype == np.float32 and g.shape == w.shape, (g.dtype, g.shape, w.shape)
    assert np.all(g[5] == 0), got
    w[5] = 0
    assert np.abs(g - w).max() <= 1e-5 * max(1, np.abs(w).max()), (got, np.abs(g - w).max())
EOF
fi

# ---- numpy checks of the saved vectors ----
if need_py "numpy: saved vectors"; then
  cat > chk.py <<'EOF'
import json, sys
import numpy as np, scipy.sparse as sp
def prop(A, E, L):
    acc, X = E / (L + 1), E
    for _ in range(L):
        X = A @ X
        acc = acc + X / (L + 1)
    return acc
A = sp.load_npz("graph.npz").astype(np.float64)
U = 150
for run, cos in (("r-lgcn", False), ("r-nce", True), ("r-alpha", True)):
    u = np.load(run + "/user_emb.npy"); v = np.load(run + "/item_emb.npy")
    assert u.dtype == np.float32 and u.shape == (150, 64) and v.shape == (60, 64), (run, u.shape, v.shape)
    if cos:
        n = np.linalg.norm(np.vstack([u, v]), axis=1)
        assert np.all(np.abs(n[n > 0] - 1) < 1e-5), (run, n.min(), n.max())
    s = json.load(open(run + "/summary.json"))
    z = np.load(run + "/model.npz")
    assert int(z["epoch"]) == 3 and int(z["best_epoch"]) == s["best_epoch"], run
    if s["best_epoch"] != 3 or run == "r-alpha":
        continue
    # best epoch == last epoch: the saved vectors are the propagation of the saved tables
    E = np.vstack([z["user_emb"], z["item_emb"]]).astype(np.float64)
    F = prop(A, E, 3)
    if cos:
        F = F / np.maximum(np.linalg.norm(F, axis=1, keepdims=True), 1e-30)
    err = np.abs(F - np.vstack([u, v])).max() / max(np.abs(F).max(), 1e-30)
    assert err < 1e-4, (run, err)
print("ok")
EOF
  t "numpy: saved vectors are the (normalised) propagation of model.npz" "$PY" chk.py
fi

# ---- errors: exit code and a one-line message naming the problem ----
expect() {  # expect CODE NAME PATTERN CMD...
  local code=$1 name=$2 pat=$3; shift 3
  rm -rf "$TMP/rx"
  "$@" >"$TMP/.out" 2>"$TMP/.err"; local rc=$?
  if [ "$rc" -ne "$code" ]; then bad "$name" "exit $rc (want $code): $(head -c 300 "$TMP/.err")"
  elif ! grep -q -- "$pat" "$TMP/.err"; then bad "$name" "message lacks '$pat': $(head -c 300 "$TMP/.err")"
  elif [ -e "$TMP/rx" ]; then bad "$name" "run directory created although the input was rejected"
  else ok "$name"; fi
}
printf '{"model": "lightgcn", "learning_rate": 0.1}\n' > unknown.json
printf '{"model": "mf"}\n' > model.json
printf '{"model": "lightgcn", "epochs": "ten"}\n' > type.json
printf '{"model": "lightgcn", "lr": -1}\n' > range.json
printf '{"model": "lightgcn",\n "lr": 0.1,,\n}\n' > syntax.json
printf '{"model": "lightgcn", "monitors": ["ndcg@10"]}\n' > best.json
printf '{"model": "lightgcn", "num_negs": 8}\n' > negs.json
G="-d ds -g graph.npz -o rx --set epochs=1"
expect 2 "config: unknown key" 'unknown.json: unknown key "learning_rate"' ar-train -c unknown.json $G
expect 2 "config: unknown model" 'model.json: key "model": unknown model "mf"' ar-train -c model.json $G
expect 2 "config: wrong type" 'type.json: key "epochs"' ar-train -c type.json $G
expect 2 "config: out of range" 'range.json: key "lr"' ar-train -c range.json $G
expect 2 "config: invalid JSON with line" 'syntax.json:2: invalid JSON' ar-train -c syntax.json $G
expect 2 "config: which4best not monitored" 'best.json: key "which4best"' ar-train -c best.json $G
expect 2 "config: lightgcn needs one negative" 'negs.json: key "num_negs"' ar-train -c negs.json $G
expect 3 "config: missing file" 'nope.json' ar-train -c nope.json $G
expect 2 "--set: unknown key" '\-\-set colour=red: unknown key' ar-train -c "$CFG/lightgcn.json" $G --set colour=red
expect 2 "--set: bad value" '\-\-set epochs=-1: key "epochs"' ar-train -c "$CFG/lightgcn.json" $G --set epochs=-1
expect 2 "--set: not key=value" 'key=value' ar-train -c "$CFG/lightgcn.json" $G --set epochs
expect 2 "--seed: not a number" 'seed' ar-train -c "$CFG/lightgcn.json" $G --seed x1
expect 2 "-t: out of range" 'threads' ar-train -c "$CFG/lightgcn.json" $G -t -3
expect 2 "missing --data" '\-\-data' ar-train -c "$CFG/lightgcn.json" -g graph.npz -o rx
expect 2 "missing --graph" '\-\-graph' ar-train -c "$CFG/lightgcn.json" -d ds -o rx
expect 2 "missing -o" 'RUNDIR' ar-train -c "$CFG/lightgcn.json" -d ds -g graph.npz
expect 2 "unknown option" "Try 'ar-train --help'" ar-train -c "$CFG/lightgcn.json" $G --frobnicate
expect 2 "alpharec without text" 'needs item text vectors' ar-train -c "$CFG/alpharec.json" $G
# inputs that do not match each other
# ds2, graph2.npz, text2.npy: made for the zero-shot test above (100 users, 50 items)
expect 1 "graph of another dataset" 'graph2.npz: graph has' ar-train -c "$CFG/lightgcn.json" -d ds -g graph2.npz -o rx
expect 1 "text rows != items" 'text2.npy: 50 rows of text vectors, but the dataset has 60 items' \
  ar-train -c "$CFG/alpharec.json" $G --text text2.npy
expect 3 "missing dataset" 'nodata' ar-train -c "$CFG/lightgcn.json" -d nodata -g graph.npz -o rx
# an empty training set (train.npy with 0 rows)
mkdir -p ds0 && cp ds/*.txt ds/valid.npy ds/test.npy ds0/ &&
  { printf '\x93NUMPY\x01\x00\x76\x00'; printf "{'descr': '<i4', 'fortran_order': False, 'shape': (0, 2), }%58s\n" ''; } > ds0/train.npy
expect 1 "empty training set" 'no training interactions' ar-train -c "$CFG/lightgcn.json" -d ds0 -g graph.npz -o rx
# resume errors
expect 2 "resume: checkpoint beyond epochs" 'beyond epochs' ar-train --resume r-lgcn -d ds -g graph.npz --set epochs=2 -o rx
expect 1 "resume: checkpoint of another model" 'user_emb' \
  ar-train -c "$CFG/lightgcn.json" --resume r-alpha -d ds -g graph.npz --set epochs=5 -o rx
expect 3 "resume: no checkpoint" 'model.npz' ar-train --resume nowhere -d ds -g graph.npz --set epochs=5 -o rx
expect 2 "resume: different seed" 'seed' ar-train --resume d1-lightgcn -d ds -g graph.npz --set epochs=5 --seed 9 -o rx
# --init and --project errors
expect 2 "--init with --resume" 'exclude each other' ar-train --resume r-lgcn --init r-lgcn -d ds -g graph.npz --set epochs=5
expect 1 "--init: a lightgcn model into alpharec" '"W1" missing' ar-train -c "$CFG/alpharec.json" $G --text text.npy --init r-lgcn -o rx
expect 1 "--init: another dataset's ID tables" 'user_emb' ar-train -c "$CFG/lightgcn.json" -d ds2 -g graph2.npz --init r-lgcn -o rx
expect 3 "--init: no such model" 'nowhere' ar-train -c "$CFG/lightgcn.json" $G --init nowhere -o rx
expect 2 "--project without --text" 'needs --text' ar-train --project r-alpha -o rx
expect 2 "--project with --data" 'takes only' ar-train --project r-alpha --text text.npy -d ds -o rx
expect 1 "--project: not an alpharec model" 'not an alpharec model' ar-train --project r-lgcn --text text.npy -o rx
if [ -s text8.npy ]; then
  expect 1 "--init: projector of another text dimension" 'shape' ar-train -c "$CFG/alpharec.json" $G --text text8.npy --init r-alpha -o rx
  expect 1 "--project: wrong text dimension" '8 columns' ar-train --project r-alpha --text text8.npy -o rx
fi

# ---- help, version, examples ----
t "--help exits 0" ar-train --help
grep -q '^Examples:' "$TMP/.out" && grep -q 'wd_mode' "$TMP/.out" && ok "--help lists examples and config keys" \
  || bad "--help content" "no Examples block or config keys"
t "--version" ar-train --version
grep -qx 'ar-train [0-9.]*' "$TMP/.out" && ok "--version format" || bad "--version format" "$(cat "$TMP/.out")"
mkdir -p ex && cp -r "$ROOT/configs" ex/ && cp -r ds ex/ds && cp graph.npz text.npy ex/
run_help_examples ar-train "$TMP/ex"
