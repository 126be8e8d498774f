#!/usr/bin/env bash
# report.sh - the results table and the validation curve of a pipeline run.
#
# usage: report.sh TITLE OUTDIR REFERENCES.tsv LABEL=RUNDIR[,RUNDIR...] ...
#
# Each RUNDIR holds test.tsv (ar-metrics --format tsv: "metric<TAB>value" lines),
# log.jsonl (ar-train's per-evaluation records) and summary.json. Writes
# OUTDIR/table.md (mean and standard deviation over the run directories of each
# label, beside the reference rows) and OUTDIR/ndcg.svg (validation NDCG@20 over
# epochs, one line per label, mean over its runs). The pipeline targets print the table.
set -euo pipefail
title=$1 out=$2 refs=$3
shift 3
mkdir -p "$out"
cols="recall@1 recall@10 recall@20 ndcg@10 ndcg@20 hit@20"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

num() {  # num KEY FILE: first numeric value of "KEY": in a JSON file (any spacing; cJSON writes tabs)
  awk -v k="\"$1\":" 'i = index($0, k) { v = substr($0, i + length(k)); sub(/^[ \t]*/, "", v)
    if (match(v, /^[-0-9.eE+]+/)) { print substr(v, 1, RLENGTH); exit } }' "$2"
}

{
  echo "# $title"
  echo
  echo "Test metrics at the best-validation epoch; mean ± standard deviation over the runs (seeds)."
  echo
  printf '| method | runs |'; for c in $cols; do printf ' %s |' "$c"; done; printf ' best epoch | s/epoch |\n'
  printf '|---|---|'; for c in $cols; do printf -- '---|'; done; printf -- '---|---|\n'
  for spec in "$@"; do
    label=${spec%%=*}
    dirs=${spec#*=}
    IFS=, read -r -a rd <<<"$dirs"
    printf '| %s | %d |' "$label" "${#rd[@]}"
    for c in $cols; do
      for d in "${rd[@]}"; do awk -F'\t' -v k="$c" '$1==k{print $2}' "$d/test.tsv"; done >"$tmp/v"
      awk '{s+=$1; q+=$1*$1; n++} END{ if(n==0){printf " - |"; exit}
           m=s/n; v=(n>1)?(q-n*m*m)/(n-1):0; if(v<0)v=0;
           if(n>1) printf " %.4f ± %.4f |", m, sqrt(v); else printf " %.4f |", m }' "$tmp/v"
    done
    for d in "${rd[@]}"; do num best_epoch "$d/summary.json"; done | tr '\n' ' ' | awk '{printf " %s |", $0}'
    for d in "${rd[@]}"; do num seconds_per_epoch "$d/summary.json"; done |
      awk '{s+=$1;n++} END{ if(n) printf " %.3f |\n", s/n; else printf " - |\n"}'
  done
  echo
  echo "Reference rows (not computed here):"
  echo
  if [ "$(tail -n +2 "$refs" | awk -F'\t' 'NF>=7' | wc -l)" -eq 0 ]; then
    echo "(none for this dataset)"
  else
    printf '| method | source |'; for c in recall@1 recall@10 recall@20 ndcg@10 ndcg@20; do printf ' %s |' "$c"; done; echo
    printf '|---|---|---|---|---|---|---|\n'
    tail -n +2 "$refs" | awk -F'\t' 'NF>=7{printf "| %s | %s | %s | %s | %s | %s | %s |\n",$1,$2,$3,$4,$5,$6,$7}'
  fi
} >"$out/table.md.tmp"
mv "$out/table.md.tmp" "$out/table.md"

# ---- validation NDCG@20 curve (SVG) ----
i=0
for spec in "$@"; do
  label=${spec%%=*}
  IFS=, read -r -a rd <<<"${spec#*=}"
  for d in "${rd[@]}"; do
    # records with validation metrics: take epoch and the first ndcg@20 (the validation one)
    grep '"valid' "$d/log.jsonl" | while IFS= read -r line; do
      e=$(grep -o '"epoch": *[0-9]*' <<<"$line" | head -n1 | sed 's/.*: *//')
      v=$(grep -o '"ndcg@20": *[-0-9.eE+]*' <<<"$line" | head -n1 | sed 's/.*: *//')
      [ -n "$e" ] && [ -n "$v" ] && printf '%s\t%s\n' "$e" "$v"
    done
  done | awk -F'\t' -v lab="$label" -v id=$i '{s[$1]+=$2; n[$1]++} END{for(e in s) printf "%d\t%d\t%s\t%.6f\n", id, e, lab, s[e]/n[e]}'
  i=$((i + 1))
done | sort -t$'\t' -k1,1n -k2,2n >"$tmp/curve"
awk -F'\t' -v title="$title" '
  function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); gsub(/"/, "\\&quot;", s); return s }
  BEGIN { W=760; H=420; L=70; R=200; T=40; B=50; split("#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd #8c564b", col, " ") }
  { id[NR]=$1; ep[NR]=$2; lab[$1]=$3; val[NR]=$4; if($2>xmax)xmax=$2; if($4>ymax)ymax=$4; n=NR; if($1>maxid)maxid=$1 }
  END {
    if (xmax==0) xmax=1; if (ymax==0) ymax=1; ymax*=1.1
    printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H
    printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
    printf "<text x=\"%d\" y=\"22\" font-size=\"15\">%s: validation NDCG@20 by epoch</text>\n", L, esc(title)
    pw=W-L-R; ph=H-T-B
    printf "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#444\"/>\n", L, T, pw, ph
    for (k=0;k<=5;k++) { y=T+ph-k*ph/5; printf "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.4f</text>\n", L, L+pw, y, y, L-6, y+4, k*ymax/5 }
    step=int((xmax+4)/5); if (step<1) step=1   # integer epoch ticks, at most 6
    for (e=0;e<=xmax;e+=step) { x=L+e*pw/xmax; printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", x, T+ph+18, e }
    printf "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">epoch</text>\n", L+pw/2, H-8
    for (s=0;s<=maxid;s++) {
      if (!(s in lab)) continue
      c=col[(s%6)+1]; pts=""
      for (r=1;r<=n;r++) if (id[r]==s) pts=pts sprintf("%.1f,%.1f ", L+ep[r]*pw/xmax, T+ph-val[r]*ph/ymax)
      printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n", c, pts
      printf "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/><text x=\"%d\" y=\"%d\">%s</text>\n", L+pw+12, L+pw+32, T+14+s*20, T+14+s*20, c, L+pw+38, T+18+s*20, esc(lab[s])
    }
    print "</svg>"
  }' "$tmp/curve" >"$out/ndcg.svg.tmp"
mv "$out/ndcg.svg.tmp" "$out/ndcg.svg"
echo "wrote $out/table.md and $out/ndcg.svg" >&2
