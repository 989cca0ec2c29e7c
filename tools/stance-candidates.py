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

    # third round: every document no gold file uses, plus the training documents again; an
    # actor may come back in up to three sentences of a document (pairs already labelled are
    # left out), pairs with no polar word kept with probability 0.35
    python3 tools/stance-candidates.py --data ../shared/data --docs 100000 --seed 9 --filter \
        --reuse tests/data/stance-train.jsonl --per-actor 3 --keep-plain 0.35 --out target/stance-cand3
    # whole documents drawn at random up to 8,400 candidates, in 7 batches for 7 labellers,
    # and 400 of them drawn again for a second, blind labelling (agreement)
    python3 tools/stance-candidates.py --split 7 --limit 8400 --blind 400 --seed 9 \
        --candidates target/stance-cand3/candidates.jsonl
    # target precision on dev: every stance target lesart finds in 80 dev articles, labelled
    # actor or not (skip); never trained on
    python3 tools/stance-candidates.py --data ../shared/data --only tests/data/stance-dev.jsonl \
        --docs 80 --seed 10 --per-actor 99 --out target/stance-targets-dev
    # the same on held-out articles, labelled after the actor part of the head was fitted, and
    # never trained or tuned on: 80 held-out articles, every stance target, four batches
    python3 tools/stance-candidates.py --data ../shared/data --only tests/data/stance-heldout.jsonl \
        --docs 80 --seed 10 --per-actor 99 --out target/stance-targets-heldout
    python3 tools/stance-candidates.py --split 4 --limit 100000 --blind 0 --seed 10 \
        --candidates target/stance-targets-heldout/candidates.jsonl
    python3 tools/stance-candidates.py --assemble target/stance-targets-heldout/labels-[0-9].jsonl --actors \
        --candidates target/stance-targets-heldout/candidates.jsonl > tests/data/stance-targets-heldout.jsonl
    # a skip rate near one half asked for more batches: the next documents in the same order,
    # batches of about 1,200 (the first seven batches and the blind sample come out unchanged)
    python3 tools/stance-candidates.py --split 7 --limit 8400 --extra 4000 --blind 400 --seed 9 \
        --candidates target/stance-cand3/candidates.jsonl
    # fourth round: single news sentences of CheckThat! and GermEval train (every target on a gold
    # PER, ORG or LOC mention of GermEval), seven batches and a blind sample of 400
    python3 tools/stance-candidates.py --sentences --docs 9000 --seed 11 --filter --keep-plain 0.3 \
        --out target/stance-cand4
    python3 tools/stance-candidates.py --split 7 --limit 9200 --blind 400 --seed 11 \
        --candidates target/stance-cand4/candidates.jsonl
    python3 tools/stance-candidates.py --assemble target/stance-cand4/labels-[0-9].jsonl \
        --candidates target/stance-cand4/candidates.jsonl > tests/data/stance-train-sentences.jsonl
    # fifth round: every further sentence of the training articles (no cap per actor, every pair
    # with or without a polar word), seven batches and a blind sample of 400; the skipped
    # candidates go to the list of non-targets, so a later round does not propose them again
    python3 tools/stance-candidates.py --data ../shared/data --docs 100000 --seed 12 --filter \
        --reuse tests/data/stance-train.jsonl --reuse tests/data/stance-nontargets.jsonl \
        --per-actor 99 --keep-plain 1.0 --out target/stance-cand5
    python3 tools/stance-candidates.py --split 7 --limit 8000 --blind 400 --seed 12 \
        --candidates target/stance-cand5/candidates.jsonl
    python3 tools/stance-candidates.py --assemble target/stance-cand5/labels-[0-9].jsonl \
        --candidates target/stance-cand5/candidates.jsonl --skipped tests/data/stance-nontargets.jsonl \
        > tests/data/stance-train-round5.jsonl
    # both labellings of the blind sample (offsets and labels), and their agreement
    python3 tools/stance-candidates.py --assemble target/stance-cand5/labels-[0-9].jsonl \
        --candidates target/stance-cand5/candidates.jsonl --second target/stance-cand5/labels-blind.jsonl \
        --pairs tests/data/stance-agreement-round5.jsonl
    python3 tools/stance-candidates.py --pairs tests/data/stance-agreement-round5.jsonl
"""
import argparse, csv, json, os, random, subprocess, sys, tempfile

csv.field_size_limit(10**9)
GOLD = ["tests/data/stance-dev.jsonl", "tests/data/stance-heldout.jsonl"]


def corpus_texts(data, corpus):
    """One text per document, as lesart's stance gold reader loads them (src/stance/eval.rs)."""
    path = os.path.join(data, corpus)
    if corpus.endswith(".csv"):
        with open(path, encoding="utf-8") as f:
            return [r[1] if len(r) > 1 else "" for r in csv.reader(f, delimiter=";", quotechar="'")]
    if corpus.endswith(".tsv") or corpus.endswith(".conll"):
        with open(path, encoding="utf-8") as f:
            if f.readline().startswith("sentence_id\tsentence"):
                return [r[1] if len(r) > 1 else "" for r in csv.reader(f, delimiter="\t", quotechar='"')]
        return [detokenize([t for t, _ in s])[0] for s in bio_sentences(path)]
    with open(path, encoding="utf-8") as f:
        return [json.loads(l)["text"] for l in f]


def bio_sentences(path):
    """The sentences of a two-column `token TAG` file: lists of (token, tag)."""
    out, cur = [], []
    for line in open(path, encoding="utf-8"):
        fields = line.split()
        if not fields:
            if cur:
                out.append(cur)
            cur = []
            continue
        cur.append((fields[0], fields[-1]))
    if cur:
        out.append(cur)
    return out


def detokenize(forms):
    """lesart's `io::gold::detokenize`: the text, and each token's [start, end)."""
    out, spans = "", []
    glue_next, ascii_open = True, False
    for form in forms:
        ascii_quote = form == '"'
        closing = form in (".", ",", ";", ":", "!", "?", ")", "]", "“") or (ascii_quote and ascii_open)
        if not glue_next and not closing:
            out += " "
        spans.append((len(out), len(out) + len(form)))
        out += form
        glue_next = form in ("(", "[", "„") or (ascii_quote and not ascii_open)
        ascii_open ^= ascii_quote
    return out, spans


def gold_actor_spans(sentence):
    """Character spans of the PER, ORG and LOC mentions (not derived forms or parts) of a BIO sentence."""
    _, spans = detokenize([t for t, _ in sentence])
    out, open_ = [], None
    for (t, tag), (a, b) in zip(sentence, spans):
        kind = tag[2:]
        if tag.startswith("I-") and open_ and open_[2] == kind:
            open_[1] = b
            continue
        open_ = [a, b, kind] if tag != "O" else None
        if open_:
            out.append(open_)
    return [(a, b) for a, b, kind in out if kind in ("PER", "ORG", "LOC")]


SENTENCE_CORPORA = ("checkthat-subjectivity/train_de.tsv", "checkthat-subjectivity/dev_de.tsv", "germeval2014/train.bio.tsv")


def candidates(args):
    used = set()
    for g in GOLD + args.exclude:
        for l in open(g, encoding="utf-8"):
            r = json.loads(l)
            used.add((r["corpus"], r["doc"]))
    labelled = set()
    for g in args.reuse:
        for l in open(g, encoding="utf-8"):
            r = json.loads(l)
            labelled.add((r["corpus"], r["doc"], r["sentence"][0], r["target"][0]))
    rng = random.Random(args.seed)
    picked = []
    if args.only:
        # every stance target of some documents of one gold file, to measure target precision
        docs = sorted({(json.loads(l)["corpus"], json.loads(l)["doc"]) for l in open(args.only, encoding="utf-8")})
        rng.shuffle(docs)
        texts = {}
        for corpus, i in docs[: args.docs]:
            texts.setdefault(corpus, corpus_texts(args.data, corpus))
            picked.append((corpus, i, texts[corpus][i]))
    actors = {}
    if args.sentences:
        # news sentences of other corpora, one document each: every CheckThat! sentence, and
        # GermEval sentences naming a person or organisation, with their gold mentions
        for corpus in SENTENCE_CORPORA:
            texts = corpus_texts(args.data, corpus)
            if corpus.startswith("germeval"):
                sentences = bio_sentences(os.path.join(args.data, corpus))
                free = [i for i, t in enumerate(texts) if len(t) > 60 and any(
                    tag.endswith("-PER") or tag.endswith("-ORG") for _, tag in sentences[i])]
                rng.shuffle(free)
                free = sorted(free[: args.docs])
                actors.update({(corpus, i): gold_actor_spans(sentences[i]) for i in free})
            else:
                free = [i for i, t in enumerate(texts) if len(t) > 40]
            picked += [(corpus, i, texts[i]) for i in free]
    for corpus, share in [] if args.only or args.sentences else (("gnad10k/articles.csv", 0.55), ("wikinews-quotes/train.jsonl", 0.45)):
        texts = corpus_texts(args.data, corpus)
        reused = sorted({d for c, d, _, _ in labelled if c == corpus})
        free = [i for i in range(len(texts)) if (corpus, i) not in used and i not in reused and len(texts[i]) > 300]
        rng.shuffle(free)
        picked += [(corpus, i, texts[i]) for i in free[: round(args.docs * share)]]
        picked += [(corpus, i, texts[i]) for i in reused]
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        names = {}
        for corpus, i, text in picked:
            name = f"{corpus.replace('/', '_')}-{i}.txt"
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
            seen = {}
            prev = ""
            for s in d["sentences"]:
                stext = text[s["start"] : s["end"]]
                for st in s["stance"]:
                    key = st["target"].lower()
                    if s["boilerplate"] or seen.get(key, 0) >= args.per_actor:
                        continue
                    if (corpus, i, s["start"], st["start"]) in labelled:
                        seen[key] = seen.get(key, 0) + 1
                        continue
                    if (corpus, i) in actors and not any(a <= st["start"] < b for a, b in actors[(corpus, i)]):
                        continue
                    if args.filter and not likely_actor(text, s, st, rng, args.keep_plain):
                        continue
                    seen[key] = seen.get(key, 0) + 1
                    n += 1
                    w.write(json.dumps({"id": n, "corpus": corpus, "doc": i, "sentence": [s["start"], s["end"]],
                                        "target": [st["start"], st["end"]], "target_text": text[st["start"]:st["end"]],
                                        "sentence_text": stext, "previous": prev}, ensure_ascii=False) + "\n")
                prev = stext
    print(f"{n} candidates from {len(docs)} documents", file=sys.stderr)


PLACE_PREPOSITIONS = {"in", "im", "aus", "nach", "bei", "nahe", "von", "vom", "ins", "am", "auf"}


def likely_actor(text, sentence, st, rng, keep_plain=0.5):
    """Second-round filter: no place after a preposition (*in Wien*), no name inside a
    hyphenated compound, no dateline; of the rest, pairs for which the rules found no polar
    word (no evidence; the learned head leaves evidence as the rules found it) are kept at
    random with probability `keep_plain` (polar pairs are the rarer classes)."""
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
    return bool(st["evidence"]) or rng.random() < keep_plain


def read_candidates(path):
    """The candidates of a candidates.jsonl, in file order."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f]


def assemble(args):
    cands = {c["id"]: c for c in read_candidates(args.candidates)}
    texts = {}
    skipped = []
    for path in args.assemble:
        for l in open(path, encoding="utf-8"):
            if not l.strip():
                continue
            r = json.loads(l)
            if r["id"] not in cands:
                continue
            c = cands[r["id"]]
            # Skipped pairs (no target) go to --skipped when asked for; the dev pairs mixed in
            # to measure agreement are not written.
            if r["label"] == "skip" and args.skipped:
                skipped.append({"corpus": c["corpus"], "doc": c["doc"], "sentence": c["sentence"], "target": c["target"]})
            if r["label"] not in ("favor", "against", "neutral"):
                continue
            if c["corpus"] not in texts:
                texts[c["corpus"]] = corpus_texts(args.data, c["corpus"])
            t0, t1 = c["target"]
            text = texts[c["corpus"]][c["doc"]]
            assert text[t0:t1] == c["target_text"], c
            # a source token glued to the name (GermEval's `.Sarkozy`, `*Arns`) is not the target's
            while t0 < t1 and not text[t0].isalnum():
                t0 += 1
            print(json.dumps({"corpus": c["corpus"], "doc": c["doc"], "sentence": c["sentence"], "target": [t0, t1],
                              "label": r["label"], "holder": r.get("holder", "author")}))
    if args.skipped:
        with open(args.skipped, "a", encoding="utf-8") as w:
            w.writelines(json.dumps(x) + "\n" for x in skipped)


def actor_labels(args):
    """Every labelled candidate as actor (any label) or not (skip): the target-precision gold."""
    cands = {c["id"]: c for c in read_candidates(args.candidates)}
    for path in args.assemble:
        for r in map(json.loads, open(path, encoding="utf-8")):
            c = cands[r["id"]]
            print(json.dumps({"corpus": c["corpus"], "doc": c["doc"], "sentence": c["sentence"], "target": c["target"],
                              "actor": r["label"] != "skip"}))


def both_labellings(args):
    """The blind sample with both labellings, as offsets and labels (no text), so that the
    agreement can be computed again from the repository."""
    cands = {c["id"]: c for c in read_candidates(args.candidates)}
    first = {r["id"]: r for path in args.assemble for r in map(json.loads, open(path, encoding="utf-8"))}
    with open(args.pairs, "w", encoding="utf-8") as w:
        for r in map(json.loads, open(args.second, encoding="utf-8")):
            c, f = cands[r["id"]], first[r["id"]]
            w.write(json.dumps({"corpus": c["corpus"], "doc": c["doc"], "sentence": c["sentence"], "target": c["target"],
                                "first": [f["label"], f["holder"]], "second": [r["label"], r["holder"]]}) + "\n")


def kappa(pairs):
    """Share of agreement and Cohen's kappa of a list of (first, second) decisions."""
    n = len(pairs)
    agree = sum(a == b for a, b in pairs) / n
    first, second = {}, {}
    for a, b in pairs:
        first[a] = first.get(a, 0) + 1
        second[b] = second.get(b, 0) + 1
    chance = sum(first[x] * second.get(x, 0) for x in first) / n / n
    return n, agree, (agree - chance) / (1 - chance)


def agreement(path):
    rows = [json.loads(l) for l in open(path, encoding="utf-8")]
    kept = [r for r in rows if "skip" not in (r["first"][0], r["second"][0])]
    for name, pairs in (
        ("four-way (favor, against, neutral, no target)", [(r["first"][0], r["second"][0]) for r in rows]),
        ("label where both kept the pair", [(r["first"][0], r["second"][0]) for r in kept]),
        ("target or not", [(r["first"][0] == "skip", r["second"][0] == "skip") for r in rows]),
        ("holder where both kept the pair", [(r["first"][1], r["second"][1]) for r in kept]),
    ):
        n, agree, k = kappa(pairs)
        print("%s: %d candidates, agreement %.1f%%, Cohen's kappa %.3f" % (name, n, 100 * agree, k))


def split(args):
    cands = read_candidates(args.candidates)
    docs = sorted({(c["corpus"], c["doc"]) for c in cands})
    rng = random.Random(args.seed)
    rng.shuffle(docs)
    by_doc = {}
    for c in cands:
        by_doc.setdefault((c["corpus"], c["doc"]), []).append(c)
    chosen, extra = [], [[]]
    for d in docs:
        if len(chosen) < args.limit:
            chosen += by_doc[d]
        elif sum(map(len, extra)) < args.extra:
            if len(extra[-1]) >= -(-len(chosen) // args.split):
                extra.append([])
            extra[-1] += by_doc[d]
    out = os.path.dirname(args.candidates)
    size = -(-len(chosen) // args.split)
    for k in range(args.split):
        with open(os.path.join(out, f"batch-{k + 1}.jsonl"), "w", encoding="utf-8") as w:
            w.writelines(json.dumps(c, ensure_ascii=False) + "\n" for c in chosen[k * size : (k + 1) * size])
    for k, batch in enumerate(b for b in extra if b):
        with open(os.path.join(out, f"batch-{args.split + 1 + k}.jsonl"), "w", encoding="utf-8") as w:
            w.writelines(json.dumps(c, ensure_ascii=False) + "\n" for c in batch)
    blind = sorted(rng.sample(chosen, min(args.blind, len(chosen))), key=lambda c: c["id"])
    with open(os.path.join(out, "blind.jsonl"), "w", encoding="utf-8") as w:
        w.writelines(json.dumps(c, ensure_ascii=False) + "\n" for c in blind)
    print(f"{len(chosen)} candidates in {args.split} batches of up to {size}, {len(blind)} drawn for the blind labelling",
          file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--docs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="target/stance-cand")
    ap.add_argument("--lesart", default="target/release/lesart")
    ap.add_argument("--exclude", action="append", default=[], help="a gold file whose documents are not picked")
    ap.add_argument("--filter", action="store_true", help="leave out likely non-actors, prefer polar sentences")
    ap.add_argument("--sentences", action="store_true",
                    help="candidates from news sentences of CheckThat! and GermEval instead (--docs GermEval sentences)")
    ap.add_argument("--only", help="take --docs documents of this gold file instead (all their stance targets)")
    ap.add_argument("--reuse", action="append", default=[],
                    help="a training gold file whose documents are taken again (its pairs are not proposed twice)")
    ap.add_argument("--per-actor", type=int, default=1, help="sentences per actor and document")
    ap.add_argument("--keep-plain", type=float, default=0.5, help="share of pairs without a polar word kept (with --filter)")
    ap.add_argument("--assemble", nargs="*")
    ap.add_argument("--candidates")
    ap.add_argument("--skipped", help="with --assemble: append the candidates labelled skip (no target) to this file")
    ap.add_argument("--split", type=int, help="cut --candidates into this many batches")
    ap.add_argument("--limit", type=int, default=8400, help="candidates to draw (whole documents) with --split")
    ap.add_argument("--extra", type=int, default=0, help="with --split: one more batch of the next documents, this many candidates")
    ap.add_argument("--blind", type=int, default=400, help="candidates drawn again for a second labelling")
    ap.add_argument("--second", help="with --assemble: the blind labels; write both labellings of those candidates "
                    "(offsets and labels) to --pairs instead of assembling")
    ap.add_argument("--actors", action="store_true",
                    help="with --assemble: print every labelled candidate as actor or not (target precision gold)")
    ap.add_argument("--pairs", help="with --second: the file to write; alone: print the agreement of such a file")
    args = ap.parse_args()
    if args.split:
        split(args)
    elif args.second:
        both_labellings(args)
    elif args.actors:
        actor_labels(args)
    elif args.pairs:
        agreement(args.pairs)
    elif args.assemble:
        assemble(args)
    else:
        candidates(args)


if __name__ == "__main__":
    main()
