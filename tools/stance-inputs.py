#!/usr/bin/env python3
"""Which vectors should the stance head read? Fits the shipped recipe (softmax regression,
class-balanced, L2 on the standardised inputs, 400 full-batch Adam steps from zero) to dumped
head inputs built in other ways, calibrates each on dev as `lesart train stance` does
(temperature by least negative log-likelihood on the pairs the head decides, then the polar
threshold for dev macro-F1) and scores dev and held-out as `lesart eval stance` does (no target:
neutral; a frame: the rules' label). Held-out is only scored. Needs torch (CPU); deterministic.

The dumps hold 4 × 384 vector means (target, context, sentence, evidence) and the 12 rule
signals. SIDE is a folder of dumps as shipped (mean of layers 4–7); LAST a folder of dumps of the
same pairs from a build whose `rule_stances` (src/stance/mod.rs) passes `&v.last` instead of
`&v.side` to `pair_features` (the last layer, which the NER head reads):

    for s in train train-sentences dev heldout; do
        lesart train stance --gold tests/data/stance-$s.jsonl --dump SIDE/$s.jsonl
    done                     # and the same with the edited build into LAST
    python3 tools/stance-inputs.py SIDE LAST    # side, last, both, mean; products of side blocks

Inputs compared: `side` (shipped), `last`, `both` (side blocks, then last blocks), `mean` (of
the two per block), and the side inputs with products of blocks added (`target×sentence`,
`target×evidence`, `target×context`, `context×evidence`, all four); each at L2 0.1 and 0.3.
"""
import json, sys
import numpy as np
import torch

DIM, BLOCKS, SIGNALS = 384, 4, 12
SETS = ["train", "train-sentences", "dev", "heldout"]


def load(folder, name):
    rows = [json.loads(l) for l in open(f"{folder}/{name}.jsonl")]
    rows = [r for r in rows if r.get("label") is not None and not r.get("newsmtsc")]
    x = np.array([r["features"] for r in rows], dtype=np.float32)
    meta = [np.array([r[k] for r in rows]) for k in ("label", "found", "framed", "rule_label")]
    return x, meta


def fit(x, y, l2):
    mean, sd = x.mean(0), x.std(0)
    z = torch.tensor((x - mean) / (sd + 1e-4))
    yy = torch.tensor(y)
    counts = np.bincount(y, minlength=3)
    weight = torch.tensor(len(y) / (3 * counts), dtype=torch.float32)[yy]
    w = torch.zeros(x.shape[1], 3, requires_grad=True)
    b = torch.zeros(3, requires_grad=True)
    opt = torch.optim.Adam([w, b], lr=1e-2)
    for _ in range(400):
        opt.zero_grad()
        nll = -(torch.log_softmax(z @ w + b, 1).gather(1, yy[:, None])[:, 0] * weight).sum() / weight.sum()
        (nll + l2 * (w**2).sum()).backward()
        opt.step()
    return lambda x: ((torch.tensor((x - mean) / (sd + 1e-4)) @ w + b).detach().numpy())


def decide(logits, temperature, threshold):
    p = np.exp(logits / temperature - (logits / temperature).max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    polar = np.where(p[:, 0] >= p[:, 1], 0, 1)
    top = p[np.arange(len(p)), polar]
    wins = top >= threshold if threshold > 0 else top >= p[:, 2]
    return np.where(wins, polar, 2)


def macro_f1(gold, pred):
    f1 = []
    for c in range(3):
        tp = np.sum((gold == c) & (pred == c))
        p, r = tp / max(np.sum(pred == c), 1), tp / max(np.sum(gold == c), 1)
        f1.append(2 * p * r / (p + r) if p + r else 0.0)
    return float(np.mean(f1))


def score(model, x, meta, temperature, threshold):
    label, found, framed, rule = meta
    pred = decide(model(x), temperature, threshold)
    pred = np.where(found, np.where(framed, rule, pred), 2)
    return macro_f1(label, pred)


def run(name, data, l2):
    train = [data[s] for s in ("train", "train-sentences")]
    x = np.concatenate([t[0] for t in train])
    label = np.concatenate([t[1][0] for t in train])
    keep = np.concatenate([t[1][1] & ~t[1][2] for t in train])
    model = fit(x[keep], label[keep], l2)
    dx, dmeta = data["dev"]
    decided = dmeta[1] & ~dmeta[2]
    logits, gold = torch.tensor(model(dx[decided])), torch.tensor(dmeta[0][decided])
    temperature = min(np.arange(0.3, 4, 0.02), key=lambda t: torch.nn.functional.cross_entropy(logits / t, gold).item())
    threshold = max([0.0] + [0.30 + 0.025 * k for k in range(25)], key=lambda t: score(model, dx, dmeta, temperature, t))
    dev = score(model, dx, dmeta, temperature, threshold)
    held = score(model, *data["heldout"], temperature, threshold)
    print(f"{name:22s} L2 {l2}: dev {dev:.3f}  held-out {held:.3f}", flush=True)


def main():
    torch.manual_seed(0)
    side = {s: load(sys.argv[1], s) for s in SETS}
    last = {s: load(sys.argv[2], s) for s in SETS} if len(sys.argv) > 2 else None
    vec = BLOCKS * DIM

    def block(x, k):
        return x[:, k * DIM : (k + 1) * DIM]

    ways = {"side": lambda s, l: s}
    if last:
        ways["last"] = lambda s, l: l
        ways["both"] = lambda s, l: np.concatenate([s[:, :vec], l[:, :vec], s[:, vec:]], 1)
        ways["mean"] = lambda s, l: np.concatenate([(s[:, :vec] + l[:, :vec]) / 2, s[:, vec:]], 1)
    products = {"target×sentence": [(0, 2)], "target×evidence": [(0, 3)], "target×context": [(0, 1)], "context×evidence": [(1, 3)]}
    products["all four"] = [p for ps in list(products.values()) for p in ps]
    for name, pairs in products.items():
        ways[name] = lambda s, l, pairs=pairs: np.concatenate([s] + [block(s, a) * block(s, b) for a, b in pairs], 1)
    for name, way in ways.items():
        data = {s: (way(side[s][0], last[s][0] if last else None), side[s][1]) for s in SETS}
        for l2 in (0.1, 0.3):
            run(name, data, l2)


if __name__ == "__main__":
    main()
