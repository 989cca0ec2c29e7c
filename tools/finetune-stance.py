#!/usr/bin/env python3
"""Fine-tune lesart's encoder layers for stance, with the NER objective kept, and export them.

lesart's stance head is a softmax regression over the mean vectors (of the tuned encoder's
layers 4-7) of a target's tokens, its context, its sentence and the rules' evidence, plus the
rules' 12 signals. On frozen vectors it stops near dev macro-F1 0.65. This script fine-tunes
the encoder layers end to end through that head, on the labelled German pairs, while the NER
classifier keeps training on GermEval 2014 train (one NER batch per stance batch), so that the
one encoder pass keeps serving both. It starts from what lesart ships (`models/ner/encoder.gguf`,
`models/ner/head.bin`, `models/stance/head.bin`), so the heads start where they are.

  train   dumps (`lesart train stance --gold tests/data/stance-{train,dev}.jsonl --dump ...`,
          which carry each pair's sentence and the tokens its input pools) + GermEval train
          -> tuned layers and NER classifier (.npz) and a log with the head's dev macro-F1 per
          epoch. The held-out pairs are never read.
  export  .npz -> models/ner/encoder.gguf and models/ner/head.bin (the stance head and the
          quotation model are then refitted by lesart on the new vectors:
          `lesart train stance`, `lesart train quotes`).

Usage (what docs/measurements.md reports; about 20 minutes on two CPU cores with torch's CPU build): `tools/finetune-stance.sh`, which makes the dumps, runs
  python3 tools/finetune-stance.py train --train DUMPS/train.jsonl --dev DUMPS/dev.jsonl --out DIR
then exports each epoch into a copy of models/ (`export --tuned DIR/tuned-epochN.npz --models COPY`)
and scores it there: NER on GermEval dev, and the stance head refitted on the new vectors, on dev
and held-out.

`--quotes wikinews-quotes/train.jsonl` adds a third objective: every word of a sentence tagged with
the quotation roles it lies in (cue, source, message, addressee, frame), by a linear tagger over
its two vectors, fitted first to the frozen vectors (`--quote-warm` sentences) and then trained
with the rest; the held-out seventh of that file is not read, nor are the articles of the stance
gold files given with `--exclude-gold` (held-out), and stance pairs from the held-out seventh are
left out of the stance objective. `--quotes-dev` logs the tagger's token F1 on dev per epoch.
Needs: pip install numpy tokenizers gguf torch (the CPU suffices).
"""
import argparse
import importlib.util
import json
import math
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("finetune_ner", os.path.join(HERE, "finetune-ner.py"))
ft = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ft)

SIDE = range(4, 8)  # src/encode/mod.rs SIDE_LAYERS
WINDOW = 4  # src/stance/head.rs WINDOW
SIGNALS = 12  # RuleSignals::LEN
MAX_SUBWORDS = 510
NER_LABELS = 17
STANCE_MAGIC = b"LESSTNC\0"


def dequantize_q8_0(raw, rows, cols):
    blocks = np.asarray(raw, dtype=np.uint8).reshape(rows * cols // 32, ft.Q8_BLOCK)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    q = blocks[:, 2:].copy().view(np.int8).astype(np.float32)
    return (q * d).reshape(rows, cols)


def read_tuned(path):
    """Globals and layers of a tuned GGUF (Q8_0 matrices) as f32 arrays."""
    import gguf

    g = gguf.GGUFReader(path)
    out = {}
    for t in g.tensors:
        data = np.asarray(t.data)
        if t.tensor_type.name == "Q8_0":
            rows = data.shape[0]
            out[t.name] = dequantize_q8_0(data, rows, data.shape[1] // ft.Q8_BLOCK * 32)
        else:
            out[t.name] = data.astype(np.float32)
    out["n_layers"] = int(g.fields["e5.block_count"].parts[-1][0])
    return out


def base_config(models):
    import gguf

    g = gguf.GGUFReader(os.path.join(models, "encoder", "e5-small-q4_0.gguf"))
    emb = next(t for t in g.tensors if t.name == "token_embd.weight")
    raw = np.asarray(emb.data)
    table = ft.dequantize_q4_0(raw, raw.shape[0], raw.shape[1] // ft.Q4_BLOCK * 32)
    eps = float(g.fields["e5.attention.layer_norm_epsilon"].parts[-1][0])
    heads = int(g.fields["e5.attention.head_count"].parts[-1][0])
    return table, eps, heads


def read_floats(raw, offset, n):
    return np.frombuffer(raw, dtype="<f4", count=n, offset=offset).copy(), offset + 4 * n


def read_ner_head(path):
    raw = open(path, "rb").read()
    assert raw[:8] == ft.HEAD_MAGIC, path
    version, dim, labels = np.frombuffer(raw, dtype="<u4", count=3, offset=8)
    assert version == 1 and labels == NER_LABELS, (version, labels)
    off = 20
    fusion, off = read_floats(raw, off, 1)
    mean, off = read_floats(raw, off, dim)
    inv_sd, off = read_floats(raw, off, dim)
    w, off = read_floats(raw, off, 3 * dim * labels)
    b, off = read_floats(raw, off, labels)
    assert off == len(raw)
    return {"fusion": float(fusion[0]), "mean": mean, "inv_sd": inv_sd, "w": w.reshape(3, dim, labels), "b": b}


def write_ner_head(h, path):
    dim = h["mean"].shape[0]
    out = ft.HEAD_MAGIC + np.array([1, dim, NER_LABELS], dtype="<u4").tobytes() + np.array([h["fusion"]], dtype="<f4").tobytes()
    for k in ("mean", "inv_sd", "w", "b"):
        out += np.asarray(h[k], dtype="<f4").tobytes()
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, path)


def read_stance_head(path):
    raw = open(path, "rb").read()
    assert raw[:8] == STANCE_MAGIC, path
    version, n = np.frombuffer(raw, dtype="<u4", count=2, offset=8)
    assert version == 2, version
    off = 16
    mean, off = read_floats(raw, off, n)
    inv_sd, off = read_floats(raw, off, n)
    w, off = read_floats(raw, off, n * 3)
    b, off = read_floats(raw, off, 3)
    return {"mean": mean, "inv_sd": inv_sd, "w": w.reshape(n, 3), "b": b}


def ner_label_index(tag):
    """GermEval's outer tag -> lesart's label (src/ner/model.rs): O, then per type PER, LOC, ORG,
    OTH (MISC) plain and derived (GermEval's `deriv` and `part`), B and I."""
    if tag == "O":
        return 0
    bio, rest = tag.split("-", 1)
    derived = rest.endswith("deriv") or rest.endswith("part")
    ty = rest[:3]
    return 1 + (ft.LESART_TYPES.index(ty) * 2 + int(derived)) * 2 + int(bio == "I")


def load_pairs(path, tok, gold=None):
    """Dumped pairs grouped by sentence: [(ids, word_of, n_tokens, words_mask, [pair...])]. With
    `gold` (the file the dump was made from, line for line), pairs from the held-out seventh of
    wikinews-quotes train are left out, so that the quotation figures there stay unseen."""
    groups, index = [], {}
    lines = open(path, encoding="utf-8").read().splitlines()
    keep = [True] * len(lines)
    if gold:
        golds = [json.loads(g) for g in open(gold, encoding="utf-8").read().splitlines()]
        if len(golds) != len(lines):
            sys.exit(f"{path} has {len(lines)} pairs, {gold} {len(golds)}: not its dump")
        keep = [not (g["corpus"] == "wikinews-quotes/train.jsonl" and g["doc"] % HELDOUT_EVERY == HELDOUT_AT) for g in golds]
    for line, kept in zip(lines, keep):
        if not kept:
            continue
        p = json.loads(line)
        if p.get("non_target"):
            continue  # a candidate labelled no target: it teaches lesart's actor part, not the encoder
        s = p.get("sentence")
        if s is None:
            sys.exit(f"{path}: a pair without its sentence (dump it with this lesart)")
        key = tuple(s["tokens"])
        if key not in index:
            forms = [w[:100] for w in s["tokens"]]
            ids, word_of = ft.align(tok, forms)
            ids, word_of = ids[:MAX_SUBWORDS], word_of[:MAX_SUBWORDS]
            words = [any(c.isalnum() for c in w) for w in s["tokens"]]
            index[key] = len(groups)
            groups.append((ids, word_of, len(s["tokens"]), words, []))
        ts, te = s["target"]
        groups[index[key]][4].append(
            {"ts": ts, "te": te, "evidence": s["evidence"], "signals": np.array(p["features"][-SIGNALS:], dtype=np.float32), "label": p["label"], "reference": np.array(p["features"][:-SIGNALS], dtype=np.float32)}
        )
    return groups


QUOTE_ROLES = ["cue", "speaker", "quote", "addressee", "frame"]
HELDOUT_EVERY, HELDOUT_AT = 7, 3  # src/modality/eval.rs: every seventh article is held out


def wikinews_train_docs(gold_paths):
    """Indices of the wikinews-quotes train articles that stance gold files draw pairs from."""
    docs = set()
    for path in gold_paths:
        for line in open(path, encoding="utf-8"):
            g = json.loads(line)
            if g["corpus"] == "wikinews-quotes/train.jsonl":
                docs.add(g["doc"])
    return docs


def load_quote_sentences(path, tok, skip_docs, split=True):
    """Sentences of a wikinews-quotes file, each word tagged with the quotation roles it lies in
    (cue, source, message, addressee, frame; several at once). With `split`, the held-out
    seventh of train.jsonl is left out; `skip_docs` are left out too."""
    out = []
    for index, line in enumerate(open(path, encoding="utf-8")):
        if (split and index % HELDOUT_EVERY == HELDOUT_AT) or index in skip_docs:
            continue
        a = json.loads(line)
        text = a["text"]
        spans = [[] for _ in QUOTE_ROLES]
        for q in a["quotations"]:
            for r, role in enumerate(QUOTE_ROLES):
                spans[r].extend(q[role])
        for s, e in a["sentences"]:
            inside = [t for t in a["tokens"] if t[0] >= s and t[1] <= e]
            if not inside or len(inside) > 150:
                continue
            tags = np.zeros((len(inside), len(QUOTE_ROLES)), dtype=np.float32)
            for r in range(len(QUOTE_ROLES)):
                for a0, a1 in spans[r]:
                    for k, (t0, t1) in enumerate(inside):
                        if t0 < a1 and a0 < t1:
                            tags[k, r] = 1.0
            ids, word_of = ft.align(tok, [text[t0:t1][:100] for t0, t1 in inside])
            if len(ids) <= 254:
                out.append((ids, word_of, len(inside), tags))
    return out


def pooling_rows(n, ts, te, words, evidence):
    """The token sets the head's four means pool (src/stance/head.rs `pair_features`)."""
    lo, hi = max(0, ts - WINDOW), min(n, te + WINDOW)
    context = [i for i in list(range(lo, ts)) + list(range(te, hi)) if words[i]]
    sentence = [i for i in range(n) if words[i]]
    return [list(range(ts, te)), context, sentence, [e for e in evidence if e < n]]


def train(args):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    from tokenizers import Tokenizer

    t_start = time.time()
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    log_path = os.path.join(args.out, "finetune-stance-log.jsonl")

    log = ft.json_logger(log_path, t_start)

    tok = Tokenizer.from_file(os.path.join(args.models, "encoder", "tokenizer.json"))
    table, eps, nh = base_config(args.models)
    emb_table = torch.tensor(table)
    tuned = read_tuned(os.path.join(args.models, "ner", "encoder.gguf"))
    n_layers = tuned["n_layers"]
    ner_head = read_ner_head(os.path.join(args.models, "ner", "head.bin"))
    st_head = read_stance_head(os.path.join(args.models, "stance", "head.bin"))
    if len(args.train_gold) != len(args.train):
        sys.exit("give one --train-gold per --train dump, in the same order")
    train_groups = [g for path, gold in zip(args.train, args.train_gold) for g in load_pairs(path, tok, gold if args.quotes else None)]
    # Articles with held-out stance pairs are not read for quotations.
    quotes = load_quote_sentences(args.quotes, tok, wikinews_train_docs(args.exclude_gold)) if args.quotes else []
    quote_dev = load_quote_sentences(args.quotes_dev, tok, set(), split=False) if args.quotes_dev else []
    dev_groups = load_pairs(args.dev, tok)
    ger = ft.read_conll(os.path.join(args.data, "germeval2014", "train.bio.tsv"), 0, 1)
    ner = []
    for words, tags in ger:
        ids, word_of = ft.align(tok, words)
        if len(ids) <= 254:
            ner.append((ids, word_of, len(words), [ner_label_index(t) for t in tags]))
    log({"quote_sentences": len(quotes), "stance_sentences": len(train_groups), "stance_pairs": sum(len(g[4]) for g in train_groups), "dev_pairs": sum(len(g[4]) for g in dev_groups), "ner_sentences": len(ner)})

    class Layer(nn.Module):
        def __init__(self, i):
            super().__init__()
            w = {m: (tuned[f"blk.{i}.{m}.weight"], tuned[f"blk.{i}.{m}.bias"]) for m in ft.LAYER_MATRICES + ft.LAYER_NORMS}
            self.lin, self.norms = ft.layer_modules(w, eps)

        def forward(self, x, mask, drop):
            b, n, h = x.shape
            hd = h // nh
            split = lambda t: t.view(b, n, nh, hd).transpose(1, 2)
            q, k, v = (split(self.lin[m](x)) for m in ("attn_q", "attn_k", "attn_v"))
            att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask
            ctx = F.dropout(att.softmax(-1), drop, self.training) @ v
            ctx = ctx.transpose(1, 2).reshape(b, n, h)
            x = self.norms["attn_output_norm"](x + F.dropout(self.lin["attn_output"](ctx), drop, self.training))
            mid = F.gelu(self.lin["ffn_up"](x))
            return self.norms["layer_output_norm"](x + F.dropout(self.lin["ffn_down"](mid), drop, self.training))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.pos = nn.Parameter(torch.tensor(tuned["position_embd.weight"]))
            self.typ = nn.Parameter(torch.tensor(tuned["token_types.weight"]))
            self.emb_norm = nn.LayerNorm(self.pos.shape[1], eps=eps)
            self.emb_norm.weight.data = torch.tensor(tuned["token_embd_norm.weight"])
            self.emb_norm.bias.data = torch.tensor(tuned["token_embd_norm.bias"])
            self.layers = nn.ModuleList([Layer(i) for i in range(n_layers)])
            self.ner = nn.Linear(384, NER_LABELS)
            self.ner.weight.data = torch.tensor(ner_head["w"][0].T.copy())
            self.ner.bias.data = torch.tensor(ner_head["b"])
            self.register_buffer("ner_mean", torch.tensor(ner_head["mean"]))
            self.register_buffer("ner_inv_sd", torch.tensor(ner_head["inv_sd"]))
            self.stance = nn.Linear(len(st_head["mean"]), 3)
            self.stance.weight.data = torch.tensor(st_head["w"].T.copy())
            self.stance.bias.data = torch.tensor(st_head["b"])
            self.register_buffer("st_mean", torch.tensor(st_head["mean"]))
            self.register_buffer("st_inv_sd", torch.tensor(st_head["inv_sd"]))
            self.roles = nn.Linear(2 * 384, len(QUOTE_ROLES))
            self.register_buffer("role_mean", torch.zeros(2 * 384))
            self.register_buffer("role_inv_sd", torch.ones(2 * 384))

        def encode(self, batch, drop):
            """Word vectors of a batch of (ids, word_of, n_words): last layer and side mean."""
            b = len(batch)
            n = max(len(s[0]) for s in batch) + 2
            ids = np.ones((b, n), dtype=np.int64)
            valid = np.zeros((b, n), dtype=bool)
            for r, s in enumerate(batch):
                m = len(s[0])
                ids[r, 0], ids[r, m + 1] = 0, 2
                ids[r, 1 : m + 1] = s[0]
                valid[r, : m + 2] = True
            mask = torch.zeros((b, 1, 1, n))
            mask[torch.tensor(~valid).view(b, 1, 1, n)] = float("-inf")
            ids = torch.tensor(ids)
            x = emb_table[ids] + self.pos[:n] + self.typ[0]
            x = F.dropout(self.emb_norm(x), drop, self.training)
            side = 0
            for i, layer in enumerate(self.layers):
                x = layer(x, mask, drop)
                if i in SIDE:
                    side = side + x
            side = side / len(SIDE)
            # Mean over each word's subwords (zeros for a word without one).
            idx, rows, base = [], [], 0
            for r, s in enumerate(batch):
                for k, w in enumerate(s[1]):
                    if w >= 0:
                        idx.append(base + w)
                        rows.append(r * n + 1 + k)
                base += s[2]
            idx, rows = torch.tensor(idx), torch.tensor(rows)
            out = []
            for t in (x, side):
                flat = t.reshape(b * n, -1)[rows]
                words = torch.zeros(base, flat.shape[1]).index_add(0, idx, flat)
                counts = torch.zeros(base).index_add(0, idx, torch.ones(len(idx)))
                out.append(words / counts.clamp(min=1).unsqueeze(1))
            return out

        def ner_logits(self, last, drop):
            return self.ner(F.dropout((last - self.ner_mean) * self.ner_inv_sd, drop, self.training))

        def stance_inputs(self, side, groups):
            feats, base = [], 0
            for g in groups:
                n, words = g[2], g[3]
                for p in g[4]:
                    parts = []
                    for rows in pooling_rows(n, p["ts"], p["te"], words, p["evidence"]):
                        if rows:
                            parts.append(side[base + torch.tensor(rows)].mean(0))
                        else:
                            parts.append(torch.zeros(side.shape[1]))
                    parts.append(torch.tensor(p["signals"]))
                    feats.append(torch.cat(parts))
                base += n
            return torch.stack(feats)

        def role_logits(self, last, side, drop):
            x = (torch.cat([last, side], 1) - self.role_mean) * self.role_inv_sd
            return self.roles(F.dropout(x, drop, self.training))

        def stance_logits(self, x, drop):
            return self.stance(F.dropout((x - self.st_mean) * self.st_inv_sd, drop, self.training))

    model = Model()

    def quote_dev_f1():
        """Token F1 of each quotation role on wikinews-quotes dev (the tagger, threshold 0.5)."""
        if not quote_dev:
            return None
        was_training = model.training
        model.eval()
        tp, pp, gp = (np.zeros(len(QUOTE_ROLES)) for _ in range(3))
        with torch.no_grad():
            for start in range(0, len(quote_dev), 64):
                batch = quote_dev[start : start + 64]
                last, side = model.encode(batch, 0.0)
                pred = (model.role_logits(last, side, 0.0) > 0).numpy()
                gold = np.concatenate([s[3] for s in batch]) > 0.5
                tp += (pred & gold).sum(0)
                pp += pred.sum(0)
                gp += gold.sum(0)
        model.train(was_training)
        return {r: round(float(2 * t / max(1, p + g)), 3) for r, t, p, g in zip(QUOTE_ROLES, tp, pp, gp)}

    # The starting vectors must be lesart's: compare the pooled inputs with the dumped ones.
    with torch.no_grad():
        model.eval()
        sample = dev_groups[:32]
        _, side = model.encode(sample, 0.0)
        x = model.stance_inputs(side, sample)[:, :-SIGNALS].numpy()
        ref = np.stack([p["reference"] for g in sample for p in g[4]])
        cos = (x * ref).sum(1) / (np.linalg.norm(x, axis=1) * np.linalg.norm(ref, axis=1) + 1e-9)
        log({"start_vs_lesart_cosine_min": round(float(cos.min()), 5), "mean": round(float(cos.mean()), 5)})
        if cos.mean() < 0.99:
            sys.exit("finetune-stance: the starting vectors are not lesart's (alignment or weights differ)")
        if quotes:
            # The role tagger is new: standardise its inputs and fit it to frozen vectors first,
            # so that the encoder is not pulled toward a head that knows nothing yet.
            vecs, tags = [], []
            for start in range(0, min(len(quotes), args.quote_warm), 64):
                batch = quotes[start : min(start + 64, args.quote_warm)]
                last, side = model.encode(batch, 0.0)
                vecs.append(torch.cat([last, side], 1))
                tags.append(torch.tensor(np.concatenate([s[3] for s in batch])))
            x, y = torch.cat(vecs), torch.cat(tags)
            model.role_mean.copy_(x.mean(0))
            model.role_inv_sd.copy_(1.0 / x.std(0).clamp(min=0.1))
            z = (x - model.role_mean) * model.role_inv_sd
            with torch.enable_grad():
                warm = torch.optim.Adam(model.roles.parameters(), lr=1e-2)
                for _ in range(300):
                    loss = F.binary_cross_entropy_with_logits(model.roles(z), y) + 1e-4 * model.roles.weight.pow(2).sum()
                    warm.zero_grad()
                    loss.backward()
                    warm.step()
            log({"role_warm_start_loss": round(loss.item(), 4), "words": len(y), "quote_dev_token_f1": quote_dev_f1()})

    counts = np.bincount([p["label"] for g in train_groups for p in g[4]], minlength=3).astype(np.float64)
    class_weight = torch.tensor(counts.sum() / (3 * counts), dtype=torch.float32)

    def dev_scores():
        model.eval()
        gold, pred, probs = [], [], []
        with torch.no_grad():
            for start in range(0, len(dev_groups), 32):
                groups = dev_groups[start : start + 32]
                _, side = model.encode(groups, 0.0)
                logits = model.stance_logits(model.stance_inputs(side, groups), 0.0)
                probs.append(logits.softmax(-1).numpy())
                gold.extend(p["label"] for g in groups for p in g[4])
        model.train()
        probs = np.concatenate(probs)
        pred = probs.argmax(1)
        gold = np.array(gold)
        f1 = []
        for c in range(3):
            tp = ((pred == c) & (gold == c)).sum()
            pp, gp = (pred == c).sum(), (gold == c).sum()
            f1.append(2 * tp / max(1, pp + gp))
        return float(np.mean(f1)), [round(float(v), 3) for v in f1]

    for layer in model.layers[: args.freeze]:
        for q in layer.parameters():
            q.requires_grad_(False)
    if args.freeze:
        for q in (model.pos, model.typ, *model.emb_norm.parameters()):
            q.requires_grad_(False)
    head_names = ("ner.", "stance.", "roles.")
    enc = [q for n_, q in model.named_parameters() if q.requires_grad and not n_.startswith(head_names)]
    heads = [q for n_, q in model.named_parameters() if n_.startswith(head_names)]
    opt = torch.optim.AdamW([{"params": enc, "lr": args.lr, "weight_decay": 0.01}, {"params": heads, "lr": args.head_lr, "weight_decay": 0.0}])
    steps_per_epoch = math.ceil(len(train_groups) / args.batch)
    total = steps_per_epoch * args.epochs
    warm = max(1, int(0.1 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / (total - warm))))
    f1, per = dev_scores()
    log({"epoch": 0, "dev_macro_f1": round(f1, 4), "dev_f1": per})
    ner_order = rng.permutation(len(ner))
    ner_pos = 0
    quote_order, quote_pos = rng.permutation(max(1, len(quotes))), 0
    model.train()
    for epoch in range(args.epochs):
        order = rng.permutation(len(train_groups))
        t0, s_loss, n_loss, q_loss = time.time(), 0.0, 0.0, 0.0
        for step in range(steps_per_epoch):
            groups = [train_groups[i] for i in order[step * args.batch : (step + 1) * args.batch]]
            _, side = model.encode(groups, args.dropout)
            y = torch.tensor([p["label"] for g in groups for p in g[4]])
            loss_s = F.cross_entropy(model.stance_logits(model.stance_inputs(side, groups), args.dropout), y, weight=class_weight)
            batch = []
            for _ in range(args.ner_batch):
                batch.append(ner[ner_order[ner_pos % len(ner)]])
                ner_pos += 1
            last, _ = model.encode(batch, args.dropout)
            yn = torch.tensor([t for s in batch for t in s[3]])
            loss_n = F.cross_entropy(model.ner_logits(last, args.dropout), yn)
            loss = loss_s + args.ner_weight * loss_n
            if quotes:
                batch = [quotes[quote_order[(quote_pos + k) % len(quotes)]] for k in range(args.quote_batch)]
                quote_pos += args.quote_batch
                last, side = model.encode(batch, args.dropout)
                yq = torch.tensor(np.concatenate([s[3] for s in batch]))
                loss_q = F.binary_cross_entropy_with_logits(model.role_logits(last, side, args.dropout), yq)
                loss = loss + args.quote_weight * loss_q
                q_loss += loss_q.item()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([q for q in model.parameters() if q.requires_grad], 1.0)
            opt.step()
            sched.step()
            s_loss += loss_s.item()
            n_loss += loss_n.item()
            if step % 50 == 0:
                log({"epoch": epoch + 1, "step": step, "stance_loss": round(s_loss / (step + 1), 4), "ner_loss": round(n_loss / (step + 1), 4), "quote_loss": round(q_loss / (step + 1), 4)})
        f1, per = dev_scores()
        log({"epoch": epoch + 1, "dev_macro_f1": round(f1, 4), "dev_f1": per, "stance_loss": round(s_loss / steps_per_epoch, 4), "ner_loss": round(n_loss / steps_per_epoch, 4), "quote_loss": round(q_loss / steps_per_epoch, 4), "quote_dev_token_f1": quote_dev_f1(), "epoch_s": round(time.time() - t0, 1)})
        save(model, n_layers, ner_head, os.path.join(args.out, f"tuned-epoch{epoch + 1}.npz"))


def save(model, n_layers, ner_head, path):
    sd = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
    out = {"n_layers": np.array(n_layers)}
    out.update(ft.encoder_arrays(sd, n_layers))
    w = ner_head["w"].copy()
    w[0] = sd["ner.weight"].T
    out["ner.w"], out["ner.b"] = w, sd["ner.bias"]
    out["ner.mean"], out["ner.inv_sd"], out["ner.fusion"] = ner_head["mean"], ner_head["inv_sd"], np.array(ner_head["fusion"])
    np.savez(path, **out)
    print(f"wrote {path}", file=sys.stderr)


def export(args):
    t = dict(np.load(args.tuned))
    n_layers = int(t["n_layers"])
    path = os.path.join(args.models, "ner", "encoder.gguf")
    tmp = path + ".tmp"
    ft.write_encoder_gguf(
        t,
        tmp,
        "multilingual-e5-small, layers fine-tuned for German NER (GermEval 2014) and stance",
        "MIT (multilingual-e5-small); tuned on GermEval 2014 (CC BY 4.0) and lesart's stance pairs (CC BY-NC-SA 4.0)",
    )
    os.replace(tmp, path)
    head = {"fusion": float(t["ner.fusion"]), "mean": t["ner.mean"], "inv_sd": t["ner.inv_sd"], "w": t["ner.w"], "b": t["ner.b"]}
    write_ner_head(head, os.path.join(args.models, "ner", "head.bin"))
    print(f"wrote {path} and ner/head.bin ({n_layers} layers)", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train")
    t.add_argument("--train", required=True, nargs="+", help="dumps of training pairs (with sentences)")
    t.add_argument("--dev", required=True, help="dumped dev pairs (with sentences)")
    t.add_argument("--models", default="models")
    t.add_argument("--data", default="../shared/data")
    t.add_argument("--out", required=True)
    t.add_argument("--epochs", type=int, default=3)
    t.add_argument("--lr", type=float, default=3e-5, help="step size of the encoder layers")
    t.add_argument("--head-lr", type=float, default=5e-4, help="step size of the two heads")
    t.add_argument("--batch", type=int, default=16, help="stance sentences per step")
    t.add_argument("--ner-batch", type=int, default=8, help="GermEval sentences per step")
    t.add_argument("--ner-weight", type=float, default=1.0)
    t.add_argument("--quotes", help="wikinews-quotes train.jsonl: tag quotation roles too (its held-out seventh is left out)")
    t.add_argument("--quotes-dev", help="wikinews-quotes dev.jsonl: log the role tagger's token F1 on it")
    t.add_argument("--train-gold", nargs="+", default=["tests/data/stance-train.jsonl"],
                   help="the gold files the --train dumps were made from, in their order (read with --quotes)")
    t.add_argument("--exclude-gold", action="append", default=[], help="with --quotes: stance gold files whose wikinews articles are not read for quotations (held-out)")
    t.add_argument("--quote-batch", type=int, default=12, help="quotation sentences per step")
    t.add_argument("--quote-weight", type=float, default=1.0)
    t.add_argument("--quote-warm", type=int, default=2000, help="quotation sentences the role tagger is first fitted to, frozen")
    t.add_argument("--dropout", type=float, default=0.1)
    t.add_argument("--freeze", type=int, default=0, help="lowest layers kept as they are")
    t.add_argument("--seed", type=int, default=13)
    e = sub.add_parser("export")
    e.add_argument("--tuned", required=True)
    e.add_argument("--models", default="models")
    args = ap.parse_args()
    {"train": train, "export": export}[args.cmd](args)


if __name__ == "__main__":
    main()
