# Sourced by the CLI test scripts. Provides:
#   ok NAME | bad NAME WHY | skip NAME WHY
#   t NAME CMD...            pass when CMD exits 0
#   t_exit CODE NAME CMD...  pass when CMD exits with CODE
#   need_py NAME             returns 1 (and prints SKIP) when python3+numpy is absent
#   TMP (a fresh directory, removed on exit), BIN, DATA, PY, ROOT
set -u
: "${BIN:?run through tests/run.sh}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export PATH="$BIN:$PATH"
ok()   { echo "PASS $1"; }
bad()  { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }
t() {
  local name=$1; shift
  if "$@" >"$TMP/.out" 2>"$TMP/.err"; then ok "$name"; else bad "$name" "exit $? from: $* :: $(head -c 400 "$TMP/.err")"; fi
}
t_exit() {
  local code=$1 name=$2; shift 2
  "$@" >"$TMP/.out" 2>"$TMP/.err"; local rc=$?
  if [ "$rc" -eq "$code" ]; then ok "$name"; else bad "$name" "expected exit $code, got $rc from: $* :: $(head -c 400 "$TMP/.err")"; fi
}
need_py() {
  if [ -z "${PY:-}" ]; then skip "$1" "python3 with numpy is not installed (apt-get install python3-numpy python3-scipy)"; return 1; fi
  return 0
}
# Run the Examples block of a tool's --help: every line starting with "  $ " is a command,
# executed with bash in directory $1 (which the caller prepares).
run_help_examples() {
  local tool=$1 dir=$2 n=0
  while IFS= read -r line; do
    n=$((n + 1))
    (cd "$dir" && bash -eu -o pipefail -c "$line") >"$TMP/.ex.out" 2>"$TMP/.ex.err" \
      && ok "$tool help example $n" \
      || bad "$tool help example $n" "'$line' failed: $(head -c 300 "$TMP/.ex.err")"
  done < <("$BIN/$tool" --help | sed -n 's/^  \$ //p')
}
