#!/usr/bin/env python3
"""Make the small real Beauty sample committed in pipelines/sample/beauty/.

Maintainer script (needs python3-numpy); the demo itself needs only the ar-* tools.
From the Amazon 2014 Beauty 5-core data in ../shared/data/beauty it keeps the
N_ITEMS most popular items, each user's interactions with them (in time order),
and the users left with at least MIN_LEN of them; then it writes, for exactly the
items that remain: their titles and their Universal Sentence Encoder vectors
(float16, gzip) with the matching ASIN list. Deterministic: no randomness.

usage: pipelines/make-sample.py [SHARED_DATA_DIR] [OUT_DIR]
"""
import gzip
import os
import sys
from collections import Counter

import numpy as np

N_ITEMS = 1500
MIN_LEN = 5
MAX_USERS = 4000

here = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared", "data")
out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "sample", "beauty")
os.makedirs(out, exist_ok=True)

seqs = []
with open(os.path.join(src, "beauty", "raw", "user_sequence.txt")) as f:
    for line in f:
        parts = line.split()
        seqs.append((parts[0], parts[1:]))
pop = Counter(i for _, items in seqs for i in items)
# most popular first; ties by ASIN so the choice is reproducible
keep = set(sorted(pop, key=lambda a: (-pop[a], a))[:N_ITEMS])
sample = [(u, [i for i in items if i in keep]) for u, items in seqs]
sample = [(u, items) for u, items in sample if len(items) >= MIN_LEN]
sample.sort(key=lambda s: s[0])
sample = sample[:MAX_USERS]
items = sorted({i for _, its in sample for i in its})

with open(os.path.join(out, "user_sequence.txt"), "w") as f:
    for u, its in sample:
        f.write(u + " " + " ".join(its) + "\n")

titles = {}
with open(os.path.join(src, "beauty", "raw", "titles.tsv")) as f:
    next(f)
    for line in f:
        asin, title = line.rstrip("\n").split("\t", 1)
        titles[asin] = title
with open(os.path.join(out, "titles.tsv"), "w") as f:
    f.write("asin\ttitle\n")
    for a in items:
        f.write(a + "\t" + titles.get(a, "") + "\n")

ids = [l.strip() for l in open(os.path.join(src, "beauty", "emb", "ids.txt"))]
row = {a: k for k, a in enumerate(ids)}
use = np.load(os.path.join(src, "beauty", "emb", "use512.npy"))
sel = np.array([row[a] for a in items])
with open(os.path.join(out, "ids.txt"), "w") as f:
    f.write("\n".join(items) + "\n")
with gzip.GzipFile(os.path.join(out, "use512.f16.npy.gz"), "wb", mtime=0) as g:
    np.save(g, use[sel].astype(np.float16))

n = sum(len(i) for _, i in sample)
print(f"{len(sample)} users, {len(items)} items, {n} interactions -> {out}", file=sys.stderr)
