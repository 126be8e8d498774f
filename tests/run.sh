#!/usr/bin/env bash
# Runs every unit test binary and every CLI test script; each prints lines
# "PASS name", "FAIL name" or "SKIP name: reason". Ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
export BIN=$PWD/$BUILD/bin
export ROOT=$PWD
export DATA=${DATA:-$(cd .. && pwd)/shared/data}
if [ -z "${PY:-}" ]; then
  for p in /usr/bin/python3 python3; do
    if "$p" -c 'import numpy' >/dev/null 2>&1; then PY=$p; break; fi
  done
fi
export PY=${PY:-}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
pass=0; fail=0; skip=0
run_one() {  # name, command...
  local name=$1; shift
  local out=$log/out
  local t0=$SECONDS
  "$@" >"$out" 2>&1
  local rc=$?
  local p f s
  p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out"); s=$(grep -c '^SKIP ' "$out")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL $name: exited $rc without reporting a failure" >>"$out"; f=1
  fi
  pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
  if [ "$f" -gt 0 ]; then
    echo "== $name: $p passed, $f failed ($((SECONDS - t0)) s)"
    sed 's/^/   /' "$out" | tail -n 60
  else
    echo "== $name: $p passed, $s skipped ($((SECONDS - t0)) s)"
    grep '^SKIP ' "$out" | sed 's/^/   /'
  fi
}
for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  run_one "$(basename "$t")" "$t"
done
for t in tests/cli/*.sh; do
  [ -f "$t" ] || continue
  run_one "$(basename "$t")" bash "$t"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
