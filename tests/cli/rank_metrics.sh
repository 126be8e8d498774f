#!/usr/bin/env bash
# CLI tests of ar-rank and ar-metrics: a hand-made case with exact lists and metric
# values, every error case, streaming (pipe, gzip), --data and the has_duplicates
# rule, an independent numpy computation on random data, and the --help examples.
. "$(dirname "$0")/../cli_lib.sh"
cd "$TMP"

# npy_i32 FILE ROWS COLS VALUE... : a little-endian int32 .npy v1.0 written by hand
npy_i32() {
  local f=$1 r=$2 c=$3 v x b0 b1 b2 b3 lo hi
  shift 3
  local hdr="{'descr': '<i4', 'fortran_order': False, 'shape': ($r, $c), }"
  local pad=$(( (64 - (10 + ${#hdr} + 1) % 64) % 64 ))
  hdr="$hdr$(printf '%*s' "$pad" '')"
  local hl=$(( ${#hdr} + 1 ))
  printf -v lo '%02x' $((hl & 255)); printf -v hi '%02x' $((hl >> 8))
  {
    printf '\x93NUMPY\x01\x00'
    printf "\\x$lo\\x$hi"
    printf '%s\n' "$hdr"
    for v in "$@"; do
      x=$(( v & 0xffffffff ))
      printf -v b0 '%02x' $((x & 255)); printf -v b1 '%02x' $(((x >> 8) & 255))
      printf -v b2 '%02x' $(((x >> 16) & 255)); printf -v b3 '%02x' $(((x >> 24) & 255))
      printf "\\x$b0\\x$b1\\x$b2\\x$b3"
    done
  } >"$f"
}

# expect_err CODE NAME PATTERN CMD... : exit code CODE and one stderr line matching PATTERN
expect_err() {
  local code=$1 name=$2 pat=$3
  shift 3
  "$@" >"$TMP/.out" 2>"$TMP/.err"
  local rc=$?
  if [ "$rc" -ne "$code" ]; then bad "$name" "expected exit $code, got $rc: $(head -c 300 "$TMP/.err")"
  elif ! head -n1 "$TMP/.err" | grep -q -- "$pat"; then bad "$name" "message '$(head -n1 "$TMP/.err")' lacks '$pat'"
  else ok "$name"; fi
}

# same NAME FILE EXPECTED-TEXT
same() {
  if [ "$(cat "$2")" = "$3" ]; then ok "$1"; else bad "$1" "got: $(head -c 400 "$2") / expected: $3"; fi
}

# ---- the hand-made case ----
# items: i0 (1,0) i1 (0,1) i2 (1,1) i3 (2,0) i4 (0,2) i5 (-1,0); users: u0 (1,0) u1 (0,1) u2 (1,1)
npy_i32 V.npy 6 2  1 0  0 1  1 1  2 0  0 2  -1 0
npy_i32 U.npy 3 2  1 0  0 1  1 1
npy_i32 train.npy 4 2  0 3  1 1  2 2  2 0
npy_i32 test.npy 5 2  0 2  0 5  1 3  2 1  2 5
# dot scores  u0: 1 0 1 2 0 -1   u1: 0 1 1 0 2 0   u2: 1 1 2 2 2 -1
# train excluded: u0 loses i3 -> [0,2,1] (1,1,0; tie 0<2); u1 loses i1 -> [4,2,0] (2,1,0);
# u2 loses i2,i0 -> [3,4,1] (2,2,1)
ar-rank -q -U U.npy -V V.npy -x train.npy -u test.npy -k 3 >r3.jsonl 2>/dev/null
same "rank hand case (exclusions, ties by index)" r3.jsonl '{"user":0,"items":[0,2,1],"scores":[1,1,0]}
{"user":1,"items":[4,2,0],"scores":[2,1,0]}
{"user":2,"items":[3,4,1],"scores":[2,2,1]}'
ar-rank -q -U U.npy -V V.npy -k 6 --no-scores >all.jsonl
same "rank all users, K = n_items, --no-scores" all.jsonl '{"user":0,"items":[3,0,2,1,4,5]}
{"user":1,"items":[4,1,2,0,3,5]}
{"user":2,"items":[2,3,4,0,1,5]}'
ar-rank -q -U U.npy -V V.npy -k 100 -x train.npy -x test.npy --no-scores >big.jsonl
# u0 loses i3 i2 i5, u1 loses i1 i3, u2 loses i2 i0 i1 i5
same "rank K > n_items, two exclusion files" big.jsonl '{"user":0,"items":[0,1,4]}
{"user":1,"items":[4,2,0,5]}
{"user":2,"items":[3,4]}'
# cosine: u0 = (1,0) scores i0 1, i3 1, i2 0.7071, i1 0, i4 0, i5 -1
ar-rank -q -U U.npy -V V.npy -k 3 --score cosine --no-scores -u test.npy | head -n1 >cos.jsonl
same "rank cosine" cos.jsonl '{"user":0,"items":[0,3,2]}'
ar-rank -q -U U.npy -V V.npy -x train.npy -k 3 --mask never --no-scores | head -n1 >never.jsonl
same "rank --mask never ignores --exclude" never.jsonl '{"user":0,"items":[3,0,2]}'
# intention-aware: u0 gets q = (0,3): 0.5 (1,0) + 0.5 (0,1) = (0.5,0.5): scores i0 .5 i1 .5
# i2 1 i3 1 i4 1 i5 -.5; u1, u2 have zero rows of Q and are ranked as before
npy_i32 Q.npy 3 2  0 3  0 0  0 0
ar-rank -q -U U.npy -V V.npy --intent Q.npy --alpha 0.5 -k 3 >intent.jsonl
same "rank --intent hand case" intent.jsonl '{"user":0,"items":[2,3,4],"scores":[1,1,1]}
{"user":1,"items":[4,1,2],"scores":[2,1,1]}
{"user":2,"items":[2,3,4],"scores":[2,2,2]}'
ar-rank -q -U U.npy -V V.npy --intent Q.npy --alpha 0 -k 6 --no-scores >intent0.jsonl
cmp -s intent0.jsonl all.jsonl && ok "rank --intent with alpha 0 == no intention" || bad "rank --intent alpha 0" "$(cat intent0.jsonl)"
npy_i32 Q2.npy 2 2  0 3  0 0
expect_err 2 "rank: --intent without --alpha" "needs --alpha" ar-rank -U U.npy -V V.npy --intent Q.npy
expect_err 2 "rank: --alpha out of range" "expected a number in \[0, 1\]" ar-rank -U U.npy -V V.npy --intent Q.npy --alpha 1.5
expect_err 2 "rank: --alpha without --intent" "goes with --intent" ar-rank -U U.npy -V V.npy --alpha 0.5
expect_err 1 "rank: --intent rows != users" "Q2.npy is \[2, 2\], expected \[3, 2\]" ar-rank -U U.npy -V V.npy --intent Q2.npy --alpha 0.5

# metrics by hand, targets u0 {2,5}, u1 {3}, u2 {1,5} on the lists above:
# u0 [0,2,1]: hit at rank 2. @1 all 0. @2 recall 1/2, precision 1/2, hit 1, mrr 1/2,
#   ndcg = (1/log2 3) / (1 + 1/log2 3) = 0.6309297536/1.6309297536 = 0.3868528072; @3 the
#   same except precision 1/3.
# u1 [4,2,0]: no hit, all 0.
# u2 [3,4,1]: hit at rank 3. @1, @2 all 0. @3 recall 1/2, precision 1/3, hit 1, mrr 1/3,
#   ndcg = (1/log2 4) / 1.6309297536 = 0.5/1.6309297536 = 0.3065735964.
# means over 3 users: @2 recall 1/6, ndcg 0.3868528072/3 = 0.12895093574, hit 1/3,
#   precision 1/6, mrr 1/6; @3 recall 1/3, ndcg (0.3868528072+0.3065735964)/3 =
#   0.23114213454, hit 2/3, precision 2/9, mrr (1/2+1/3)/3 = 5/18.
ar-metrics -q --truth test.npy -k 1,2,3 r3.jsonl >m.json
same "metrics hand case (json)" m.json '{"recall@1": 0, "recall@2": 0.16666667, "recall@3": 0.33333333, "ndcg@1": 0, "ndcg@2": 0.12895094, "ndcg@3": 0.23114213, "hit@1": 0, "hit@2": 0.33333333, "hit@3": 0.66666667, "precision@1": 0, "precision@2": 0.16666667, "precision@3": 0.22222222, "mrr@1": 0, "mrr@2": 0.16666667, "mrr@3": 0.27777778, "n_users": 3, "k": [1, 2, 3]}'
ar-metrics -q -T test.npy -k 3 --metrics ndcg,recall --format tsv r3.jsonl >m.tsv
same "metrics hand case (tsv, --metrics order)" m.tsv "$(printf 'ndcg@3\t0.23114213\nrecall@3\t0.33333333\nn_users\t3')"
ar-metrics -q -T test.npy -k 3 -m mrr --per-user pu.jsonl -o s.json r3.jsonl >/dev/null
same "metrics --per-user" pu.jsonl '{"user":0,"mrr@3":0.5}
{"user":1,"mrr@3":0}
{"user":2,"mrr@3":0.33333333}'
same "metrics -o" s.json '{"mrr@3": 0.27777778, "n_users": 3, "k": [3]}'

# ---- streaming and gzip ----
ar-rank -q -U U.npy -V V.npy -x train.npy -u test.npy -k 3 | ar-metrics -q -T test.npy -k 1,2,3 >p.json
same "pipe ar-rank | ar-metrics" p.json "$(cat m.json)"
ar-rank -q -U U.npy -V V.npy -x train.npy -u test.npy -k 3 -o r3.jsonl.gz
if [ "$(head -c2 r3.jsonl.gz | od -An -tx1 | tr -d ' ')" = 1f8b ] && [ "$(gzip -dc r3.jsonl.gz)" = "$(cat r3.jsonl)" ]; then
  ok "rank -o .gz writes gzip"; else bad "rank -o .gz writes gzip" "not gzip or content differs"; fi
ar-metrics -q -T test.npy -k 1,2,3 - <r3.jsonl.gz >g.json
same "metrics reads gzip from stdin" g.json "$(cat m.json)"
gzip -c V.npy >V.npy.gz
ar-rank -q -U U.npy -V V.npy.gz -x train.npy -u test.npy -k 3 >r3z.jsonl
same "rank reads .npy.gz" r3z.jsonl "$(cat r3.jsonl)"

# ---- ar-rank errors ----
npy_i32 V3.npy 2 3  1 0 0  0 1 0
npy_i32 badu.npy 2 2  0 1  7 2
npy_i32 badi.npy 3 2  0 1  1 2  2 6
npy_i32 col3.npy 1 3  0 1 2
expect_err 1 "rank: dimension mismatch" "ar-rank: dimension mismatch: U.npy is \[3, 2\] but V3.npy is \[2, 3\]" ar-rank -U U.npy -V V3.npy
expect_err 1 "rank: user out of range in --exclude" "ar-rank: badu.npy: row 1: user 7 out of range (U.npy has 3 rows)" ar-rank -U U.npy -V V.npy -x badu.npy
expect_err 1 "rank: item out of range in --users-from" "ar-rank: badi.npy: row 2: item 6 out of range (V.npy has 6 rows)" ar-rank -U U.npy -V V.npy -u badi.npy
expect_err 1 "rank: pairs with 3 columns" "ar-rank: col3.npy: expected shape \[n, 2\]" ar-rank -U U.npy -V V.npy -x col3.npy
expect_err 3 "rank: missing file" "ar-rank: cannot open 'nope.npy'" ar-rank -U nope.npy -V V.npy
expect_err 2 "rank: --users required" "ar-rank: --users U.npy and --items V.npy are required" ar-rank -V V.npy
expect_err 2 "rank: -k 0" "ar-rank: -k '0'" ar-rank -U U.npy -V V.npy -k 0
expect_err 2 "rank: -k junk" "ar-rank: -k '2x'" ar-rank -U U.npy -V V.npy -k 2x
expect_err 2 "rank: --score" "ar-rank: --score 'euclid'" ar-rank -U U.npy -V V.npy --score euclid
expect_err 2 "rank: --split without --data" "ar-rank: --split goes with --data" ar-rank -U U.npy -V V.npy --split valid
expect_err 2 "rank: stray argument" "ar-rank: unexpected argument 'extra'" ar-rank -U U.npy -V V.npy extra
ar-rank -U U.npy -V V.npy -k 2x >/dev/null 2>"$TMP/e2"
if grep -q "Try 'ar-rank --help'" "$TMP/e2"; then ok "rank: usage hint"; else bad "rank: usage hint" "$(cat "$TMP/e2")"; fi
ar-rank -q -U U.npy -V V3.npy -o out.jsonl 2>/dev/null
if [ ! -e out.jsonl ] && ! ls out.jsonl.tmp.* >/dev/null 2>&1; then ok "rank: no partial output on error"; else bad "rank: no partial output on error" "file left behind"; fi
# -o onto an existing FIFO writes through it (a temp file + rename would replace it)
mkfifo fifo
timeout 20 cat fifo >fifo.out &
catpid=$!
ar-rank -q -U U.npy -V V.npy -x train.npy -u test.npy -k 3 -o fifo
wait "$catpid"
if [ -p fifo ] && cmp -s fifo.out r3.jsonl; then ok "rank -o FIFO writes in place"; else bad "rank -o FIFO writes in place" "fifo replaced or content differs"; fi
t "rank --version" ar-rank --version
grep -q "^ar-rank " "$TMP/.out" && ok "rank --version text" || bad "rank --version text" "$(cat "$TMP/.out")"

# ---- ar-metrics errors (each names the line) ----
printf '{"user":0,"items":[0,2,1]}\n{"user":1,"items":[4,2,\n' >bad_json.jsonl
printf '{"user":0,"items":[0,2,1]}\n{"items":[4,2,0]}\n' >no_user.jsonl
printf '{"user":0}\n' >no_items.jsonl
printf '{"user":0,"items":[0,2,1]} junk\n' >trailing.jsonl
printf '[0,2,1]\n' >array.jsonl
printf '{"user":0,"items":[0,2]}\n' >short.jsonl
printf '{"user":0,"items":[0,2,0]}\n' >dup.jsonl
printf '{"user":0,"items":[0,2,1]}\n{"user":1,"items":[4,2,0]}\n{"user":0,"items":[1,2,3]}\n' >twice.jsonl
printf '{"user":0,"items":[0,2,1]}\n{"user":17,"items":[4,2,0]}\n' >unknown.jsonl
printf '{"user":0,"items":[0,2,1]}\n{"user":1.5,"items":[4,2,0]}\n' >frac.jsonl
printf '{"user":0,"items":[0,"a",1]}\n' >stritem.jsonl
expect_err 1 "metrics: malformed JSON" "ar-metrics: bad_json.jsonl:2: malformed JSON" ar-metrics -T test.npy -k 3 bad_json.jsonl
expect_err 1 "metrics: trailing garbage" "ar-metrics: trailing.jsonl:1: malformed JSON" ar-metrics -T test.npy -k 3 trailing.jsonl
expect_err 1 "metrics: not an object" "ar-metrics: array.jsonl:1: malformed JSON" ar-metrics -T test.npy -k 3 array.jsonl
expect_err 1 "metrics: user missing" 'ar-metrics: no_user.jsonl:2: field "user" missing' ar-metrics -T test.npy -k 3 no_user.jsonl
expect_err 1 "metrics: items missing" 'ar-metrics: no_items.jsonl:1: field "items" missing' ar-metrics -T test.npy -k 3 no_items.jsonl
expect_err 1 "metrics: list shorter than K" "ar-metrics: short.jsonl:1: user 0: 2 items, fewer than K = 3" ar-metrics -T test.npy -k 1,3 short.jsonl
expect_err 1 "metrics: duplicate item" "ar-metrics: dup.jsonl:1: user 0: item 0 listed twice" ar-metrics -T test.npy -k 3 dup.jsonl
expect_err 1 "metrics: user ranked twice" "ar-metrics: twice.jsonl:3: user 0 ranked twice (first on line 1)" ar-metrics -T test.npy -k 3 twice.jsonl
expect_err 1 "metrics: user without targets" "ar-metrics: unknown.jsonl:2: user 17 has no targets in test.npy" ar-metrics -T test.npy -k 3 unknown.jsonl
expect_err 1 "metrics: fractional user" 'ar-metrics: frac.jsonl:2: field "user" is not a non-negative integer' ar-metrics -T test.npy -k 3 frac.jsonl
expect_err 1 "metrics: string item" "ar-metrics: stritem.jsonl:1: user 0: items\[1\] is not a non-negative integer" ar-metrics -T test.npy -k 3 stritem.jsonl
expect_err 1 "metrics: missing users" "ar-metrics: 2 users with targets in test.npy have no ranked line (first: 1, 2)" ar-metrics -T test.npy -k 3 short.jsonl -k 2
expect_err 1 "metrics: error on stdin names <stdin>" "ar-metrics: <stdin>:2: malformed JSON" ar-metrics -T test.npy -k 3 - <bad_json.jsonl
expect_err 2 "metrics: --truth required" "ar-metrics: --truth PAIRS.npy is required" ar-metrics r3.jsonl
expect_err 2 "metrics: bad -k" "ar-metrics: bad K list '10,,20'" ar-metrics -T test.npy -k 10,,20 r3.jsonl
expect_err 2 "metrics: bad --metrics" "ar-metrics: --metrics 'recall,auc'" ar-metrics -T test.npy -m recall,auc r3.jsonl
expect_err 2 "metrics: bad --format" "ar-metrics: --format 'xml'" ar-metrics -T test.npy -f xml r3.jsonl
expect_err 3 "metrics: missing input" "ar-metrics: cannot open 'nope.jsonl'" ar-metrics -T test.npy -k 3 nope.jsonl
# --missing zero: u1, u2 count with 0; only u0 ([0,2]: hit at rank 2, |T| = 2) -> recall@2 = (1/2)/3
ar-metrics -q -T test.npy -k 2 -m recall --missing zero short.jsonl >mz.json
same "metrics --missing zero" mz.json '{"recall@2": 0.16666667, "n_users": 3, "k": [2]}'
# --ignore-extra skips user 17; u0 [0,2,1] hits item 2, users 1 and 2 are missing -> hit@3 = 1/3
ar-metrics -q -T test.npy -k 3 -m hit --ignore-extra --missing zero unknown.jsonl >ie.json
same "metrics --ignore-extra" ie.json '{"hit@3": 0.33333333, "n_users": 3, "k": [3]}'
ar-metrics -q -T test.npy -k 3 -o never.json --per-user never_pu.jsonl bad_json.jsonl 2>/dev/null
if [ ! -e never.json ] && [ ! -e never_pu.jsonl ]; then ok "metrics: no partial output on error"; else bad "metrics: no partial output on error" "files left"; fi

# ---- --data: split users, exclusions, and the has_duplicates rule ----
printf 'a x1 x2 x3 x4 x5 x6 x7 x8 x9 x10\nb x2 x3 x4 x5 x6 x7 x8 x9 x10 x11\nc x1 x3 x5 x6 x4 x7 x9 x11 x2 x8\nd x11 x10 x9 x8 x7 x6 x5 x4 x3 x2 x1\n' >seq.txt
ar-split -q --format seq -o ds seq.txt 2>/dev/null
if [ -f ds/dataset.json ]; then
  nu=$(grep -o '"n_users":[[:space:]]*[0-9]*' ds/dataset.json | grep -o '[0-9]*$')
  ni=$(grep -o '"n_items":[[:space:]]*[0-9]*' ds/dataset.json | grep -o '[0-9]*$')
  vals=(); for ((x = 0; x < nu * 2; x++)); do vals+=($(( (x * 7 + 3) % 5 - 2 ))); done
  npy_i32 ds_U.npy "$nu" 2 "${vals[@]}"
  vals=(); for ((x = 0; x < ni * 2; x++)); do vals+=($(( (x * 3 + 1) % 7 - 3 ))); done
  npy_i32 ds_V.npy "$ni" 2 "${vals[@]}"
  ar-rank -U ds_U.npy -V ds_V.npy --data ds --split test -k 2 >d1.jsonl 2>d1.err
  ar-rank -q -U ds_U.npy -V ds_V.npy -x ds/train.npy -x ds/valid.npy -u ds/test.npy -k 2 >d2.jsonl
  if [ -s d1.jsonl ] && cmp -s d1.jsonl d2.jsonl; then ok "rank --data test == explicit train+valid exclusion"; else bad "rank --data test" "$(head -c 300 d1.err)"; fi
  grep -q "excluding train+valid items (dataset.json: has_duplicates=false)" d1.err && ok "rank --data logs the branch" || bad "rank --data logs the branch" "$(cat d1.err)"
  ar-rank -q -U ds_U.npy -V ds_V.npy --data ds --split valid -k 2 >v1.jsonl
  ar-rank -q -U ds_U.npy -V ds_V.npy -x ds/train.npy -u ds/valid.npy -k 2 >v2.jsonl
  if [ -s v1.jsonl ] && cmp -s v1.jsonl v2.jsonl; then ok "rank --data valid == train exclusion"; else bad "rank --data valid" "differs"; fi
  npy_i32 U1.npy 1 2  1 1
  expect_err 1 "rank --data count mismatch" "ar-rank: ds has $nu users and $ni items, but U1.npy has 1 rows" ar-rank -U U1.npy -V ds_V.npy --data ds
  expect_err 2 "rank --data with --users-from" "exclude each other" ar-rank -U ds_U.npy -V ds_V.npy --data ds -u ds/test.npy
else
  bad "rank --data" "ar-split did not make a dataset"
fi
# a dataset with a repeated (user, item): freerec masks nothing
mkdir -p dup
npy_i32 dup/train.npy 4 2  0 3  1 1  2 2  2 0
npy_i32 dup/valid.npy 1 2  0 0
npy_i32 dup/test.npy 3 2  0 3  1 4  2 1
printf '{"n_users": 3, "n_items": 6, "has_duplicates": true}\n' >dup/dataset.json
ar-rank -U U.npy -V V.npy --data dup -k 2 --no-scores >dup1.jsonl 2>dup1.err
same "rank has_duplicates=true: nothing excluded" dup1.jsonl '{"user":0,"items":[3,0]}
{"user":1,"items":[4,1]}
{"user":2,"items":[2,3]}'
grep -q "not excluding seen items: dataset.json says has_duplicates=true" dup1.err && ok "rank has_duplicates logged" || bad "rank has_duplicates logged" "$(cat dup1.err)"
ar-rank -q -U U.npy -V V.npy --data dup -k 2 --no-scores --mask always >dup2.jsonl
same "rank --mask always overrides has_duplicates" dup2.jsonl '{"user":0,"items":[2,1]}
{"user":1,"items":[4,2]}
{"user":2,"items":[3,4]}'

# ---- independent numpy computation on random data ----
if need_py "rank+metrics vs numpy"; then
  "$PY" - <<'EOF' >py.log 2>&1 || bad "numpy fixtures" "$(tail -n 3 py.log)"
import numpy as np
rng = np.random.default_rng(7)
nu, ni, d = 300, 400, 16
U = rng.standard_normal((nu, d)).astype(np.float32)
V = rng.standard_normal((ni, d)).astype(np.float32)
U[5] = 0; V[7] = 0                         # zero rows (cosine scores 0)
np.save("rU.npy", U); np.save("rV64.npy", V.astype(np.float64))  # V as float64: cast on read
pairs = set()
while len(pairs) < 4000:
    pairs.add((int(rng.integers(nu)), int(rng.integers(ni))))
pairs = np.array(sorted(pairs), dtype=np.int32)
rng.shuffle(pairs)
train, valid, test = pairs[:3000], pairs[3000:3400], pairs[3400:]
test = test[test[:, 0] % 3 != 0]           # not every user has targets
np.save("rtrain.npy", train); np.save("rvalid.npy", valid.astype(np.int64)); np.save("rtest.npy", test)
EOF
  ks=1,5,10,20
  for score in dot cosine; do
    ar-rank -q -U rU.npy -V rV64.npy -x rtrain.npy -x rvalid.npy -u rtest.npy -k 20 --score $score -t 2 --block 37 >rr_$score.jsonl
    ar-metrics -q -T rtest.npy -k $ks --per-user rpu_$score.jsonl rr_$score.jsonl >rm_$score.json
    "$PY" - "$score" "$ks" <<'EOF' >pycmp.log 2>&1 && ok "numpy agrees ($score): lists, scores, metrics" || bad "numpy agrees ($score)" "$(tail -n 5 pycmp.log)"
import sys, json, math
import numpy as np
score, ks = sys.argv[1], [int(k) for k in sys.argv[2].split(",")]
U = np.load("rU.npy").astype(np.float64); V = np.load("rV64.npy").astype(np.float32).astype(np.float64)
train, valid, test = np.load("rtrain.npy"), np.load("rvalid.npy"), np.load("rtest.npy")
if score == "cosine":
    def unit(X):
        n = np.linalg.norm(X, axis=1, keepdims=True)
        return np.where(n > 0, X / np.where(n > 0, n, 1), 0)
    U, V = unit(U), unit(V)
S = U @ V.T
seen = {}
for u, i in np.concatenate([train, valid]):
    seen.setdefault(int(u), set()).add(int(i))
T = {}
for u, i in test:
    T.setdefault(int(u), set()).add(int(i))
users = sorted(T)
got = [json.loads(l) for l in open(f"rr_{score}.jsonl")]
assert [g["user"] for g in got] == users, "user order"
sums = {f"{m}@{k}": 0.0 for m in ["recall", "ndcg", "hit", "precision", "mrr"] for k in ks}
for g, u in zip(got, users):
    s = S[u].copy()
    for i in seen.get(u, ()):
        s[i] = -np.inf
    order = np.lexsort((np.arange(len(s)), -s))[:20]   # score desc, then item asc
    mine = [int(i) for i in order]
    assert len(g["items"]) == 20
    for j, (a, b) in enumerate(zip(g["items"], mine)):
        assert a == b or abs(S[u, a] - S[u, b]) < 1e-5, f"user {u} pos {j}: {a} vs {b}"
        assert abs(g["scores"][j] - S[u, a]) < 1e-5, f"user {u} score {g['scores'][j]} vs {S[u, a]}"
    t = T[u]
    for k in ks:
        top = mine[:k]
        hits = [r for r, i in enumerate(top) if i in t]
        sums[f"recall@{k}"] += len(hits) / len(t)
        sums[f"precision@{k}"] += len(hits) / k
        sums[f"hit@{k}"] += 1.0 if hits else 0.0
        sums[f"mrr@{k}"] += 1.0 / (hits[0] + 1) if hits else 0.0
        idcg = sum(1 / math.log2(r + 2) for r in range(min(k, len(t))))
        sums[f"ndcg@{k}"] += sum(1 / math.log2(r + 2) for r in hits) / idcg
res = json.load(open(f"rm_{score}.json"))
assert res["n_users"] == len(users) and res["k"] == ks
for key, v in sums.items():
    assert abs(res[key] - v / len(users)) < 1e-6, f"{key}: {res[key]} vs numpy {v / len(users)}"
pu = [json.loads(l) for l in open(f"rpu_{score}.jsonl")]
assert [p["user"] for p in pu] == users
assert abs(np.mean([p["ndcg@20"] for p in pu]) - res["ndcg@20"]) < 1e-6
print("ok", len(users), "users", res)
EOF
  done
  # more users than one output batch (4096) and more entries than one (2^20)
  "$PY" -c "
import numpy as np
r = np.random.default_rng(3)
np.save('bigU.npy', r.standard_normal((5000, 6)).astype(np.float32))
np.save('bigV.npy', r.standard_normal((400, 6)).astype(np.float32))"
  ar-rank -q -U bigU.npy -V bigV.npy -k 300 --no-scores -o big.jsonl.gz
  "$PY" - <<'EOF2' >pybig.log 2>&1 && ok "rank: many users, long lists (batched output)" || bad "rank: many users, long lists" "$(tail -n 3 pybig.log)"
import gzip, json
import numpy as np
U = np.load("bigU.npy").astype(np.float64); V = np.load("bigV.npy").astype(np.float64)
S = U @ V.T
lines = gzip.open("big.jsonl.gz", "rt").read().splitlines()
assert len(lines) == 5000, len(lines)
for u, l in enumerate(lines):
    g = json.loads(l)
    assert g["user"] == u and len(g["items"]) == 300
    mine = np.lexsort((np.arange(400), -S[u]))[:300]
    bad = [j for j, (a, b) in enumerate(zip(g["items"], mine)) if a != b and abs(S[u, a] - S[u, b]) > 1e-5]
    assert not bad, f"user {u} positions {bad[:5]}"
EOF2
  # the lists differ between the two scores (the test would be vacuous otherwise)
  if cmp -s rr_dot.jsonl rr_cosine.jsonl; then bad "dot and cosine differ" "identical lists"; else ok "dot and cosine differ"; fi
  # the same thread count and block size give the same bytes; another thread count
  # the same lists (sgemm may round the last bit of a score differently)
  ar-rank -q -U rU.npy -V rV64.npy -x rtrain.npy -x rvalid.npy -u rtest.npy -k 20 --score dot -t 2 --block 37 >rr_again.jsonl
  cmp -s rr_again.jsonl rr_dot.jsonl && ok "rank output deterministic" || bad "rank output deterministic" "two runs differ"
  ar-rank -q -U rU.npy -V rV64.npy -x rtrain.npy -x rvalid.npy -u rtest.npy -k 20 -t 1 --no-scores >rr_t1.jsonl
  ar-rank -q -U rU.npy -V rV64.npy -x rtrain.npy -x rvalid.npy -u rtest.npy -k 20 -t 2 --no-scores >rr_t2.jsonl
  if [ -s rr_t1.jsonl ] && cmp -s rr_t1.jsonl rr_t2.jsonl; then ok "rank lists independent of threads/block"; else bad "rank lists independent of threads/block" "differ"; fi
fi

# ---- --help examples ----
mkdir -p ex
cp U.npy V.npy Q.npy train.npy test.npy r3.jsonl ex/
ar-rank -q -U U.npy -V V.npy -k 3 >ex/top3.jsonl
cp r3.jsonl ex/ranked.jsonl
if [ -f ds/dataset.json ]; then cp -r ds ds_U.npy ds_V.npy ex/; fi
run_help_examples ar-rank ex
run_help_examples ar-metrics ex
for tool in ar-rank ar-metrics; do
  "$BIN/$tool" --help >h.txt
  if grep -q "^Usage:" h.txt && grep -q "^Exit codes:" h.txt && grep -q '^  \$ ' h.txt; then ok "$tool --help layout"; else bad "$tool --help layout" "missing Usage/Exit codes/Examples"; fi
done
