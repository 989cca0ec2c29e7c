#!/usr/bin/env python3
"""Writes N derStandard articles of ../shared/data/gnad10k/articles.csv as text files, for
measuring lesart on corpora of a given size (memory, speed, resume).

    python3 tools/gnad-corpus.py --count 10000 --out /tmp/gnad-10000

The 1,028 articles are taken in file order and repeated as often as needed to reach N; file
k is `k.txt` (zero-padded) in subfolders of 1,000, so directory walking sees real nesting.
The output is the same on every run. The data's licence (CC BY-NC-SA 4.0) does not allow
committing it: write it outside the repository.
"""
import argparse
import csv
import os
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, required=True, help="number of articles to write")
    ap.add_argument("--out", required=True, help="folder to write them to (created)")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
    args = ap.parse_args()
    path = os.path.join(args.data, "gnad10k", "articles.csv")
    with open(path, encoding="utf-8", newline="") as f:
        texts = [row[1] for row in csv.reader(f, delimiter=";", quotechar="'") if len(row) >= 2]
    if not texts:
        sys.exit(f"{path}: no articles")
    for k in range(args.count):
        folder = os.path.join(args.out, f"{k // 1000:03d}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"{k:06d}.txt"), "w", encoding="utf-8") as f:
            f.write(texts[k % len(texts)])
    print(f"{args.count} articles ({len(texts)} distinct) written to {args.out}")


if __name__ == "__main__":
    main()
