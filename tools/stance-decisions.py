#!/usr/bin/env python3
"""Two decisions around the stance head, measured on dumped head inputs: a polar threshold per
class instead of one, and the head deciding the targets a frame names (where the rules decide
now). The recipe, calibration and scoring are those of `tools/stance-inputs.py` (softmax
regression, class-balanced, L2 0.1, 400 Adam steps; temperature and thresholds chosen on dev;
held-out only scored). Needs torch (CPU); deterministic.

    python3 tools/stance-decisions.py DUMPS

DUMPS holds train, train-sentences, dev and heldout .jsonl as `lesart train stance --dump`
writes them (see tools/stance-inputs.py). Prints dev and held-out macro-F1 (and favor
precision) for one threshold against one per class, the favor threshold swept with the against
threshold kept, and the rules against the head on framed targets.
"""
import importlib.util
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("stance_inputs", os.path.join(HERE, "stance-inputs.py"))
si = importlib.util.module_from_spec(spec)
spec.loader.exec_module(si)
GRID = [0.30 + 0.025 * k for k in range(25)]
TRAIN = ("train", "train-sentences")


def scores(gold, pred):
    f1, favor_p = [], 0.0
    for c in range(3):
        tp = np.sum((gold == c) & (pred == c))
        p, r = tp / max(np.sum(pred == c), 1), tp / max(np.sum(gold == c), 1)
        f1.append(2 * p * r / (p + r) if p + r else 0.0)
        favor_p = p if c == 0 else favor_p
    return float(np.mean(f1)), float(favor_p)


def temperature(model, x, meta, decided):
    logits, gold = torch.tensor(model(x[decided])), torch.tensor(meta[0][decided])
    return min(np.arange(0.3, 4, 0.02), key=lambda t: torch.nn.functional.cross_entropy(logits / t, gold).item())


def probabilities(model, x, t):
    logits = model(x) / t
    p = np.exp(logits - logits.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True)


def labels(p, meta, favor_t, against_t, rules_on_frames=True):
    _, found, framed, rule = meta
    polar = np.where(p[:, 0] >= p[:, 1], 0, 1)
    top = p[np.arange(len(p)), polar]
    pred = np.where(top >= np.where(polar == 0, favor_t, against_t), polar, 2)
    if rules_on_frames:
        pred = np.where(framed, rule, pred)
    return np.where(found, pred, 2)


def fit(data, with_frames):
    x = np.concatenate([data[s][0] for s in TRAIN])
    label = np.concatenate([data[s][1][0] for s in TRAIN])
    found = np.concatenate([data[s][1][1] for s in TRAIN])
    framed = np.concatenate([data[s][1][2] for s in TRAIN])
    keep = found if with_frames else found & ~framed
    torch.manual_seed(0)
    return si.fit(x[keep], label[keep], 0.1)


def main():
    data = {s: si.load(sys.argv[1], s) for s in si.SETS}
    (dx, dm), (hx, hm) = data["dev"], data["heldout"]
    model = fit(data, False)
    t = temperature(model, dx, dm, dm[1] & ~dm[2])
    pd, ph = probabilities(model, dx, t), probabilities(model, hx, t)
    one = max(GRID, key=lambda th: scores(dm[0], labels(pd, dm, th, th))[0])
    pair = max(((f, a) for f in GRID for a in GRID), key=lambda fa: scores(dm[0], labels(pd, dm, *fa))[0])
    for name, (f, a) in (("one threshold", (one, one)), ("one per class", pair)):
        d, h = scores(dm[0], labels(pd, dm, f, a)), scores(hm[0], labels(ph, hm, f, a))
        print(f"{name:16s} favor {f:.3f} against {a:.3f}: dev {d[0]:.3f} (favor P {d[1]:.3f})  held-out {h[0]:.3f} (favor P {h[1]:.3f})")
    for f in GRID[::2]:
        d, h = scores(dm[0], labels(pd, dm, f, one)), scores(hm[0], labels(ph, hm, f, one))
        print(f"  favor at {f:.3f}: dev {d[0]:.3f} (P {d[1]:.3f})  held-out {h[0]:.3f} (P {h[1]:.3f})")
    print(f"framed targets: {int((dm[1] & dm[2]).sum())} dev, {int((hm[1] & hm[2]).sum())} held-out")
    head = fit(data, True)
    t = temperature(head, dx, dm, dm[1])
    pd, ph = probabilities(head, dx, t), probabilities(head, hx, t)
    th = max([0.0] + GRID, key=lambda v: scores(dm[0], labels(pd, dm, v, v, False))[0])
    d, h = scores(dm[0], labels(pd, dm, th, th, False)), scores(hm[0], labels(ph, hm, th, th, False))
    print(f"the head decides framed targets too: dev {d[0]:.3f}  held-out {h[0]:.3f} (rules decide them: see 'one threshold')")


if __name__ == "__main__":
    main()
