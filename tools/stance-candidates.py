#!/usr/bin/env python3
"""Candidate (sentence, target) pairs for labelling stance training data.

Picks documents of gnad10k and wikinews-quotes that neither stance-dev.jsonl nor
stance-heldout.jsonl uses, runs `lesart analyze` on them and writes one candidate per actor
per document: the first sentence in which lesart finds it as a stance target. Labellers then
give each candidate favor / against / neutral (or skip it when it is no actor under
tests/data/stance-guidelines.md), and `--assemble` turns their labels into the gold format
(offsets and labels only).

    python3 tools/stance-candidates.py --data ../shared/data --docs 200 --out target/stance-cand
    # second round: other documents, places after a preposition and names inside compounds
    # left out, half of the pairs with no polar word kept
    python3 tools/stance-candidates.py --data ../shared/data --docs 300 --seed 8 --filter \
        --exclude tests/data/stance-train.jsonl --out target/stance-cand2
    # labellers write labels-*.jsonl ({"id", "label", "holder"}) beside each candidates.jsonl
    python3 tools/stance-candidates.py --assemble target/stance-cand/labels-*.jsonl \
        --candidates target/stance-cand/candidates.jsonl > tests/data/stance-train.jsonl
    python3 tools/stance-candidates.py --assemble target/stance-cand2/labels-*.jsonl \
        --candidates target/stance-cand2/candidates.jsonl >> tests/data/stance-train.jsonl

The second round's `--exclude` read the first round's pairs, so run the first assembly before it.
"""
import argparse, csv, json, os, random, subprocess, sys, tempfile

csv.field_size_limit(10**9)
GOLD = ["tests/data/stance-dev.jsonl", "tests/data/stance-heldout.jsonl"]


def corpus_texts(data, corpus):
    path = os.path.join(data, corpus)
    if corpus.endswith(".csv"):
        with open(path, encoding="utf-8") as f:
            return [r[1] if len(r) > 1 else "" for r in csv.reader(f, delimiter=";", quotechar="'")]
    with open(path, encoding="utf-8") as f:
        return [json.loads(l)["text"] for l in f]


def candidates(args):
    used = set()
    for g in GOLD + args.exclude:
        for l in open(g, encoding="utf-8"):
            r = json.loads(l)
            used.add((r["corpus"], r["doc"]))
    rng = random.Random(args.seed)
    picked = []
    for corpus, share in (("gnad10k/articles.csv", 0.55), ("wikinews-quotes/train.jsonl", 0.45)):
        texts = corpus_texts(args.data, corpus)
        free = [i for i in range(len(texts)) if (corpus, i) not in used and len(texts[i]) > 300]
        rng.shuffle(free)
        picked += [(corpus, i, texts[i]) for i in free[: round(args.docs * share)]]
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        names = {}
        for corpus, i, text in picked:
            name = f"{corpus.split('/')[0]}-{i}.txt"
            names[name] = (corpus, i, text)
            with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
                f.write(text)
        out = os.path.join(tmp, "out")
        subprocess.run([args.lesart, "analyze", tmp, "--out", out, "--quiet"], check=False)
        docs = [json.loads(l) for l in open(os.path.join(out, "annotations.jsonl"), encoding="utf-8")]
    n = 0
    with open(os.path.join(args.out, "candidates.jsonl"), "w", encoding="utf-8") as w:
        for d in sorted(docs, key=lambda d: d["id"]):
            corpus, i, text = names[os.path.basename(d["id"])]
            if d["text"] != text:
                print(f"{d['id']}: decoded text differs from the corpus text, skipped", file=sys.stderr)
                continue
            seen = set()
            prev = ""
            for s in d["sentences"]:
                stext = text[s["start"] : s["end"]]
                for st in s["stance"]:
                    key = st["target"].lower()
                    if s["boilerplate"] or key in seen or (args.filter and not likely_actor(text, s, st, rng)):
                        continue
                    seen.add(key)
                    n += 1
                    w.write(json.dumps({"id": n, "corpus": corpus, "doc": i, "sentence": [s["start"], s["end"]],
                                        "target": [st["start"], st["end"]], "target_text": text[st["start"]:st["end"]],
                                        "sentence_text": stext, "previous": prev}, ensure_ascii=False) + "\n")
                prev = stext
    print(f"{n} candidates from {len(docs)} documents", file=sys.stderr)


PLACE_PREPOSITIONS = {"in", "im", "aus", "nach", "bei", "nahe", "von", "vom", "ins", "am", "auf"}


def likely_actor(text, sentence, st, rng):
    """Second-round filter: no place after a preposition (*in Wien*), no name inside a
    hyphenated compound, no dateline; of the rest, pairs for which the rules found no polar
    word (no evidence; the learned head leaves evidence as the rules found it) are kept at
    random with probability 0.5 (polar pairs are the rarer classes)."""
    a, b = st["start"], st["end"]
    if text[a - 1 : a] == "-" or text[b : b + 1] == "-":
        return False
    ent = next((e for e in sentence["entities"] if e["start"] <= a < e["end"]), None)
    before = [t for t in sentence["tokens"] if t["end"] <= a]
    if ent and ent["label"] == "LOC" and not ent["derived"]:
        if before and before[-1]["text"].lower() in PLACE_PREPOSITIONS:
            return False
        after = [t for t in sentence["tokens"] if t["start"] >= b]
        if not before and after and after[0]["text"] in ("–", "-", "—", "/"):
            return False
    return bool(st["evidence"]) or rng.random() < 0.5


def assemble(args):
    cands = {c["id"]: c for c in map(json.loads, open(args.candidates, encoding="utf-8"))}
    texts = {}
    for path in args.assemble:
        for l in open(path, encoding="utf-8"):
            if not l.strip():
                continue
            r = json.loads(l)
            # Skipped pairs, and the dev pairs mixed in to measure agreement, are not written.
            if r["label"] not in ("favor", "against", "neutral") or r["id"] not in cands:
                continue
            c = cands[r["id"]]
            if c["corpus"] not in texts:
                texts[c["corpus"]] = corpus_texts(args.data, c["corpus"])
            t0, t1 = c["target"]
            assert texts[c["corpus"]][c["doc"]][t0:t1] == c["target_text"], c
            print(json.dumps({"corpus": c["corpus"], "doc": c["doc"], "sentence": c["sentence"], "target": c["target"],
                              "label": r["label"], "holder": r.get("holder", "author")}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--docs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="target/stance-cand")
    ap.add_argument("--lesart", default="target/release/lesart")
    ap.add_argument("--exclude", action="append", default=[], help="a gold file whose documents are not picked")
    ap.add_argument("--filter", action="store_true", help="leave out likely non-actors, prefer polar sentences")
    ap.add_argument("--assemble", nargs="*")
    ap.add_argument("--candidates")
    args = ap.parse_args()
    assemble(args) if args.assemble else candidates(args)


if __name__ == "__main__":
    main()
