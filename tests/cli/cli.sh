#!/usr/bin/env bash
# The conventions every tool shares through lib/cli.c: --version text, --help and
# --version on a stdout that cannot be written (exit 3, one error line), an
# unknown option (exit 2 and the --help hint), a usage error's two lines.
source "$(dirname "$0")/../cli_lib.sh"
cd "$TMP" || exit 1
for tool in ar-split ar-embed-import ar-graph ar-train ar-rank ar-metrics; do
  if [ ! -x "$BIN/$tool" ]; then bad "$tool built" "$BIN/$tool missing"; continue; fi
  t "$tool --version" "$BIN/$tool" --version
  [ "$(cat .out)" = "$tool $(sed -n 's/^#define AR_VERSION "\(.*\)"$/\1/p' "$ROOT/lib/ar.h")" ] \
    && ok "$tool --version text" || bad "$tool --version text" "$(cat .out)"
  if [ -w /dev/full ]; then
    for opt in --help --version; do
      "$BIN/$tool" $opt >/dev/full 2>.err; rc=$?
      [ "$rc" -eq 3 ] && [ "$(cat .err)" = "$tool: cannot write to stdout" ] \
        && ok "$tool $opt to a full stdout" || bad "$tool $opt to a full stdout" "exit $rc: $(cat .err)"
    done
  else
    skip "$tool --help to a full stdout" "/dev/full is not writable here"
  fi
  "$BIN/$tool" --no-such-option >.out 2>.err; rc=$?
  [ "$rc" -eq 2 ] && [ "$(tail -n 1 .err)" = "Try '$tool --help' for more information." ] && [ ! -s .out ] \
    && ok "$tool unknown option" || bad "$tool unknown option" "exit $rc: $(cat .err)"
done
# a usage error: "tool: message", then the hint, exit 2
check_usage() {  # NAME MESSAGE CMD...
  local name=$1 msg=$2; shift 2
  "$@" >.out 2>.err; local rc=$?
  local want; want=$(printf '%s\nTry %s for more information.' "$msg" "'$(basename "$1") --help'")
  [ "$rc" -eq 2 ] && [ "$(cat .err)" = "$want" ] && ok "$name" || bad "$name" "exit $rc: $(cat .err)"
}
check_usage "ar-graph --users range" "ar-graph: --users '-1': expected an integer in 0..2147483647" "$BIN/ar-graph" --users -1
check_usage "ar-rank -k range" "ar-rank: -k '0': expected an integer in 1..2147483647" "$BIN/ar-rank" -k 0
check_usage "ar-rank --block trailing text" "ar-rank: --block '8x': expected an integer in 1..1048576" "$BIN/ar-rank" --block 8x
check_usage "ar-split --min-rating nan" "ar-split: --min-rating 'nan': expected a number" "$BIN/ar-split" --min-rating nan
check_usage "ar-split --kcore-user" "ar-split: --kcore-*: '1e3' is not an integer in 0..2147483647" "$BIN/ar-split" --kcore-user 1e3
check_usage "ar-train --threads" "ar-train: -t/--threads: expected an integer in [0, 4096], got '4097'" "$BIN/ar-train" -t 4097
echo '{"model": "lightgcn"}' >x.json
check_usage "ar-train --seed -0" "ar-train: --seed: expected an integer in [0, 2^53], got '-0'" \
  "$BIN/ar-train" -c x.json -d d -g g -o r --seed -0
check_usage "ar-embed-import two inputs" "ar-embed-import: one input file expected, got 2 (first extra: 'b')" \
  "$BIN/ar-embed-import" --items i.txt -o o.npy a b
check_usage "ar-metrics --format" "ar-metrics: --format 'xml': expected json or tsv" "$BIN/ar-metrics" --format xml
