#!/usr/bin/env bash
# CLI tests of ar-split: exact Beauty counts (ROU/RAU), every input format on tiny
# fixtures, the pre-split Baby files, bad inputs (exit code, file:line message,
# nothing written), --help examples, and an independent numpy recomputation.
source "$(dirname "$0")/../cli_lib.sh"

S=$BIN/ar-split
SEQ=$DATA/beauty/raw/user_sequence.txt
BABY=$DATA/baby/raw

# jnum FILE KEY: the first integer value of "KEY" in a dataset.json
jnum() { sed -n "s/.*\"$2\":[[:space:]]*\([0-9][0-9]*\).*/\1/p" "$1" | head -n 1; }
# counts DIR: "users items train valid test"
counts() {
  local j=$1/dataset.json
  echo "$(jnum "$j" n_users) $(jnum "$j" n_items) $(jnum "$j" train) $(jnum "$j" valid) $(jnum "$j" test)"
}
expect_counts() { # name dir "u i tr va te"
  local got; got=$(counts "$2")
  if [ "$got" = "$3" ]; then ok "$1"; else bad "$1" "counts '$got', expected '$3'"; fi
}

t "version" "$S" --version
if "$S" --help | grep -q '^Usage: ar-split' && "$S" --help | grep -q '^Exit codes'; then ok "help"; else bad "help" "no Usage/Exit codes"; fi

# ---- Beauty: exact freerec 5-core counts and split sizes ----
if [ -f "$SEQ" ]; then
  t "beauty ROU runs" "$S" -q --format seq --kcore-user 5 --kcore-item 5 "$SEQ" -o "$TMP/brou"
  expect_counts "beauty ROU counts" "$TMP/brou" "22363 12101 150815 18762 28925"
  t "beauty RAU runs" "$S" -q --format seq --mode RAU --kcore-user 5 --kcore-item 5 "$SEQ" -o "$TMP/brau"
  expect_counts "beauty RAU counts" "$TMP/brau" "22363 12101 143653 25924 28925"
  if [ "$(jnum "$TMP/brou/dataset.json" n_interactions)" = 198502 ] && grep -q '"has_duplicates":[[:space:]]*false' "$TMP/brou/dataset.json"; then
    ok "beauty interactions and no duplicates"; else bad "beauty interactions and no duplicates" "$(head -c 300 "$TMP/brou/dataset.json")"; fi
  sha=$(sha256sum "$SEQ" | cut -d' ' -f1)
  if grep -q "\"sha256\":[[:space:]]*\"$sha\"" "$TMP/brou/dataset.json"; then ok "beauty sha256 recorded"; else bad "beauty sha256 recorded" "no $sha"; fi
  if [ "$(wc -l <"$TMP/brou/users.txt")" = 22363 ] && [ "$(wc -l <"$TMP/brou/items.txt")" = 12101 ] \
     && LC_ALL=C sort -c "$TMP/brou/users.txt" && LC_ALL=C sort -c "$TMP/brou/items.txt"; then
    ok "beauty id files sorted by bytes"; else bad "beauty id files sorted by bytes" "line counts or order"; fi
  # the summary line on stderr
  "$S" --format seq --kcore-user 5 --kcore-item 5 "$SEQ" -o "$TMP/bsum" 2>"$TMP/sum.err" >/dev/null
  if grep -q '22363 users, 12101 items, 198502 interactions; train/valid/test 150815 / 18762 / 28925' "$TMP/sum.err" && [ "$(wc -l <"$TMP/sum.err")" = 1 ]; then
    ok "summary line"; else bad "summary line" "$(cat "$TMP/sum.err")"; fi
  "$S" -q --format seq --kcore-user 5 --kcore-item 5 "$SEQ" -o "$TMP/bq" 2>"$TMP/q.err"
  if [ ! -s "$TMP/q.err" ]; then ok "quiet"; else bad "quiet" "stderr: $(cat "$TMP/q.err")"; fi
  # LOU on Beauty: every user has >= 5 rows, so exactly one valid and one test row each
  t "beauty LOU runs" "$S" -q --format seq --mode LOU "$SEQ" -o "$TMP/blou"
  expect_counts "beauty LOU counts" "$TMP/blou" "22363 12101 153776 22363 22363"
  # --force replaces a dataset directory
  t "force replaces" "$S" -q --format seq --mode RAU --force "$SEQ" -o "$TMP/brou"
  expect_counts "force result" "$TMP/brou" "22363 12101 143653 25924 28925"
  # gzip input gives the same arrays
  gzip -c "$SEQ" >"$TMP/seq.txt.gz"
  t "beauty gz runs" "$S" -q --format seq --mode RAU "$TMP/seq.txt.gz" -o "$TMP/bgz"
  if cmp -s "$TMP/bgz/train.npy" "$TMP/brau/train.npy" && cmp -s "$TMP/bgz/test.npy" "$TMP/brau/test.npy"; then
    ok "gz input same split"; else bad "gz input same split" "arrays differ"; fi
else
  skip "beauty" "$SEQ not found"
fi

# ---- independent recomputation of the ROU split with numpy ----
if need_py "numpy ROU recomputation" && [ -f "$SEQ" ]; then
  cat >"$TMP/rou.py" <<'EOF'
import sys, numpy as np
seq, out = sys.argv[1], sys.argv[2]
rows = []  # (user, item, position) in file order
for line in open(seq, 'rb'):
    tok = line.split()
    if tok:
        rows += [(tok[0], it, p) for p, it in enumerate(tok[1:])]
while True:  # iterative 5/5 k-core, user pass then item pass
    n0 = len(rows)
    cu = {}
    for u, i, p in rows: cu[u] = cu.get(u, 0) + 1
    rows = [r for r in rows if cu[r[0]] >= 5]
    ci = {}
    for u, i, p in rows: ci[i] = ci.get(i, 0) + 1
    rows = [r for r in rows if ci[r[1]] >= 5]
    if len(rows) == n0: break
users = sorted({r[0] for r in rows}); items = sorted({r[1] for r in rows})
um = {u: k for k, u in enumerate(users)}; im = {i: k for k, i in enumerate(items)}
by = {}
for u, i, p in rows: by.setdefault(um[u], []).append((p, im[i]))
parts = {'train': [], 'valid': [], 'test': []}
for u in sorted(by):
    seq_u = [i for p, i in sorted(by[u], key=lambda x: x[0])]
    n = len(seq_u)
    l = max(8 * n // 10, 1); r = max(9 * n // 10, l)
    parts['train'] += [(u, i) for i in seq_u[:l]]
    parts['valid'] += [(u, i) for i in seq_u[l:r]]
    parts['test'] += [(u, i) for i in seq_u[r:]]
bad = 0
for k, v in parts.items():
    want = np.array(v, dtype=np.int32).reshape(-1, 2)
    got = np.load('%s/%s.npy' % (out, k))
    if got.dtype != np.int32 or got.shape != want.shape or not np.array_equal(got, want):
        print('mismatch in %s: got %s %s, want %s' % (k, got.dtype, got.shape, want.shape)); bad = 1
if [l.rstrip('\n').encode() for l in open(out + '/users.txt')] != users: print('users.txt differs'); bad = 1
if [l.rstrip('\n').encode() for l in open(out + '/items.txt')] != items: print('items.txt differs'); bad = 1
sys.exit(bad)
EOF
  "$S" -q --format seq --kcore-user 5 --kcore-item 5 "$SEQ" -o "$TMP/npchk" 2>/dev/null
  if "$PY" "$TMP/rou.py" "$SEQ" "$TMP/npchk" >"$TMP/py.out" 2>&1; then ok "numpy ROU recomputation"; else bad "numpy ROU recomputation" "$(head -c 300 "$TMP/py.out")"; fi
fi

# ---- pre-split: Baby (MMRec JSON) ----
if [ -d "$BABY" ]; then
  t "baby mmrec runs" "$S" -q --format mmrec "$BABY" -o "$TMP/baby"
  expect_counts "baby mmrec counts" "$TMP/baby" "19445 7050 119674 20559 20559"
  if grep -q '"presplit":[[:space:]]*true' "$TMP/baby/dataset.json" && [ "$(sed -n 1p "$TMP/baby/users.txt")" = A00097001C4CLB27DQV4U ] \
     && [ "$(sed -n 1p "$TMP/baby/items.txt")" = 097293751X ]; then ok "baby ids from maps"; else bad "baby ids from maps" "presplit flag or first ids"; fi
  t "baby auto-detect" "$S" -q "$BABY" -o "$TMP/baby2"
  if cmp -s "$TMP/baby/train.npy" "$TMP/baby2/train.npy"; then ok "baby auto = mmrec"; else bad "baby auto = mmrec" "differs"; fi
  if need_py "baby train.json order kept"; then
    "$PY" - "$BABY" "$TMP/baby" >"$TMP/py.out" 2>&1 <<'EOF'
import sys, json, numpy as np
src, out = sys.argv[1], sys.argv[2]
for f, k in (('train', 'train'), ('val', 'valid'), ('test', 'test')):
    d = json.load(open('%s/%s.json' % (src, f)))
    want = np.array([(int(u), i) for u in sorted(d, key=int) for i in d[u]], dtype=np.int32).reshape(-1, 2)
    got = np.load('%s/%s.npy' % (out, k))
    assert np.array_equal(got, want), k
EOF
    if [ $? -eq 0 ]; then ok "baby train.json order kept"; else bad "baby train.json order kept" "$(tail -c 300 "$TMP/py.out")"; fi
  fi
else
  skip "baby" "$BABY not found"
fi

# ---- tiny fixtures, one per format ----
F=$TMP/fx; mkdir -p "$F"
# amazon: u1 has a 2-star row (dropped by --min-rating 3), ids sorted by bytes (B before a)
cat >"$F/rev.json" <<'EOF'
{"reviewerID": "u2", "asin": "a", "overall": 5.0, "unixReviewTime": 300, "summary": "x"}
{"reviewerID": "u1", "asin": "B", "overall": 4.0, "unixReviewTime": 200}
{"reviewerID": "u1", "asin": "a", "overall": 2.0, "unixReviewTime": 100}
{"reviewerID": "u2", "asin": "B", "overall": 3.0, "unixReviewTime": 100}

{"reviewerID": "u1", "asin": "c", "overall": 5.0, "unixReviewTime": 50}
EOF
gzip -c "$F/rev.json" >"$F/rev.json.gz"
t "amazon gz runs" "$S" -q --format amazon --min-rating 3 "$F/rev.json.gz" -o "$TMP/am"
expect_counts "amazon counts" "$TMP/am" "2 3 2 0 2"
if [ "$(tr '\n' ' ' <"$TMP/am/items.txt")" = "B a c " ]; then ok "amazon byte-order items"; else bad "amazon byte-order items" "$(cat "$TMP/am/items.txt")"; fi
sha=$(sha256sum "$F/rev.json.gz" | cut -d' ' -f1)
if grep -q "$sha" "$TMP/am/dataset.json"; then ok "sha256 of raw gz bytes"; else bad "sha256 of raw gz bytes" "missing"; fi
t "amazon auto-detect" "$S" -q "$F/rev.json" -o "$TMP/am2"
expect_counts "amazon all ratings" "$TMP/am2" "2 3 3 0 2"

# recbole: custom field names, an extra column
printf 'uid:token\tiid:token\tstars:float\tts:float\tnote:token_seq\nx\ti1\t5\t2\ta b\nx\ti2\t1\t1\tc\ny\ti1\t4\t9\t\n' >"$F/r.inter"
t "recbole runs" "$S" -q --user-field uid --item-field iid --rating-field stars --time-field ts "$F/r.inter" -o "$TMP/rb"
expect_counts "recbole counts" "$TMP/rb" "2 2 2 0 1"
t_exit 1 "recbole default fields absent" "$S" -q "$F/r.inter" -o "$TMP/rb2"

# tsv: chosen columns, time ties keep file order
printf 'i1\tu\t5\t7\ni2\tu\t5\t7\ni3\tu\t5\t3\ni4\tu\t5\t8\ni5\tu\t5\t9\n' >"$F/t.tsv"
t "tsv runs" "$S" -q --format tsv --cols 2,1,3,4 "$F/t.tsv" -o "$TMP/tsv"
expect_counts "tsv counts" "$TMP/tsv" "1 5 4 0 1"
if need_py "tsv tie order"; then
  if "$PY" -c "import numpy as np,sys; a=np.load(sys.argv[1]); b=np.load(sys.argv[2]); sys.exit(0 if a[:,1].tolist()==[2,0,1,3] and b[:,1].tolist()==[4] else 1)" \
      "$TMP/tsv/train.npy" "$TMP/tsv/test.npy"; then ok "tsv tie order"; else bad "tsv tie order" "train items not [i3 i1 i2 i4]"; fi
fi

# csv: header names, quoted field with a comma, no time column (file order)
printf 'who,what,stars\n"u,1",i1,5\n"u,1","i2",4\nu2,i1,3\n' >"$F/r.csv"
t "csv runs" "$S" -q --format csv --header --cols who,what,stars --min-rating 4 "$F/r.csv" -o "$TMP/csv"
expect_counts "csv counts" "$TMP/csv" "1 2 1 0 1"
if [ "$(cat "$TMP/csv/users.txt")" = "u,1" ]; then ok "csv quoted id"; else bad "csv quoted id" "$(cat "$TMP/csv/users.txt")"; fi

# seq
printf 'u1 a b c d e\nu2 b c d e a f\n' >"$F/s.txt"
t "seq runs" "$S" -q --format seq -o "$TMP/seq" "$F/s.txt"
expect_counts "seq counts" "$TMP/seq" "2 6 8 1 2"

# lgcn: directory with cf_data/, and the three files given explicitly
mkdir -p "$F/lg/cf_data"
printf '0 1 2 3\n2 0 4\n' >"$F/lg/cf_data/train.txt"
printf '0 4\n' >"$F/lg/cf_data/valid.txt"
printf '2 1\n0\n' >"$F/lg/cf_data/test.txt"
t "lgcn dir runs" "$S" -q --format lgcn "$F/lg" -o "$TMP/lg"
expect_counts "lgcn counts" "$TMP/lg" "3 5 5 1 1"
if [ "$(tr '\n' ' ' <"$TMP/lg/users.txt")" = "0 1 2 " ]; then ok "lgcn ids kept"; else bad "lgcn ids kept" "$(cat "$TMP/lg/users.txt")"; fi
t "lgcn files runs" "$S" -q --train "$F/lg/cf_data/train.txt" --valid "$F/lg/cf_data/valid.txt" --test "$F/lg/cf_data/test.txt" -o "$TMP/lg2"
if cmp -s "$TMP/lg/train.npy" "$TMP/lg2/train.npy"; then ok "lgcn files = dir"; else bad "lgcn files = dir" "differs"; fi

# mmrec tiny with maps (user order in the JSON is not sorted: grouped on output)
mkdir -p "$F/mm"
printf '{"1": [2, 0], "0": [1]}' >"$F/mm/train.json"
printf '{"0": [2]}' >"$F/mm/val.json"
printf '{"1": [1], "0": [0]}' >"$F/mm/test.json"
printf '{"Ub": 1, "Ua": 0}' >"$F/mm/user2id.json"
printf '{"x": 0, "y": 1, "z": 2, "w": 3}' >"$F/mm/item2id.json"
t "mmrec tiny runs" "$S" -q --format mmrec "$F/mm" -o "$TMP/mm"
expect_counts "mmrec tiny counts" "$TMP/mm" "2 4 3 1 2"
if [ "$(tr '\n' ' ' <"$TMP/mm/items.txt")" = "x y z w " ]; then ok "mmrec item map"; else bad "mmrec item map" "$(cat "$TMP/mm/items.txt")"; fi
if need_py "mmrec grouped in given order"; then
  if "$PY" -c "import numpy as np,sys; a=np.load(sys.argv[1]); sys.exit(0 if a.tolist()==[[0,1],[1,2],[1,0]] else 1)" "$TMP/mm/train.npy"; then
    ok "mmrec grouped in given order"; else bad "mmrec grouped in given order" "train.npy rows"; fi
fi

# ---- bad inputs: exit code, one line "ar-split: FILE:LINE: ...", nothing written ----
bad_case() { # name code regex cmd... (writes to $TMP/bad)
  local name=$1 code=$2 re=$3; shift 3
  rm -rf "$TMP/bad"
  "$@" -o "$TMP/bad" >"$TMP/.out" 2>"$TMP/.err"; local rc=$?
  local first; first=$(head -n 1 "$TMP/.err")
  if [ "$rc" -ne "$code" ]; then bad "$name" "exit $rc, expected $code: $first"
  elif ! printf '%s\n' "$first" | grep -Eq "^ar-split: $re"; then bad "$name" "message '$first' does not match '$re'"
  elif [ "$code" -ne 2 ] && [ "$(wc -l <"$TMP/.err")" -ne 1 ]; then bad "$name" "more than one stderr line"
  elif [ -e "$TMP/bad" ] || compgen -G "$TMP/bad.tmp.*" >/dev/null; then bad "$name" "output left behind"
  else ok "$name"; fi
}
printf '{"reviewerID": "u1", "asin": "a", "overall": 5, "unixReviewTime": 1}\n{"reviewerID": "u1", "overall": 5, "unixReviewTime": 2}\n' >"$F/miss.json"
bad_case "bad: amazon missing field" 1 "[^ ]*miss.json:2: field \"asin\" missing" "$S" --format amazon "$F/miss.json"
printf '{"reviewerID": "u1", "asin": "a", "overall": "five", "unixReviewTime": 1}\n' >"$F/nonnum.json"
bad_case "bad: amazon non-numeric rating" 1 "[^ ]*nonnum.json:1: field \"overall\"" "$S" --format amazon "$F/nonnum.json"
printf '{"reviewerID": "u1", "asin": "a", "overall": 5, "unixReviewTime": 1}\n{"reviewerID": "u1", "asin": "b", "overall": 5, "unixRevi\n' >"$F/garbled.json"
bad_case "bad: amazon garbled line" 1 "[^ ]*garbled.json:2: not a JSON object" "$S" --format amazon "$F/garbled.json"
printf "{'reviewerID': 'u1', 'asin': 'a', 'overall': 5.0, 'unixReviewTime': 1}\n" >"$F/pydict.json"
bad_case "bad: python dict is not JSON" 1 "[^ ]*pydict.json:1: not a JSON object" "$S" --format amazon "$F/pydict.json"
printf '{"reviewerID": "u 1", "asin": "a", "overall": 5, "unixReviewTime": 1}\n' >"$F/space.json"
bad_case "bad: id with space" 1 "[^ ]*space.json:1: user id \"u 1\" contains whitespace" "$S" --format amazon "$F/space.json"
printf '{"reviewerID": "u1", "asin": "a\\tb", "overall": 5, "unixReviewTime": 1}\n' >"$F/tab.json"
bad_case "bad: id with tab" 1 "[^ ]*tab.json:1: item id \"a\\\\tb\" contains whitespace" "$S" --format amazon "$F/tab.json"
printf '{"reviewerID": "u1", "asin": "a\\nb", "overall": 5, "unixReviewTime": 1}\n' >"$F/nl.json"
bad_case "bad: id with newline" 1 "[^ ]*nl.json:1: item id" "$S" --format amazon "$F/nl.json"
printf 'user_id:token\titem_id:token\trating:float\ttimestamp:float\nu\ti\t5\t1\nu\ti\tgood\t2\n' >"$F/rt.inter"
bad_case "bad: recbole non-numeric rating" 1 "[^ ]*rt.inter:3: field \"rating\": \"good\" is not a number" "$S" "$F/rt.inter"
printf 'user_id:token\titem_id:token\trating:float\ttimestamp:float\nu\ti\t5\t2014-01-01\n' >"$F/ts.inter"
bad_case "bad: recbole non-numeric timestamp" 1 "[^ ]*ts.inter:2: field \"timestamp\"" "$S" "$F/ts.inter"
printf 'user_id:token\titem_id:token\nu\ti\tx\n' >"$F/rag.inter"
bad_case "bad: recbole ragged line" 1 "[^ ]*rag.inter:2: 3 fields, the header" "$S" "$F/rag.inter"
printf 'user_id\titem_id\nu\ti\n' >"$F/notype.inter"
bad_case "bad: recbole header without types" 1 "[^ ]*notype.inter:1: not a RecBole .inter header" "$S" "$F/notype.inter"
bad_case "bad: JSON given as recbole" 1 "[^ ]*rev.json:1: not a RecBole .inter header" "$S" --format recbole "$F/rev.json"
printf 'u\ti\nu\ti2\nu\n' >"$F/rag.tsv"
bad_case "bad: tsv ragged line" 1 "[^ ]*rag.tsv:3: 1 fields, line 1 has 2" "$S" --format tsv "$F/rag.tsv"
printf 'u\ti\t5\nu\ti2\tx\n' >"$F/rat.tsv"
bad_case "bad: tsv non-numeric rating" 1 "[^ ]*rat.tsv:2: rating \"x\" is not a number" "$S" --format tsv --cols 1,2,3 "$F/rat.tsv"
bad_case "bad: JSON given as tsv" 1 "[^ ]*rev.json:1: 1 field separated by" "$S" --format tsv "$F/rev.json"
printf 'u,"i\n' >"$F/q.csv"
bad_case "bad: csv unterminated quote" 1 "[^ ]*q.csv:1: badly quoted field" "$S" --format csv "$F/q.csv"
printf 'u1 a b\nu2 a\nu1 c\n' >"$F/dup.txt"
bad_case "bad: seq duplicate user line" 1 "[^ ]*dup.txt:3: user \"u1\" has a second line" "$S" --format seq "$F/dup.txt"
printf 'u1 a b\nu2\n' >"$F/noitems.txt"
bad_case "bad: seq user without items" 1 "[^ ]*noitems.txt:2: user \"u2\" has no items" "$S" --format seq "$F/noitems.txt"
bad_case "bad: JSON given as seq" 1 "[^ ]*rev.json:1: looks like JSON" "$S" --format seq "$F/rev.json"
bad_case "bad: empty after k-core" 1 "[^ ]*s.txt: no interactions left after filtering" "$S" --format seq --kcore-user 10 "$F/s.txt"
bad_case "bad: empty after star filter" 1 "[^ ]*rev.json: no interactions left" "$S" --min-rating 6 "$F/rev.json"
printf '0 1 x\n' >"$F/lgbad.txt"
bad_case "bad: lgcn non-integer id" 1 "[^ ]*lgbad.txt:1: \"x\" is not a non-negative integer" "$S" --train "$F/lgbad.txt" --valid "$F/lg/cf_data/valid.txt" --test "$F/lg/cf_data/test.txt"
mkdir -p "$F/mmbad"; cp "$F/mm/"*.json "$F/mmbad/"; printf '{"0": [1.5]}' >"$F/mmbad/val.json"
bad_case "bad: mmrec non-integer item" 1 "[^ ]*val.json: user \"0\": element 0" "$S" --format mmrec "$F/mmbad"
printf '{"Ua": 0}' >"$F/mmbad/user2id.json"; printf '{"0": [1]}' >"$F/mmbad/val.json"
bad_case "bad: mmrec map too small" 1 "[^ ]*user2id.json: has 1 users" "$S" --format mmrec "$F/mmbad"
printf '\037\213\010\000garbage' >"$F/trunc.json.gz"
bad_case "bad: corrupt gzip" 1 "[^ ]*trunc.json.gz: (corrupt|truncated) gzip" "$S" --format amazon "$F/trunc.json.gz"
bad_case "bad: missing file" 3 "cannot open '[^']*nosuch.txt'" "$S" --format seq "$F/nosuch.txt"
bad_case "bad: unknown mode" 2 "unknown --mode 'XYZ'" "$S" --mode XYZ "$F/s.txt"
bad_case "bad: ratios" 2 "--ratios '8,1'" "$S" --ratios 8,1 --format seq "$F/s.txt"
bad_case "bad: kcore not a number" 2 "--kcore-\*: '5x'" "$S" --kcore-user 5x --format seq "$F/s.txt"
bad_case "bad: undetectable format" 2 "cannot detect the format" "$S" "$F/s.txt"
if grep -q "Try 'ar-split --help'" "$TMP/.err"; then ok "usage error hint"; else bad "usage error hint" "$(cat "$TMP/.err")"; fi
t_exit 2 "bad: no output" "$S" --format seq "$F/s.txt"

# existing output: refused without --force, old content intact after a failed --force run
t_exit 2 "exists refused" "$S" -q --format seq -o "$TMP/seq" "$F/s.txt"
before=$(sha256sum "$TMP/seq/train.npy")
t_exit 1 "failed force run" "$S" -q --force --format seq -o "$TMP/seq" "$F/dup.txt"
if [ "$(sha256sum "$TMP/seq/train.npy")" = "$before" ] && ! compgen -G "$TMP/seq.tmp.*" >/dev/null; then ok "old output intact"; else bad "old output intact" "changed or temp left"; fi
mkdir -p "$TMP/notds"; touch "$TMP/notds/precious"
t_exit 2 "force refuses a non-dataset dir" "$S" -q --force --format seq -o "$TMP/notds" "$F/s.txt"
if [ -f "$TMP/notds/precious" ]; then ok "non-dataset dir untouched"; else bad "non-dataset dir untouched" "file gone"; fi

# ---- the --help examples ----
mkdir -p "$TMP/ex"
run_help_examples ar-split "$TMP/ex"
