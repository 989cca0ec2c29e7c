#!/usr/bin/env python3
"""Quotation labels for GermEval 2014 training sentences, in the wikinews-quotes style.

Labellers mark every quotation of a sentence (type, cue, speaker, message, frame, addressee)
under tests/data/quotes-guidelines.md; the repository keeps only offsets and types
(tests/data/quotes-germeval.jsonl), and `--build` rebuilds from ../shared/data a training
file in the wikinews-quotes format that `lesart train quotes --extra FILE` reads.

    # 1,400 sentences: 1,260 with a word of saying or a quotation mark, 140 without; seven
    # packs of 200, and 140 of them (every tenth) again for a second, blind labelling
    python3 tools/quote-labels.py --packs target/quote-labels --seed 23
    # the reference examples the guidelines end with (sentences of wikinews-quotes train.jsonl,
    # never of its held-out seventh, with their gold annotation)
    python3 tools/quote-labels.py --examples --seed 5 >> target/quote-labels/BRIEF.md
    # each labeller writes out-K.jsonl ({"id", "quotations": [{"type", "cue": [strings], …}]})
    python3 tools/quote-labels.py --check target/quote-labels/spack-0.txt target/quote-labels/out-0.jsonl
    python3 tools/quote-labels.py --assemble target/quote-labels/out-[0-6].jsonl > tests/data/quotes-germeval.jsonl
    python3 tools/quote-labels.py --assemble target/quote-labels/out-agree.jsonl > tests/data/quotes-germeval-agreement.jsonl
    python3 tools/quote-labels.py --agreement tests/data/quotes-germeval.jsonl tests/data/quotes-germeval-agreement.jsonl
    # the training file, and the model trained with it
    python3 tools/quote-labels.py --build tests/data/quotes-germeval.jsonl > target/quotes-germeval.jsonl
    lesart train quotes --extra target/quotes-germeval.jsonl --out target/quotes-germeval.bin

A sentence's text is its GermEval tokens joined as `lesart::io::gold::detokenize` joins them,
with ASCII `"` written alternately as „ and “ (the same number of characters, so the offsets
hold either way). Offsets are `[start, end)` in Unicode code points. The data's licence does not
allow committing the text: only offsets are kept.
"""
import argparse, collections, json, os, random, re, sys

CORPUS = "germeval2014/train.bio.tsv"
ROLES = ["cue", "speaker", "quote", "frame", "addressee"]
TYPES = {"Direct", "Indirect", "Reported", "IndirectFreeIndirect", "FreeIndirect"}
CUE = re.compile(
    r"„|\bsag(t|te|ten)\b|erklärt|betont|\bmeint|\blaut\b|zufolge|nach Angaben|nach Ansicht|teilte|kritisier|forder|warnt"
    r"|hieß es|berichte|sei\b|seien\b|habe\b|\bso der\b|\bso die\b|verlangt|bestätigt|glaubt|räumte|wies .* zurück"
)
TOKEN = re.compile(r"\w+(?:[-.’']\w+)*|[^\w\s]", re.U)


def detokenize(forms):
    """The sentence text and each token's [start, end) offsets."""
    out, spans, glue, ascii_open = "", [], True, False
    for form in forms:
        ascii = form == '"'
        if ascii:
            form = "“" if ascii_open else "„"
        closing = form in (".", ",", ";", ":", "!", "?", ")", "]", "“")
        if not glue and not closing:
            out += " "
        spans.append([len(out), len(out) + len(form)])
        out += form
        glue = form in ("(", "[", "„")
        ascii_open ^= ascii
    return out, spans


def sentences(data):
    """GermEval's training sentences as token lists, in file order."""
    out, cur = [], []
    with open(os.path.join(data, CORPUS), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n").rstrip("\r")
            if not line.strip():
                if cur:
                    out.append(cur)
                cur = []
                continue
            cur.append(line.split()[0])
    if cur:
        out.append(cur)
    return out


def packs(args):
    texts = [detokenize(s)[0] for s in sentences(args.data)]
    fits = [i for i, t in enumerate(texts) if 40 <= len(t) <= 400]
    cued = [i for i in fits if CUE.search(texts[i])]
    plain = [i for i in fits if not CUE.search(texts[i])]
    rng = random.Random(args.seed)
    chosen = rng.sample(cued, 1260) + rng.sample(plain, 140)
    rng.shuffle(chosen)
    os.makedirs(args.packs, exist_ok=True)
    for k in range(7):
        with open(os.path.join(args.packs, f"spack-{k}.txt"), "w", encoding="utf-8") as f:
            f.writelines(f"{i}\t{texts[i]}\n" for i in chosen[k * 200 : (k + 1) * 200])
    with open(os.path.join(args.packs, "spack-agree.txt"), "w", encoding="utf-8") as f:
        f.writelines(f"{i}\t{texts[i]}\n" for i in chosen[::10])
    print(f"{len(chosen)} sentences in 7 packs, 140 for the second labelling, in {args.packs}")


def examples(args):
    """Reference sentences of wikinews-quotes train.jsonl (not its held-out seventh) with their
    quotations, drawn by kind: 14 indirect, 5 direct, 5 both, 5 reported, 7 none, 1 free."""
    path = os.path.join(args.data, "wikinews-quotes", "train.jsonl")
    by = collections.defaultdict(list)
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i % 7 == 3:
                continue
            a = json.loads(line)
            t = a["text"]
            for s, e in a["sentences"]:
                qs, whole = [], True
                for q in a["quotations"]:
                    spans = [sp for r in ROLES for sp in q[r]]
                    if not spans or not any(s <= sp[0] < e for sp in q["quote"] + q["cue"]):
                        continue
                    if not all(s <= sp[0] and sp[1] <= e for sp in spans):
                        whole = False
                        break
                    qs.append({"type": q["type"], **{r: [t[x:y] for x, y in q[r]] for r in ROLES}})
                if whole and e - s < 400:
                    by[tuple(sorted({q["type"] for q in qs})) or ("none",)].append((t[s:e], qs))
    want = {("Indirect",): 14, ("Direct",): 5, ("Direct", "Indirect"): 5, ("Reported",): 5, ("none",): 7, ("IndirectFreeIndirect",): 1}
    rng = random.Random(args.seed)
    out = [row for kind, n in want.items() for row in rng.sample(by[kind], n)]
    rng.shuffle(out)
    for sentence, qs in out:
        print(f"Sentence: {sentence}\nAnnotation: {json.dumps({'quotations': qs}, ensure_ascii=False)}\n")


def read_pack(path):
    with open(path, encoding="utf-8") as f:
        return dict(line.rstrip("\n").split("\t", 1) for line in f)


def check(args):
    pack, labels = args.check
    texts, seen, errors = read_pack(pack), set(), []
    with open(labels, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as e:
                errors.append(f"line {n}: not JSON ({e})")
                continue
            i = str(row.get("id"))
            if i not in texts:
                errors.append(f"line {n}: id {i} is not in the pack")
                continue
            if i in seen:
                errors.append(f"line {n}: id {i} twice")
            seen.add(i)
            for q in row.get("quotations") or []:
                if q.get("type") not in TYPES:
                    errors.append(f"id {i}: bad type {q.get('type')!r}")
                if not q.get("quote"):
                    errors.append(f"id {i}: a quotation without a message")
                for r in ROLES:
                    for s in q.get(r) or []:
                        if not isinstance(s, str) or not s or s not in texts[i]:
                            errors.append(f"id {i}: {r} {s!r} is not an exact substring of the sentence")
    missing = [i for i in texts if i not in seen]
    if missing:
        errors.append(f"{len(missing)} ids missing, e.g. {missing[:5]}")
    print("\n".join(errors) if errors else f"OK: {len(seen)} sentences")
    sys.exit(1 if errors else 0)


def offsets(text, strings, near, sequential):
    """Offsets of each string in `text`: message pieces in order, other parts nearest `near`."""
    out, after = [], 0
    for s in strings:
        found = [m.start() for m in re.finditer(re.escape(s), text)]
        if not found:
            raise ValueError(f"{s!r} is not in {text!r}")
        if sequential:
            later = [o for o in found if o >= after]
            o = later[0] if later else found[0]
        else:
            o = min(found, key=lambda o: abs(o - near))
        out.append([o, o + len(s)])
        after = o + len(s)
    return out


def assemble(args):
    """Labellers' strings to offsets, one reference line per sentence in input order."""
    texts = {i: detokenize(s)[0] for i, s in enumerate(sentences(args.data))}
    for path in args.assemble:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                row = json.loads(line)
                t = texts[int(row["id"])]
                quotations = []
                for q in row["quotations"]:
                    message = offsets(t, q["quote"], 0, True)
                    ref = {"type": q["type"], "quote": message}
                    for r in ROLES:
                        if r != "quote":
                            ref[r] = offsets(t, q.get(r) or [], message[0][0], False)
                    quotations.append({r: ref[r] for r in ["type"] + ROLES})
                print(json.dumps({"corpus": CORPUS, "sentence": int(row["id"]), "quotations": quotations}, ensure_ascii=False))


def build(args):
    """Reference lines to wikinews-quotes articles (one per sentence)."""
    all_sentences = sentences(args.data)
    with open(args.build, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            ref = json.loads(line)
            if ref["corpus"] != CORPUS:
                sys.exit(f"{args.build}:{n}: corpus {ref['corpus']!r} is not {CORPUS}")
            text, tokens = detokenize(all_sentences[ref["sentence"]])
            for q in ref["quotations"]:
                for r in ROLES:
                    if any(not 0 <= s < e <= len(text) for s, e in q[r]):
                        sys.exit(f"{args.build}:{n}: a {r} span lies outside sentence {ref['sentence']}")
            article = {"id": f"germeval2014-train-{ref['sentence']}", "text": text, "sentences": [[0, len(text)]], "tokens": tokens}
            article["quotations"] = ref["quotations"]
            print(json.dumps(article, ensure_ascii=False))


def agreement(args):
    """Agreement of two labellings of the same sentences: whether a sentence holds a quotation
    (Cohen's kappa), per role the tokens two labellings share when their quotations are paired
    one to one (largest overlap first; F1), and the type of paired quotations (kappa)."""
    first, second = ({}, {})
    for path, into in zip(args.agreement, (first, second)):
        with open(path, encoding="utf-8") as f:
            for line in f:
                ref = json.loads(line)
                into[ref["sentence"]] = ref["quotations"]
    all_sentences = sentences(args.data)
    ids = [i for i in second if i in first]

    def kappa(pairs):
        n = len(pairs)
        observed = sum(a == b for a, b in pairs) / n
        ca, cb = collections.Counter(a for a, _ in pairs), collections.Counter(b for _, b in pairs)
        expected = sum(ca[k] * cb[k] for k in ca) / n / n
        return observed, (observed - expected) / (1 - expected) if expected < 1 else 1.0

    def paired(a, b):
        ranked = sorted(((len(x & y), i, j) for i, x in enumerate(a) for j, y in enumerate(b)), reverse=True)
        used_a, used_b, out = set(), set(), []
        for shared, i, j in ranked:
            if shared and i not in used_a and j not in used_b:
                used_a.add(i), used_b.add(j), out.append((i, j, shared))
        return out

    po, k = kappa([(bool(first[i]), bool(second[i])) for i in ids])
    print(f"{len(ids)} sentences; holds a quotation: agreement {po:.3f}, kappa {k:.3f}")
    types = []
    for role in ["quote", "speaker", "cue"]:
        shared = total_a = total_b = 0
        for i in ids:
            tokens = detokenize(all_sentences[i])[1]

            def token_set(spans):
                return {t for t, (s, e) in enumerate(tokens) if any(s < y and x < e for x, y in spans)}

            a = [token_set(q[role]) for q in first[i]]
            b = [token_set(q[role]) for q in second[i]]
            total_a += sum(map(len, a))
            total_b += sum(map(len, b))
            shared += sum(s for _, _, s in paired(a, b))
            if role == "quote":
                types += [(first[i][x]["type"], second[i][y]["type"]) for x, y, _ in paired(a, b)]
        p, r = shared / max(total_b, 1), shared / max(total_a, 1)
        print(f"{role}: {shared} tokens shared one to one, F1 {2 * p * r / (p + r) if p + r else 0:.3f}")
    po, k = kappa(types)
    print(f"type of {len(types)} paired quotations: agreement {po:.3f}, kappa {k:.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
    ap.add_argument("--seed", type=int, default=23)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--packs", metavar="DIR", help="write the labelling packs to DIR")
    mode.add_argument("--examples", action="store_true", help="print the guidelines' reference examples")
    mode.add_argument("--check", nargs=2, metavar=("PACK", "LABELS"), help="check a labeller's file")
    mode.add_argument("--assemble", nargs="+", metavar="LABELS", help="labellers' files to reference lines")
    mode.add_argument("--build", metavar="REFS", help="reference lines to a wikinews-quotes training file")
    mode.add_argument("--agreement", nargs=2, metavar=("FIRST", "SECOND"), help="agreement of two labellings")
    args = ap.parse_args()
    for name, run in [("packs", packs), ("examples", examples), ("check", check), ("assemble", assemble), ("build", build), ("agreement", agreement)]:
        if getattr(args, name):
            run(args)


if __name__ == "__main__":
    main()
