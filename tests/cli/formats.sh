#!/usr/bin/env bash
# Interop of lib/npy.c with real numpy/scipy, in both directions:
#  - numpy/scipy write .npy (every dtype, C and Fortran order, big-endian, v1/v2/v3
#    headers, .npy.gz) and .npz (np.savez, np.savez_compressed, scipy.sparse.save_npz,
#    a streamed ZIP with data descriptors); `test_npy dump` must print what numpy sees;
#  - `test_npy write` writes arrays; np.load (without allow_pickle), gzip + np.load and
#    scipy.sparse.load_npz must read them, and our .npy bytes must equal np.save's.
source "$(dirname "$0")/../cli_lib.sh"
TN=$ROOT/${BUILD:-build}/tests/test_npy
if [ ! -x "$TN" ]; then
  bad "formats setup" "$TN is not built (make ${BUILD:-build}/tests/test_npy)"
  exit 0
fi
need_py "formats numpy interop" || exit 0
if ! "$PY" -c 'import scipy.sparse' 2>/dev/null; then
  skip "formats scipy interop" "scipy is not installed for $PY (apt-get install python3-scipy)"
  HAVE_SCIPY=0
else
  HAVE_SCIPY=1
fi
export HAVE_SCIPY

# ---------------------------------------------------------------- numpy -> ours
mkdir -p "$TMP/np"
cat >"$TMP/gen.py" <<'EOF'
import gzip, io, math, os, sys, zipfile
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(7)

def dump(name, a):
    a = np.asarray(a)
    k = a.dtype.kind
    if k == 'b':
        a = a.astype(np.uint8); k = 'u'
    dt = 'str' if k in 'US' else a.dtype.newbyteorder('=').name
    lines = ['%s %s %r' % (name, dt, a.shape)]
    for v in a.reshape(-1):
        if k == 'f':
            x = float(v)
            lines.append('nan' if x != x else '%.9g' % x)
        elif k == 'U':
            lines.append(str(v))
        elif k == 'S':
            lines.append(bytes(v).decode('latin-1'))
        else:
            lines.append(str(int(v)))
    return '\n'.join(lines) + '\n'

def dump_npz(p):
    # members in archive order; like our reader, skip members that are not .npy
    with np.load(p) as z, open(p + '.txt', 'w') as f:
        for m in z.zip.namelist():
            if m.endswith('.npy'):
                f.write(dump(m[:-4], z[m[:-4]]))

def save(fname, a, writer=None):
    p = os.path.join(out, fname)
    if writer is None:
        np.save(p if p.endswith('.npy') else open(p, 'wb'), a)
    else:
        writer(p, a)
    with open(p + '.txt', 'w') as f:
        f.write(dump('array', a))

half = np.array([1.0, -2.0, 65504.0, 2.0 ** -24, -2.0 ** -24, 6.097555e-05, 2.0 ** -14, np.inf, -np.inf, np.nan,
                 -0.0, 0.1, 1 / 3.0, 1000.5], dtype=np.float16)
save('f2.npy', np.concatenate([half, rng.normal(size=50).astype(np.float16)]))
save('f4.npy', rng.normal(size=(6, 5)).astype(np.float32))
save('f8.npy', rng.normal(size=(4, 3, 2)) * 1e10)
save('i4.npy', rng.integers(-2**31, 2**31, size=(7, 2), dtype=np.int32))
save('i8.npy', rng.integers(-2**62, 2**62, size=9, dtype=np.int64))
save('u1.npy', rng.integers(0, 256, size=(2, 2, 2, 3), dtype=np.uint8))
save('b1.npy', np.array([True, False, True, True]))
save('scalar.npy', np.float64(math.pi))
save('empty.npy', np.zeros((0, 5), np.float32))
save('strs.npy', np.array(['a', 'bcd', 'efghi']))
save('bytes.npy', np.array([b'xy', b'z'], dtype='S2'))
save('fortran2.npy', np.asfortranarray(rng.normal(size=(3, 4)).astype(np.float32)))
save('fortran3.npy', np.asfortranarray(np.arange(24, dtype=np.int64).reshape(2, 3, 4) * 1000003))
save('be_f8.npy', rng.normal(size=(3, 3)).astype('>f8'))
save('be_i4.npy', np.arange(-5, 5, dtype='>i4'))
save('be_f2.npy', half.astype('>f2'))
save('be_fortran.npy', np.asfortranarray(np.arange(12, dtype='>i8').reshape(3, 4)))
save('be_str.npy', np.array(['ab', 'cde'], dtype='>U3'))
def w_version(v):
    def w(p, a):
        with open(p, 'wb') as f:
            np.lib.format.write_array(f, a, version=v)
    return w
save('v2.npy', rng.normal(size=(5, 2)).astype(np.float32), w_version((2, 0)))
save('v3.npy', np.arange(10, dtype=np.int32), w_version((3, 0)))
def w_gz(p, a):
    with gzip.open(p, 'wb') as f:
        np.save(f, a)
save('gz.npy.gz', rng.normal(size=(8, 4)).astype(np.float32), w_gz)

def save_npz(fname, arrays, fn):
    p = os.path.join(out, fname)
    fn(p, **arrays)
    dump_npz(p)

arrays = {'W1': rng.normal(size=(30, 20)).astype(np.float32), 'b': np.arange(5, dtype=np.int64),
          'h': half, 'fmt': np.array('csr'), 'm': rng.normal(size=(300, 200))}
save_npz('savez.npz', arrays, np.savez)
save_npz('savez_c.npz', arrays, np.savez_compressed)

# ZIP written to an unseekable stream: data descriptors (flag bit 3), ZIP64 local extras
class Unseekable(io.RawIOBase):
    def __init__(self, f): self.f = f
    def writable(self): return True
    def write(self, b): return self.f.write(b)
for comp, name in ((zipfile.ZIP_STORED, 'stream.npz'), (zipfile.ZIP_DEFLATED, 'stream_c.npz')):
    p = os.path.join(out, name)
    with open(p, 'wb') as raw:
        with zipfile.ZipFile(Unseekable(raw), 'w', compression=comp) as zf:
            for k in ('W1', 'b'):
                with zf.open(k + '.npy', 'w', force_zip64=True) as m:
                    np.lib.format.write_array(m, arrays[k])
            zf.writestr('README.txt', 'not an array')
    with zipfile.ZipFile(p) as zf:
        assert all(i.flag_bits & 8 for i in zf.infolist()), 'expected data descriptors'
    dump_npz(p)

if os.environ.get('HAVE_SCIPY') == '1':
    import scipy.sparse as sp
    m = sp.random(50, 40, density=0.1, format='csr', random_state=3)
    for comp, name in ((False, 'scipy.npz'), (True, 'scipy_c.npz')):
        p = os.path.join(out, name)
        sp.save_npz(p, m, compressed=comp)
        with np.load(p) as z, open(p + '.txt', 'w') as f:
            for k in z.files:
                f.write(dump(k, z[k]))
    sp.save_npz(os.path.join(out, 'scipy_f32.npz'), sp.csr_matrix(m, dtype=np.float32))
    dump_npz(os.path.join(out, 'scipy_f32.npz'))

# bad inputs
np.save(os.path.join(out, 'bad_object.npy'), np.array([{'a': 1}, None], dtype=object), allow_pickle=True)
np.save(os.path.join(out, 'bad_complex.npy'), np.array([1 + 2j], dtype=np.complex64))
with open(os.path.join(out, 'f4.npy'), 'rb') as f:
    good = f.read()
open(os.path.join(out, 'bad_trunc.npy'), 'wb').write(good[:-7])
open(os.path.join(out, 'bad_trail.npy'), 'wb').write(good + b'\0\0\0')
zb = bytearray(open(os.path.join(out, 'savez.npz'), 'rb').read())
with zipfile.ZipFile(os.path.join(out, 'savez.npz')) as zf:
    info = zf.getinfo('b.npy')
    lh = zb[info.header_offset:info.header_offset + 30]
    start = info.header_offset + 30 + int.from_bytes(lh[26:28], 'little') + int.from_bytes(lh[28:30], 'little')
zb[start + info.file_size - 1] ^= 0xff
open(os.path.join(out, 'bad_crc.npz'), 'wb').write(bytes(zb))
EOF
if "$PY" "$TMP/gen.py" "$TMP/np" >"$TMP/gen.out" 2>&1; then
  ok "numpy wrote the test files"
else
  bad "numpy wrote the test files" "$(tail -c 600 "$TMP/gen.out")"
fi

for exp in "$TMP"/np/*.txt; do
  f=${exp%.txt}
  n=$(basename "$f")
  if "$TN" dump "$f" >"$TMP/dump.out" 2>"$TMP/dump.err"; then
    if cmp -s "$TMP/dump.out" "$exp"; then ok "read numpy $n"
    else bad "read numpy $n" "differs from numpy: $(diff "$TMP/dump.out" "$exp" | head -5 | tr '\n' ' ')"; fi
  else
    bad "read numpy $n" "$(head -c 300 "$TMP/dump.err")"
  fi
done

# stdin, plain and gzip
"$TN" dump - <"$TMP/np/f4.npy" >"$TMP/dump.out" 2>"$TMP/dump.err" && cmp -s "$TMP/dump.out" "$TMP/np/f4.npy.txt" \
  && ok "read .npy from stdin" || bad "read .npy from stdin" "$(head -c 300 "$TMP/dump.err")"
"$TN" dump - <"$TMP/np/gz.npy.gz" >"$TMP/dump.out" 2>"$TMP/dump.err" && cmp -s "$TMP/dump.out" "$TMP/np/gz.npy.gz.txt" \
  && ok "read .npy.gz from stdin" || bad "read .npy.gz from stdin" "$(head -c 300 "$TMP/dump.err")"

# bad inputs: exit 1 (data) or 3 (I/O) and one message naming the file and the problem
expect_err() {  # code name file needle
  local code=$1 name=$2 f=$3 needle=$4 rc
  "$TN" dump "$f" >/dev/null 2>"$TMP/err.out"; rc=$?
  if [ "$rc" -ne "$code" ]; then bad "$name" "exit $rc, expected $code: $(head -c 300 "$TMP/err.out")"
  elif ! grep -qF -- "$(basename "$f")" "$TMP/err.out"; then bad "$name" "message does not name the file: $(cat "$TMP/err.out")"
  elif ! grep -qF -- "$needle" "$TMP/err.out"; then bad "$name" "message lacks '$needle': $(cat "$TMP/err.out")"
  else ok "$name"; fi
}
expect_err 1 "refuse numpy object array" "$TMP/np/bad_object.npy" "pickles are not supported"
expect_err 1 "refuse complex dtype" "$TMP/np/bad_complex.npy" "unsupported dtype '<c8'"
expect_err 1 "refuse truncated .npy" "$TMP/np/bad_trunc.npy" "truncated"
expect_err 1 "refuse trailing garbage" "$TMP/np/bad_trail.npy" "trailing garbage"
expect_err 1 "refuse .npz with bad CRC" "$TMP/np/bad_crc.npz" "bad_crc.npz:b.npy: CRC-32 mismatch"
expect_err 3 "missing file is an I/O error" "$TMP/np/nope.npy" "cannot open"

# ---------------------------------------------------------------- ours -> numpy
mkdir -p "$TMP/ours"
t "test_npy write" "$TN" write "$TMP/ours"
cat >"$TMP/check.py" <<'EOF'
import gzip, io, math, os, sys, zipfile
import numpy as np
d = sys.argv[1]
def ok(n): print('PASS ' + n)
def bad(n, why): print('FAIL %s: %s' % (n, why))

exp = {
    'f32': np.array([i * 1.1 - 3 for i in range(12)]).astype(np.float32).reshape(3, 4),
    'f64': np.array([i * 1.1 - 3 for i in range(7)]),
    'f16': np.array([math.ldexp(i * 1.1 - 3, i % 40 - 30) for i in range(100)]).astype(np.float16),
    'i32': np.array([i * 100003 - 7 for i in range(10)], dtype=np.int32).reshape(5, 2),
    'i64': np.array(-1234567890123, dtype=np.int64),
    'u8': np.array([i * 37 % 256 for i in range(24)], dtype=np.uint8).reshape(2, 3, 4),
    'empty': np.zeros((0, 3), np.float32),
    'str': np.array('csr'),
}
def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
def npsave_bytes(a):
    b = io.BytesIO(); np.save(b, a); return b.getvalue()

for k, e in exp.items():
    n = 'numpy loads our %s.npy' % k
    p = os.path.join(d, k + '.npy')
    try:
        a = np.load(p, allow_pickle=False)
        if not same(a, e): bad(n, 'got %r %s %s, want %r %s %s' % (a.dtype, a.shape, a.reshape(-1)[:4], e.dtype, e.shape, e.reshape(-1)[:4]))
        else: ok(n)
        raw = open(p, 'rb').read()
        if raw == npsave_bytes(e): ok('our %s.npy is byte-identical to np.save' % k)
        else: bad('our %s.npy is byte-identical to np.save' % k, 'header %r vs %r' % (raw[:128], npsave_bytes(e)[:128]))
        m = np.load(p, mmap_mode='r')
        if k != 'str' and not np.array_equal(np.asarray(m), e): bad('mmap ' + k, 'differs')
    except Exception as ex:
        bad(n, repr(ex))
try:
    a = np.load(gzip.open(os.path.join(d, 'f32.npy.gz')), allow_pickle=False)
    ok('np.load(gzip.open) reads our .npy.gz') if same(a, exp['f32']) else bad('np.load(gzip.open) reads our .npy.gz', 'differs')
except Exception as ex:
    bad('np.load(gzip.open) reads our .npy.gz', repr(ex))

for name, comp in (('all.npz', zipfile.ZIP_STORED), ('all_c.npz', zipfile.ZIP_DEFLATED)):
    p = os.path.join(d, name)
    try:
        with zipfile.ZipFile(p) as zf:
            if zf.testzip() is not None: bad('zip CRCs ' + name, zf.testzip())
            else: ok('zipfile verifies CRCs of ' + name)
            infos = zf.infolist()
            if all(i.compress_type == comp and i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos): ok('zip method and fixed date in ' + name)
            else: bad('zip method and fixed date in ' + name, str([(i.compress_type, i.date_time) for i in infos]))
            for k in exp:
                if zf.read(k + '.npy') != npsave_bytes(exp[k]): bad('member bytes %s in %s' % (k, name), 'differ from np.save')
        with np.load(p, allow_pickle=False) as z:
            if z.files != list(exp): bad('np.load member names ' + name, str(z.files))
            else: ok('np.load member names ' + name)
            wrong = [k for k in exp if not same(z[k], exp[k])]
            ok('np.load values ' + name) if not wrong else bad('np.load values ' + name, 'differ: %s' % wrong)
    except Exception as ex:
        bad('np.load ' + name, repr(ex))

if os.environ.get('HAVE_SCIPY') == '1':
    import scipy.sparse as sp
    want = np.array([[1, 0, 2, 0], [0, 0, 0, 3], [4, 5, 0, 0]], dtype=np.float32)
    for name in ('csr.npz', 'csr_c.npz'):
        try:
            m = sp.load_npz(os.path.join(d, name))
            if m.format == 'csr' and m.dtype == np.float32 and m.shape == (3, 4) and np.array_equal(m.toarray(), want): ok('scipy.sparse.load_npz reads our ' + name)
            else: bad('scipy.sparse.load_npz reads our ' + name, '%s %s %s' % (m.format, m.dtype, m.toarray()))
        except Exception as ex:
            bad('scipy.sparse.load_npz reads our ' + name, repr(ex))
EOF
"$PY" "$TMP/check.py" "$TMP/ours" >"$TMP/check.out" 2>&1
rc=$?
cat "$TMP/check.out"
[ "$rc" -eq 0 ] || bad "numpy checks of our files" "python exited $rc: $(tail -c 400 "$TMP/check.out")"
grep -q '^PASS numpy loads our f32.npy' "$TMP/check.out" || bad "numpy checks of our files" "checks did not run"
exit 0
