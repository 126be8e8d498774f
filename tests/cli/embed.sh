#!/usr/bin/env bash
# ar-embed-import: round trips for every input format (fixtures written by numpy and
# Python's json/struct), alignment by id and by row, --missing, --normalize, every
# bad-input case (exit code, message naming file and line/row, no output left), the
# real Beauty vectors, and the --help examples.
source "$(dirname "$0")/../cli_lib.sh"
E=$BIN/ar-embed-import
if [ ! -x "$E" ]; then bad "embed setup" "$E is not built"; exit 0; fi
cd "$TMP" || exit 1

# expect_fail CODE NAME PATTERN CMD... : exit CODE, last stderr line 'ar-embed-import: ...' matching PATTERN, no out.npy
expect_fail() {
  local code=$1 name=$2 pat=$3; shift 3
  rm -f out.npy out.npy.json
  "$@" >.out 2>.err; local rc=$?
  local last; last=$(grep -v "^Try '" .err | tail -n 1)  # log lines may come before the error
  if [ "$rc" -ne "$code" ]; then bad "$name" "expected exit $code, got $rc: $(head -c 300 .err)"
  elif ! grep -q -E -- "$pat" <<<"$last"; then bad "$name" "message does not match /$pat/: $(head -c 300 .err)"
  elif [[ "$last" != "ar-embed-import: "* ]]; then
    bad "$name" "expected an 'ar-embed-import: ' error line: $(head -c 300 .err)"
  elif [ -e out.npy ] || [ -e out.npy.json ] || ls out.npy.tmp.* >/dev/null 2>&1; then bad "$name" "output left behind"
  else ok "$name"; fi
}

# ---------------------------------------------------------------- usage (no Python needed)
printf 'a\nb\n' >two.txt
printf 'a\t1 2\nb\t3 4\n' >two.tsv
t_exit 2 "embed usage: no output" "$E" --items two.txt two.tsv
t_exit 2 "embed usage: no items" "$E" two.tsv -o out.npy
t_exit 2 "embed usage: no input" "$E" --items two.txt -o out.npy
t_exit 2 "embed usage: bad --missing" "$E" --items two.txt two.tsv --missing drop -o out.npy
t_exit 2 "embed usage: bad --format" "$E" --items two.txt two.tsv --format parquet -o out.npy
t_exit 2 "embed usage: --ids with a keyed format" "$E" --items two.txt two.tsv --ids two.txt -o out.npy
expect_fail 2 "embed unknown extension names --format" "cannot tell the format of 'two.dat'.*--format npy\|npz" \
  bash -c "cp two.tsv two.dat && exec $E --items two.txt two.dat -o out.npy"
expect_fail 3 "embed missing input file" "cannot open 'nope.tsv'" "$E" --items two.txt nope.tsv -o out.npy
expect_fail 3 "embed missing items file" "nope.txt" "$E" --items nope.txt two.tsv -o out.npy
t "embed --version" "$E" --version
grep -q "^ar-embed-import 0" .out && ok "embed --version text" || bad "embed --version text" "$(cat .out)"
t "embed tsv smoke" "$E" -q --items two.txt two.tsv -o out.npy
[ -s out.npy ] && [ -s out.npy.json ] && [ ! -s .err ] && ok "embed -q output and sidecar" || bad "embed -q output and sidecar" "$(cat .err)"
# sha256 of the source in the sidecar
if command -v sha256sum >/dev/null; then
  h=$(sha256sum two.tsv | cut -c1-64)
  grep -q "\"source_sha256\":[[:space:]]*\"$h\"" out.npy.json && ok "embed sidecar sha256" || bad "embed sidecar sha256" "$(cat out.npy.json)"
fi
# a pipe is read once: no checksum, still imported
if "$E" --items two.txt --format tsv <(cat two.tsv) -o pipe.npy 2>.err && grep -q '"source_sha256":[[:space:]]*null' pipe.npy.json \
   && cmp -s pipe.npy out.npy; then ok "embed from a pipe"; else bad "embed from a pipe" "$(head -c 300 .err)"; fi
t_exit 2 "embed stdin refused" "$E" --items two.txt --format tsv - -o out.npy

# ---------------------------------------------------------------- help examples
mkdir -p ex/data
printf 'i1\ni2\ni3\n' >ex/items.txt
cp ex/items.txt ex/data/items.txt
printf 'i3\t0.5 1.5 -2\ni1\t1 2 3\ni2\t-1 0 0.25\n' >ex/vectors.tsv
printf 'i9\ni2\ni1\n' >ex/ids.txt
printf 'i9\t9 9 9\ni2\t2 2 2\ni1\t1 1 1\n' >ex/all.tsv
(cd ex && "$E" -q --items ids.txt all.tsv -o all.npy && rm all.npy.json)
printf '{"asin": "i1", "emb": [1, 0]}\n{"asin": "i2", "emb": [0, 1]}\n{"asin": "i3", "emb": [1, 1]}\n' >ex/vectors.jsonl
printf '2 3\ni1 0.1 0.2 0.3\ni3 1 2 3\n' >ex/glove.txt
run_help_examples ar-embed-import "$TMP/ex"

need_py "embed numpy round trips" || exit 0

# ---------------------------------------------------------------- fixtures by numpy / json / struct
cat >gen.py <<'EOF'
import gzip, json, struct, sys
import numpy as np
rng = np.random.default_rng(3)
D = 7
src_ids = ["i0", "i1", "zz", "i2", "i3", "i4", "i5"]       # zz is not an item
items = ["i3", "i1", "i5", "i0", "i2", "i4"]                # dataset order differs from the source
M8 = rng.standard_normal((len(src_ids), D))                  # float64 master
M = M8.astype(np.float32)
open("items.txt", "w").write("".join(i + "\n" for i in items))
open("ids.txt", "w").write("".join(i + "\n" for i in src_ids))
def expect(mat):   # rows of mat (in src_ids order) aligned to items
    return np.stack([mat[src_ids.index(i)] for i in items]).astype(np.float32)
exp = {}
# row-ordered
np.save("f4c.npy", M); exp["f4c"] = expect(M)
np.save("f4f.npy", np.asfortranarray(M)); exp["f4f"] = expect(M)
np.save("f8c.npy", M8); exp["f8c"] = expect(M8.astype(np.float32))
np.save("f8f.npy", np.asfortranarray(M8)); exp["f8f"] = expect(M8.astype(np.float32))
np.save("f2c.npy", M.astype(np.float16)); exp["f2c"] = expect(M.astype(np.float16).astype(np.float32))
np.save("f2f.npy", np.asfortranarray(M.astype(np.float16))); exp["f2f"] = expect(M.astype(np.float16).astype(np.float32))
b = __import__("io").BytesIO(); np.save(b, M)
with gzip.open("gz.npy.gz", "wb") as f: f.write(b.getvalue())
exp["gz"] = expect(M)
# in items order, no --ids
inorder = np.stack([M[src_ids.index(i)] for i in items])
np.save("inorder.npy", inorder); exp["inorder"] = inorder
np.savez("one.npz", emb=M); exp["one_npz"] = expect(M)
np.savez_compressed("multi.npz", emb=M, other=np.zeros((2, 2), np.float32)); exp["multi_npz"] = expect(M)
# safetensors by hand: u64 LE header length, JSON header, data
def st(path, tensors, pad=True, meta=True, hdr_override=None, extra=b""):
    header, data = {}, b""
    if meta: header["__metadata__"] = {"format": "pt"}
    for name, (dt, arr, raw) in tensors.items():
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header).encode()
    if hdr_override is not None: h = hdr_override(header)
    if pad: h += b" " * ((8 - len(h) % 8) % 8)
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + data + extra)
bf = (M.view(np.uint32) & 0xFFFF0000).view(np.float32)       # bfloat16 = top 16 bits
bf_raw = (M.view(np.uint32) >> 16).astype("<u2").tobytes()
st("f32.safetensors", {"emb": ("F32", M, M.astype("<f4").tobytes())}); exp["st_f32"] = expect(M)
st("multi.safetensors", {
    "ids": ("I64", np.arange(7), np.arange(7, dtype="<i8").tobytes()),
    "h": ("F16", M, M.astype("<f2").tobytes()),
    "b": ("BF16", M, bf_raw),
    "d": ("F64", M8, M8.astype("<f8").tobytes())})
exp["st_f16"] = expect(M.astype(np.float16).astype(np.float32))
exp["st_bf16"] = expect(bf)
exp["st_f64"] = expect(M8.astype(np.float32))
# bad safetensors
st("bad_len.safetensors", {"emb": ("F32", M, M.tobytes())}, hdr_override=lambda h: json.dumps(h).encode() + b" " * 10**4)
with open("bad_len.safetensors", "r+b") as f: f.write(struct.pack("<Q", 10**7))
def gap(h):
    h["emb"]["data_offsets"] = [4, 4 + 4 * M.size]; return json.dumps(h).encode()
st("bad_gap.safetensors", {"emb": ("F32", M, M.tobytes())}, hdr_override=gap, extra=b"\0\0\0\0")
def short(h):
    h["emb"]["shape"] = [7, 6]; return json.dumps(h).encode()
st("bad_shape.safetensors", {"emb": ("F32", M, M.tobytes())}, hdr_override=short)
st("bad_dtype.safetensors", {"emb": ("I32", M, M.view(np.int32).tobytes())})
# keyed text formats: floats printed so that float32 parses back exactly
fmt = lambda v: [float(x) for x in v]
with open("v.jsonl", "w") as f:
    for i, r in zip(src_ids, M): f.write(json.dumps({"id": i, "embedding": fmt(r)}) + "\n")
    f.write("\n")
exp["jsonl"] = expect(M)
with open("v.json", "w") as f:
    json.dump([{"item": i, "vec": fmt(r)} for i, r in zip(src_ids, M)], f, indent=1)
exp["json_array"] = expect(M)
json.dump({i: fmt(r) for i, r in zip(src_ids, M)}, open("map.json", "w"), indent=2)
exp["json_map"] = expect(M)
# integer ids in JSON, items are numbers as text
open("num_items.txt", "w").write("10\n3\n7\n")
with open("num.jsonl", "w") as f:
    for i, r in zip([3, 7, 10, 11], M[:4]): f.write(json.dumps({"id": i, "embedding": fmt(r)}) + "\n")
exp["jsonl_int"] = np.stack([M[2], M[0], M[1]])
with open("v.vec", "w") as f:
    f.write("%d %d\n" % (len(src_ids), D))
    for i, r in zip(src_ids, M): f.write(i + " " + " ".join("%.9g" % x for x in r) + " \n")
exp["w2v"] = expect(M)
with open("glove.txt", "w") as f:      # GloVe: no header
    for i, r in zip(src_ids, M): f.write(i + " " + " ".join(repr(float(x)) for x in r) + "\n")
exp["glove"] = expect(M)
with open("v.bin", "wb") as f:
    f.write(b"%d %d\n" % (len(src_ids), D))
    for k, (i, r) in enumerate(zip(src_ids, M)):
        f.write(i.encode() + b" " + struct.pack("<%df" % D, *r) + (b"\n" if k % 2 == 0 else b""))
exp["w2v_bin"] = expect(M)
with open("v.tsv", "w") as f:
    f.write("item\tvector\n")
    for i, r in zip(src_ids, M): f.write(i + "\t" + " ".join("%.9g" % x for x in r) + "\n")
exp["tsv"] = expect(M)
with open("v.itememb", "w") as f:
    f.write("item_title:token_seq\titem_id:token\titem_emb:float_seq\n")
    for i, r in zip(src_ids, M): f.write("a title\t" + i + "\t" + " ".join("%.9g" % x for x in r) + "\n")
exp["recbole"] = expect(M)
with open("recbole.txt", "w") as f:
    f.write("iid:token\temb:float_seq\n")
    for i, r in zip(src_ids, M): f.write(i + "\t" + " ".join("%.9g" % x for x in r) + "\n")
exp["recbole_txt"] = expect(M)
# missing items: the source lacks i5 and i0
part = [k for k, i in enumerate(src_ids) if i not in ("i5", "i0")]
with open("part.tsv", "w") as f:
    for k in part: f.write(src_ids[k] + "\t" + " ".join("%.9g" % x for x in M[k]) + "\n")
z = expect(M); z[[items.index("i5"), items.index("i0")]] = 0
exp["missing_zero"] = z
found = [items.index(i) for i in items if i not in ("i5", "i0")]
m = expect(M); mean = m[found].astype(np.float64).mean(0).astype(np.float32)
m[[items.index("i5"), items.index("i0")]] = mean
exp["missing_mean"] = m
nz = z.astype(np.float64); n = np.linalg.norm(nz, axis=1, keepdims=True); n[n == 0] = 1
exp["missing_zero_norm"] = (nz / n).astype(np.float32)
np.savez("expected.npz", **exp)
# bad inputs
Mn = M.copy(); Mn[2, 3] = np.nan; np.save("nan.npy", Mn)
np.save("int.npy", np.zeros((6, 7), np.int32))
np.save("oned.npy", np.zeros(6, np.float32))
np.save("short.npy", M[:5])
EOF
"$PY" gen.py || { bad "embed fixtures" "gen.py failed"; exit 0; }

run() { # name, args... : import into got_<name>.npy
  local name=$1; shift
  if "$E" --items items.txt "$@" -o "got_$name.npy" 2>"err_$name"; then :; else bad "embed $name" "exit $?: $(head -c 300 "err_$name")"; fi
}
run f4c --ids ids.txt f4c.npy
run f4f --ids ids.txt f4f.npy
run f8c --ids ids.txt f8c.npy
run f8f --ids ids.txt f8f.npy
run f2c --ids ids.txt f2c.npy
run f2f --ids ids.txt f2f.npy
run gz --ids ids.txt gz.npy.gz
run inorder inorder.npy
run one_npz --ids ids.txt one.npz
run multi_npz --ids ids.txt multi.npz --name emb
run st_f32 --ids ids.txt f32.safetensors
run st_f16 --ids ids.txt multi.safetensors --name h
run st_bf16 --ids ids.txt multi.safetensors --name b
run st_f64 --ids ids.txt multi.safetensors --name d
run jsonl v.jsonl
run json_array v.json --id-field item --vec-field vec
run json_map map.json
run w2v v.vec
run glove glove.txt --format w2v
run w2v_bin v.bin
run tsv v.tsv
run recbole v.itememb
run recbole_txt recbole.txt
run missing_zero part.tsv --missing zero
run missing_mean part.tsv --missing mean
run missing_zero_norm part.tsv --missing zero --normalize
"$E" --items num_items.txt num.jsonl -o got_jsonl_int.npy 2>err_jsonl_int || bad "embed jsonl_int" "$(cat err_jsonl_int)"
run normalize --ids ids.txt f8c.npy --normalize

cat >check.py <<'EOF'
import glob, json, os
import numpy as np
exp = np.load("expected.npz")
for name in sorted(exp.files):
    p = "got_%s.npy" % name
    if not os.path.exists(p): print("FAIL embed %s: no output" % name); continue
    got = np.load(p)
    want = exp[name]
    if got.dtype != np.float32 or got.shape != want.shape:
        print("FAIL embed %s: %s %s, want float32 %s" % (name, got.dtype, got.shape, want.shape))
    elif not np.array_equal(got, want):
        print("FAIL embed %s: max |diff| %g" % (name, np.abs(got - want).max()))
    else:
        print("PASS embed %s round trip" % name)
# --normalize: unit rows, same directions as the source
g = np.load("got_normalize.npy"); w = exp["f8c"].astype(np.float64)
w = w / np.linalg.norm(w, axis=1, keepdims=True)
ok = np.allclose(np.linalg.norm(g, axis=1), 1, atol=1e-6) and np.allclose(g, w, atol=1e-6)
print("PASS embed --normalize" if ok else "FAIL embed --normalize: rows not unit or wrong direction")
z = np.load("got_missing_zero_norm.npy")
print("PASS embed --normalize keeps zero rows" if (np.linalg.norm(z, axis=1) == 0).sum() == 2 else "FAIL embed --normalize keeps zero rows")
# sidecars: coverage counts
def side(n): return json.load(open("got_%s.npy.json" % n))
s = side("tsv")
ok = (s["found"], s["unknown_ids_ignored"], s["missing_filled"], s["dim"], s["format"], s["n_items"]) == (6, 1, 0, 7, "tsv", 6)
print("PASS embed sidecar counts (unknown id ignored and counted)" if ok else "FAIL embed sidecar counts: %s" % s)
s = side("missing_mean")
ok = (s["found"], s["missing_filled"], s["missing"], s["normalize"]) == (4, 2, "mean", False)
print("PASS embed sidecar --missing mean" if ok else "FAIL embed sidecar --missing mean: %s" % s)
s = side("st_bf16")
ok = s["source_dtype"] == "bfloat16" and s["array"] == "b" and s["aligned_by"] == "ids file"
print("PASS embed sidecar safetensors" if ok else "FAIL embed sidecar safetensors: %s" % s)
s = side("inorder")
print("PASS embed sidecar row order" if s["aligned_by"] == "row order" else "FAIL embed sidecar row order: %s" % s)
EOF
"$PY" check.py
grep -q "rows taken in items order" err_inorder && ok "embed row order is logged" || bad "embed row order is logged" "$(cat err_inorder)"
grep -q "6/6 items covered.*1 source ids not in the dataset ignored" err_tsv && ok "embed coverage log" || bad "embed coverage log" "$(cat err_tsv)"

# ---------------------------------------------------------------- bad inputs
I="--items items.txt"
expect_fail 1 "embed NaN in npy names the row" "nan.npy: row 2: value 4 of 'zz' is NaN" "$E" $I --ids ids.txt nan.npy -o out.npy
expect_fail 1 "embed int npy refused" "int.npy has dtype int32" "$E" $I int.npy -o out.npy
expect_fail 1 "embed 1-D npy refused" "oned.npy has shape \(6\), expected 2-D" "$E" $I oned.npy -o out.npy
expect_fail 1 "embed row count without --ids" "short.npy has 5 rows but items.txt has 6 items; pass --ids" "$E" $I short.npy -o out.npy
expect_fail 1 "embed --ids count differs" "ids.txt has 7 ids but short.npy has 5 rows" "$E" $I --ids ids.txt short.npy -o out.npy
{ head -n 3 ids.txt; echo i1; tail -n 3 ids.txt; } >dup_ids.txt
expect_fail 1 "embed duplicate in --ids names its line" "dup_ids.txt:4: duplicate id 'i1' \(also on line 2\)" "$E" $I --ids dup_ids.txt f4c.npy -o out.npy
expect_fail 1 "embed npz with several arrays lists them" "multi.npz holds 2 arrays; pick one with --name: .*emb.*other" "$E" $I --ids ids.txt multi.npz -o out.npy
expect_fail 1 "embed npz unknown --name" "multi.npz: no array 'x'" "$E" $I --ids ids.txt multi.npz --name x -o out.npy
expect_fail 1 "embed safetensors several tensors" "holds 4 tensors; pick one with --name" "$E" $I --ids ids.txt multi.safetensors -o out.npy
expect_fail 1 "embed safetensors I64 refused" "tensor 'ids' has dtype I64" "$E" $I --ids ids.txt multi.safetensors --name ids -o out.npy
expect_fail 1 "embed safetensors header length" "bad_len.safetensors: safetensors header length 10000000 does not fit" "$E" $I --ids ids.txt bad_len.safetensors -o out.npy
expect_fail 1 "embed safetensors offsets contiguous" "bad_gap.safetensors: tensor 'emb' starts at byte 4, expected 0" "$E" $I --ids ids.txt bad_gap.safetensors -o out.npy
expect_fail 1 "embed safetensors shape vs bytes" "bad_shape.safetensors: tensor 'emb' has 196 data bytes, its shape and dtype need 168" "$E" $I --ids ids.txt bad_shape.safetensors -o out.npy
expect_fail 1 "embed safetensors int dtype" "dtype I32, expected F16, BF16, F32 or F64" "$E" $I --ids ids.txt bad_dtype.safetensors -o out.npy
# text formats: copy a good file and break one line
cp v.tsv bad.tsv; sed -i '4s/ [^ ]*$/ 1e99/' bad.tsv
expect_fail 1 "embed Inf in tsv names the line" "bad.tsv:4: value 7 '1e99' is infinite" "$E" $I bad.tsv -o out.npy
cp v.tsv bad.tsv; sed -i '5s/\t[^ ]* /\tnan /' bad.tsv
expect_fail 1 "embed NaN in tsv names the line" "bad.tsv:5: value 1 'nan' is NaN" "$E" $I bad.tsv -o out.npy
cp v.tsv bad.tsv; sed -i '3s/ [^ ]*$//' bad.tsv
expect_fail 1 "embed ragged tsv" "bad.tsv:3: 6 values, expected 7 \(the dimension of the first vector\)" "$E" $I bad.tsv -o out.npy
cp v.tsv bad.tsv; sed -i '6s/ / 0.5x /' bad.tsv
expect_fail 1 "embed malformed number" "bad.tsv:6: value 2 '0.5x' is not a number" "$E" $I bad.tsv -o out.npy
cp v.tsv bad.tsv; sed -n 3p v.tsv >>bad.tsv
expect_fail 1 "embed duplicate id in tsv" "bad.tsv:9: duplicate id 'i1' \(first on line 3\)" "$E" $I bad.tsv -o out.npy
cp v.tsv bad.tsv; sed -i '2s/\t/ /' bad.tsv
expect_fail 1 "embed tsv line without TAB" "bad.tsv:2: no TAB after the id" "$E" $I bad.tsv -o out.npy
expect_fail 1 "embed missing items listed" "part.tsv: no vector for 2 of 6 items of items.txt \(first: 'i5', 'i0'\); pass --missing zero or --missing mean" "$E" $I part.tsv -o out.npy
printf 'x1\t1 2\nx2\t3 4\n' >other.tsv
expect_fail 1 "embed zero coverage hints at the ids" "none of the 2 ids in other.tsv is an item of items.txt \(source ids look like 'x1', items like 'i3'\)" "$E" $I other.tsv --missing zero -o out.npy
cp v.jsonl bad.jsonl; sed -i '3s/.*/{"id": "zz", "embedding": [1, 2/' bad.jsonl
expect_fail 1 "embed invalid JSON line" "bad.jsonl:3: invalid JSON" "$E" $I bad.jsonl -o out.npy
cp v.jsonl bad.jsonl; sed -i '2s/"embedding"/"emb"/' bad.jsonl
expect_fail 1 "embed JSON field missing" "bad.jsonl:2: field \"embedding\" missing" "$E" $I bad.jsonl -o out.npy
cp v.jsonl bad.jsonl; sed -i '4s/\[[-0-9.e]*,/["a",/' bad.jsonl
expect_fail 1 "embed JSON value not a number" "bad.jsonl:4: \"embedding\" value 1 is not a number" "$E" $I bad.jsonl -o out.npy
cp v.jsonl bad.jsonl; sed -i '2s/"i1"/1.5/' bad.jsonl
expect_fail 1 "embed JSON id not integer" "bad.jsonl:2: field \"id\" is not a string or an integer" "$E" $I bad.jsonl -o out.npy
head -n 5 v.vec >bad.vec
expect_fail 1 "embed w2v count vs header" "bad.vec: header says 7 vectors but the file has 4" "$E" $I bad.vec -o out.npy
cp v.vec bad.vec; sed -i '3s/ [^ ]* $/ /' bad.vec
expect_fail 1 "embed w2v dimension vs header" "bad.vec:3: 6 values, expected 7 \(the header.s dimension\)" "$E" $I bad.vec -o out.npy
head -c 90 v.bin >bad.bin
expect_fail 1 "embed w2v-bin truncated" "bad.bin: word 2 'zz': file ends inside its vector" "$E" $I bad.bin -o out.npy
expect_fail 1 "embed w2v-bin given a text file" "v.vec:1: |header|word 0" "$E" $I v.vec --format w2v-bin -o out.npy
printf 'item_id:token\ttitle:token\n' >bad.itememb
expect_fail 1 "embed recbole header without float_seq" "bad.itememb:1: RecBole header needs" "$E" $I bad.itememb -o out.npy
cp v.itememb bad.itememb; sed -i '3s/\t[^\t]*$//' bad.itememb
expect_fail 1 "embed recbole field count" "bad.itememb:3: 2 fields, the header has 3" "$E" $I bad.itememb -o out.npy
printf 'i3\ni1\ni3\n' >dup_items.txt
expect_fail 1 "embed duplicate item id in items.txt" "dup_items.txt:3: duplicate item id 'i3' \(also on line 1\)" "$E" --items dup_items.txt v.tsv -o out.npy

# ---------------------------------------------------------------- the real Beauty vectors
EMB=$DATA/beauty/emb
if [ ! -f "$EMB/use512.npy" ] || [ ! -f "$DATA/beauty/raw/user_sequence.txt" ]; then
  skip "embed Beauty" "$EMB/use512.npy or user_sequence.txt not found"
  exit 0
fi
mkdir -p beauty
if [ -x "$BIN/ar-split" ] && "$BIN/ar-split" -q --format seq --kcore-user 5 --kcore-item 5 \
     "$DATA/beauty/raw/user_sequence.txt" -o beauty/ds >beauty/split.log 2>&1 && [ -s beauty/ds/items.txt ]; then
  ok "embed Beauty: ar-split made items.txt"
else
  skip "embed Beauty: ar-split" "ar-split unavailable or failed; items.txt made by sorting the distinct ASINs"
  mkdir -p beauty/ds
  awk '{for (i = 2; i <= NF; i++) print $i}' "$DATA/beauty/raw/user_sequence.txt" | LC_ALL=C sort -u >beauty/ds/items.txt
fi
for v in use512 glove100; do
  if "$E" --data beauty/ds --ids "$EMB/ids.txt" "$EMB/$v.npy" -o "beauty/$v.npy" 2>"beauty/$v.err" \
     && grep -q "12101/12101 items covered" "beauty/$v.err"; then ok "embed Beauty $v covers 12101/12101"
  else bad "embed Beauty $v covers 12101/12101" "$(head -c 300 "beauty/$v.err")"; fi
done
"$PY" - "$EMB" beauty <<'EOF'
import sys
import numpy as np
emb, d = sys.argv[1], sys.argv[2]
ids = open(emb + "/ids.txt").read().split("\n")[:-1]
items = open(d + "/ds/items.txt").read().split("\n")[:-1]
row = {a: i for i, a in enumerate(ids)}
for v in ("use512", "glove100"):
    src, out = np.load("%s/%s.npy" % (emb, v)), np.load("%s/%s.npy" % (d, v))
    good = out.shape == (len(items), src.shape[1]) and out.dtype == np.float32 and len(items) == 12101
    # every row, and a few spelled out: the output row of an item equals the source row of its ASIN
    good = good and all(np.array_equal(out[k], src[row[a]]) for k, a in enumerate(items))
    for k in (0, 1, 5000, len(items) - 1):
        good = good and np.array_equal(out[k], src[row[items[k]]])
    print("PASS embed Beauty %s rows match by ASIN" % v if good else "FAIL embed Beauty %s rows match by ASIN" % v)
EOF
