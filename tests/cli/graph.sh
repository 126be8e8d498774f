# CLI tests of ar-graph: scipy reads graph.npz and it equals a numpy/scipy construction
# of D^-1/2 A D^-1/2 and D_u^-1 R from the pairs; bad input; help examples.
. "$(dirname "$0")/../cli_lib.sh"

t "ar-graph --version" ar-graph --version
t "ar-graph --help" ar-graph --help
grep -q '^ar-graph ' "$TMP/.out" || bad "ar-graph --help content" "no one-line purpose"

# ---- a .npy written with printf (no python needed): mknpy FILE DESCR SHAPE [DATA-printf-format]
mknpy() {
  local f=$1 descr=$2 shape=$3 body=${4:-}
  local dict="{'descr': '$descr', 'fortran_order': False, 'shape': $shape, }"
  local len=$(( ${#dict} + 1 )) pad
  pad=$(( (64 - (10 + len) % 64) % 64 ))
  local hl=$(( len + pad ))
  {
    printf '\x93NUMPY\x01\x00'
    printf "\\x$(printf %02x $((hl & 255)))\\x$(printf %02x $((hl >> 8)))"
    printf '%s' "$dict"
    printf '%*s' "$pad" ''
    printf '\n'
    [ -n "$body" ] && printf "$body"
  } >"$f"
}
# int32 (user, item) rows: 3 users, 4 items; item 3 and user 2 have no pair; (0,1) twice.
mknpy "$TMP/small.npy" '<i4' '(4, 2)' '\0\0\0\0\1\0\0\0\0\0\0\0\1\0\0\0\1\0\0\0\0\0\0\0\0\0\0\0\2\0\0\0'
t "ar-graph small --train" ar-graph --train "$TMP/small.npy" --users 3 --items 4 -o "$TMP/small.npz"
grep -q '7 nodes' "$TMP/.err" && grep -q '3 edges' "$TMP/.err" && grep -q '1 duplicates merged' "$TMP/.err" \
  && grep -q 'zero-degree: 1 users, 1 items' "$TMP/.err" \
  && ok "ar-graph statistics line" || bad "ar-graph statistics line" "$(cat "$TMP/.err")"
t "ar-graph -q is silent" ar-graph -q --train "$TMP/small.npy" --users 3 --items 4 -o "$TMP/small_q.npz"
[ -s "$TMP/.err" ] && bad "ar-graph -q is silent (stderr)" "$(cat "$TMP/.err")" || ok "ar-graph -q is silent (stderr)"

# ---- bad input (exit 1), usage (2), I/O (3); failures leave no output file
mknpy "$TMP/empty.npy" '<i4' '(0, 2)'
t_exit 1 "ar-graph empty training set" ar-graph --train "$TMP/empty.npy" --users 3 --items 4 -o "$TMP/bad.npz"
grep -q 'empty' "$TMP/.err" || bad "ar-graph empty message" "$(cat "$TMP/.err")"
mknpy "$TMP/float.npy" '<f4' '(2, 2)' '\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0'
t_exit 1 "ar-graph bad dtype" ar-graph --train "$TMP/float.npy" --users 3 --items 4 -o "$TMP/bad.npz"
grep -q 'float32' "$TMP/.err" || bad "ar-graph dtype message" "$(cat "$TMP/.err")"
mknpy "$TMP/three.npy" '<i4' '(1, 3)' '\0\0\0\0\0\0\0\0\0\0\0\0'
t_exit 1 "ar-graph bad shape" ar-graph --train "$TMP/three.npy" --users 3 --items 4 -o "$TMP/bad.npz"
t_exit 1 "ar-graph user out of range" ar-graph --train "$TMP/small.npy" --users 1 --items 4 -o "$TMP/bad.npz"
grep -q 'small.npy: row 2: user 1 out of range' "$TMP/.err" \
  && ok "ar-graph out-of-range message names file and row" || bad "ar-graph out-of-range message" "$(cat "$TMP/.err")"
t_exit 1 "ar-graph item out of range" ar-graph --train "$TMP/small.npy" --users 3 --items 2 -o "$TMP/bad.npz"
printf 'not an npy\n' >"$TMP/text.npy"
t_exit 1 "ar-graph not a .npy" ar-graph --train "$TMP/text.npy" --users 3 --items 4 -o "$TMP/bad.npz"
[ -e "$TMP/bad.npz" ] && bad "ar-graph no partial output" "bad.npz exists" || ok "ar-graph no partial output"
ls "$TMP" | grep -q '\.tmp' && bad "ar-graph no temp files left" "$(ls "$TMP")" || ok "ar-graph no temp files left"
t_exit 3 "ar-graph missing input" ar-graph --train "$TMP/nope.npy" --users 3 --items 4 -o "$TMP/bad.npz"
t_exit 3 "ar-graph unwritable output" ar-graph --train "$TMP/small.npy" --users 3 --items 4 -o "$TMP/no/such/dir/g.npz"
t_exit 2 "ar-graph no input" ar-graph -o "$TMP/bad.npz"
t_exit 2 "ar-graph --data and --train" ar-graph --data "$TMP" --train "$TMP/small.npy" --users 3 --items 4
t_exit 2 "ar-graph --train without counts" ar-graph --train "$TMP/small.npy" --users 3
t_exit 2 "ar-graph bad --users" ar-graph --train "$TMP/small.npy" --users 3x --items 4
t_exit 2 "ar-graph negative --items" ar-graph --train "$TMP/small.npy" --users 3 --items -4
t_exit 2 "ar-graph unknown option" ar-graph --frobnicate
grep -q "Try 'ar-graph --help'" "$TMP/.err" || bad "ar-graph usage hint" "$(cat "$TMP/.err")"

# ---- scipy checks
check_py() {  # train.npy users items graph.npz
  "$PY" - "$@" <<'EOF'
import sys, numpy as np, scipy.sparse as sp
train, U, I, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
p = np.load(train)
R = sp.coo_matrix((np.ones(len(p)), (p[:, 0], p[:, 1])), shape=(U, I)).tocsr()
R.sum_duplicates(); R.data[:] = 1.0
A = sp.bmat([[None, R], [R.T, None]], format="csr")
deg = np.asarray(A.sum(axis=1)).ravel()
with np.errstate(divide="ignore"):
    dis = np.power(deg, -0.5)
dis[np.isinf(dis)] = 0.0
want = (sp.diags(dis) @ A @ sp.diags(dis)).tocsr(); want.sort_indices()
got = sp.load_npz(path)
assert got.format == "csr" and got.shape == (U + I, U + I), (got.format, got.shape)
assert got.dtype == np.float32 and got.indices.dtype == np.int32, (got.dtype, got.indices.dtype)
assert got.has_sorted_indices, "indices not sorted"
assert got.nnz == want.nnz, (got.nnz, want.nnz)
assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices), "pattern differs"
assert np.allclose(got.data, want.data, rtol=1e-6, atol=0), abs(got.data - want.data).max()
assert (got - got.T).count_nonzero() == 0, "not symmetric"
assert got.diagonal().sum() == 0, "self loops"
z = np.load(path)
assert int(z["n_users"]) == U and int(z["n_items"]) == I
P = sp.csr_matrix((z["mean_data"], z["mean_indices"], z["mean_indptr"]), shape=tuple(z["mean_shape"]))
cnt = np.asarray(R.sum(axis=1)).ravel()
with np.errstate(divide="ignore"):
    inv = np.where(cnt > 0, 1.0 / cnt, 0.0)
wantP = (sp.diags(inv) @ R).tocsr(); wantP.sort_indices(); wantP.eliminate_zeros()
assert P.shape == (U, I) and P.nnz == wantP.nnz, (P.shape, P.nnz, wantP.nnz)
assert np.array_equal(P.indptr, wantP.indptr) and np.array_equal(P.indices, wantP.indices)
assert np.allclose(P.data, wantP.data, rtol=1e-6, atol=0)
# spec 2.2 propagation with the stored operator equals the dense formula on a few rows
E = np.random.default_rng(0).standard_normal((U + I, 8)).astype(np.float32)
acc, X = E / 4, E
for _ in range(3):
    X = got @ X; acc = acc + X / 4
Ad = want.toarray() if U + I <= 2000 else None
if Ad is not None:
    ref = (E + Ad @ E + Ad @ (Ad @ E) + Ad @ (Ad @ (Ad @ E))) / 4
    assert np.allclose(acc, ref, atol=1e-5), abs(acc - ref).max()
print("ok", U, I, got.nnz)
EOF
}

if need_py "ar-graph scipy checks"; then
  "$PY" - "$TMP" <<'EOF'
import sys, numpy as np
rng = np.random.default_rng(7)
U, I = 300, 200
u = rng.integers(0, U - 5, 4000)            # users 295..299 have no pair
i = np.minimum(rng.integers(0, I - 12, 4000), rng.integers(0, I - 12, 4000))  # items 188..199 cold
p = np.stack([u, i], 1).astype(np.int32)
p = np.concatenate([p, p[:300]])            # duplicates
np.save(sys.argv[1] + "/rand.npy", p)
np.save(sys.argv[1] + "/rand64.npy", p.astype(np.int64))
EOF
  t "ar-graph random --train" ar-graph --train "$TMP/rand.npy" --users 300 --items 200 -o "$TMP/rand.npz"
  t "scipy: adjacency and mean operator equal the numpy construction" check_py "$TMP/rand.npy" 300 200 "$TMP/rand.npz"
  t "ar-graph --compress, int64 pairs" ar-graph --compress --train "$TMP/rand64.npy" --users 300 --items 200 -o "$TMP/randz.npz"
  t "scipy: compressed graph.npz" check_py "$TMP/rand.npy" 300 200 "$TMP/randz.npz"
  t "ar-graph small graph" check_py "$TMP/small.npy" 3 4 "$TMP/small.npz"

  # --data: a dataset directory from ar-split; counts from dataset.json
  printf 'u1 a b c d e\nu2 b c d e f g\nu3 a c e g h\nu4 h g f e d\n' >"$TMP/seq.txt"
  if ar-split -q --format seq -o "$TMP/ds" "$TMP/seq.txt" 2>"$TMP/.err"; then
    t "ar-graph --data" ar-graph --data "$TMP/ds"
    [ -f "$TMP/ds/graph.npz" ] && ok "ar-graph --data default output DIR/graph.npz" \
      || bad "ar-graph --data default output DIR/graph.npz" "missing"
    nu=$(wc -l <"$TMP/ds/users.txt"); ni=$(wc -l <"$TMP/ds/items.txt")
    t "scipy: --data graph" check_py "$TMP/ds/train.npy" "$nu" "$ni" "$TMP/ds/graph.npz"
  else
    bad "ar-split for --data test" "$(cat "$TMP/.err")"
  fi

  # Real data: Amazon Beauty 5-core (22,363 users, 12,101 items), ROU split.
  raw=$DATA/beauty/raw/user_sequence.txt
  if [ -f "$raw" ]; then
    if ar-split -q --format seq -o "$TMP/beauty" "$raw" 2>"$TMP/.err"; then
      t "ar-graph Beauty" ar-graph -q --data "$TMP/beauty" -o "$TMP/beauty.npz"
      t "scipy: Beauty graph" check_py "$TMP/beauty/train.npy" 22363 12101 "$TMP/beauty.npz"
    else
      bad "ar-split Beauty" "$(head -c 300 "$TMP/.err")"
    fi
  else
    skip "ar-graph Beauty" "no $raw"
  fi
fi

# ---- the --help examples
mkdir -p "$TMP/ex"
run_help_examples ar-graph "$TMP/ex"
