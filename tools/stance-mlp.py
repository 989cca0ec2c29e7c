#!/usr/bin/env python3
"""Does a hidden layer help the stance head? Fits, on the dumped head inputs, the shipped recipe
(softmax regression, class-balanced, L2 0.1, 400 full-batch Adam steps) and one-hidden-layer
networks (ReLU, optional dropout), calibrates each on dev as `lesart train stance` does
(temperature by least negative log-likelihood on the pairs the head decides, then the polar
threshold for dev macro-F1) and scores dev and held-out as `lesart eval stance` does (no target:
neutral; a frame: the rules' label). Held-out is only scored. Deterministic (seeded).

    for s in train dev heldout; do
        lesart train stance --gold tests/data/stance-$s.jsonl --dump target/stance-dumps/$s.jsonl
    done
    python3 tools/stance-mlp.py target/stance-dumps      # needs numpy; about 4 minutes on two cores
    # more training dumps of the same folder by name (e.g. the sentence pairs):
    python3 tools/stance-mlp.py target/stance-dumps sentences
"""
import json, sys, numpy as np
D = sys.argv[1]
def load(name):
    P = [json.loads(l) for l in open(f"{D}/{name}.jsonl")]
    P = [p for p in P if not p.get("newsmtsc")]
    X = np.array([p["features"] for p in P], dtype=np.float32)
    return P, X
tr, Xtr = load("train"); dv, Xdv = load("dev"); ho, Xho = load("heldout")
for extra in sys.argv[2:]:
    more, Xmore = load(extra)
    tr += more; Xtr = np.concatenate([Xtr, Xmore])
ytr = np.array([p["label"] for p in tr])
mean = Xtr.mean(0); sd = Xtr.std(0); inv = 1.0 / (sd + 1e-4)
Z = lambda X: (X - mean) * inv
Ztr, Zdv, Zho = Z(Xtr), Z(Xdv), Z(Xho)
counts = np.bincount(ytr, minlength=3); cw = len(ytr) / (3 * counts)
sw = cw[ytr]; sw_sum = sw.sum()
Y = np.eye(3, dtype=np.float32)[ytr]

def adam(params, grads_fn, steps, lr):
    m = [np.zeros_like(p) for p in params]; v = [np.zeros_like(p) for p in params]
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(1, steps + 1):
        g = grads_fn(params)
        for i, p in enumerate(params):
            m[i] = b1 * m[i] + (1 - b1) * g[i]; v[i] = b2 * v[i] + (1 - b2) * g[i] ** 2
            mh = m[i] / (1 - b1 ** t); vh = v[i] / (1 - b2 ** t)
            p -= lr * mh / (np.sqrt(vh) + eps)
    return params

def softmax(l):
    l = l - l.max(1, keepdims=True); e = np.exp(l); return e / e.sum(1, keepdims=True)

def fit_linear(l2, steps=400, lr=1e-2):
    W = np.zeros((Ztr.shape[1], 3), np.float32); b = np.zeros(3, np.float32)
    def g(ps):
        W, b = ps
        P = softmax(Ztr @ W + b)
        d = (P - Y) * (sw / sw_sum)[:, None]
        return [Ztr.T @ d + 2 * l2 * W, d.sum(0)]
    W, b = adam([W, b], g, steps, lr)
    return lambda Zx: Zx @ W + b

def fit_mlp(h, l2, steps, lr=1e-3, seed=1, drop=0.0):
    rng = np.random.default_rng(seed)
    F = Ztr.shape[1]
    W1 = (rng.standard_normal((F, h)) * np.sqrt(2.0 / F)).astype(np.float32); b1 = np.zeros(h, np.float32)
    W2 = (rng.standard_normal((h, 3)) * np.sqrt(1.0 / h)).astype(np.float32); b2 = np.zeros(3, np.float32)
    def g(ps):
        W1, b1, W2, b2 = ps
        A = Ztr @ W1 + b1; H = np.maximum(A, 0)
        if drop > 0:
            mask = (rng.random(H.shape) >= drop).astype(np.float32) / (1 - drop); H = H * mask
        P = softmax(H @ W2 + b2)
        d = (P - Y) * (sw / sw_sum)[:, None]
        gW2 = H.T @ d + 2 * l2 * W2; gb2 = d.sum(0)
        dH = d @ W2.T; dH[A <= 0] = 0
        if drop > 0: dH *= mask
        gW1 = Ztr.T @ dH + 2 * l2 * W1; gb1 = dH.sum(0)
        return [gW1, gb1, gW2, gb2]
    W1, b1, W2, b2 = adam([W1, b1, W2, b2], g, steps, lr)
    return lambda Zx: np.maximum(Zx @ W1 + b1, 0) @ W2 + b2

def macro(conf):
    f = []
    for c in range(3):
        tp = conf[c, c]; p = conf[:, c].sum(); r = conf[c, :].sum()
        pr = tp / p if p else 0; rc = tp / r if r else 0
        f.append(2 * pr * rc / (pr + rc) if pr + rc else 0)
    return np.mean(f), (conf[0, 0] / conf[:, 0].sum() if conf[:, 0].sum() else 0)

def label_of(p, th):
    polar = 0 if p[0] >= p[1] else 1
    wins = p[polar] >= th if th > 0 else p[polar] >= p[2]
    return polar if wins else 2

def score(P, L, T, th):
    conf = np.zeros((3, 3), int)
    for p, l in zip(P, L):
        if not p["found"]: lab = 2
        elif p["framed"]: lab = p["rule_label"]
        else: lab = label_of(softmax((l / T)[None])[0], th)
        conf[p["label"], lab] += 1
    return macro(conf)

def evaluate(name, f):
    Ldv, Lho = f(Zdv), f(Zho)
    dec = [i for i, p in enumerate(dv) if p["found"] and not p["framed"]]
    ld = Ldv[dec]; yd = np.array([dv[i]["label"] for i in dec])
    best_t = min((k * 0.05 for k in range(5, 101)), key=lambda t: -np.log(np.maximum(softmax(ld / t)[np.arange(len(yd)), yd], 1e-12)).sum())
    ths = [0] + [0.3 + 0.025 * k for k in range(25)]
    best_th = max(ths, key=lambda th: score(dv, Ldv, best_t, th)[0])
    d = score(dv, Ldv, best_t, best_th); h = score(ho, Lho, best_t, best_th)
    print(f"{name:40s} dev {d[0]:.3f} (favP {d[1]:.3f})  held-out {h[0]:.3f} (favP {h[1]:.3f})  T {best_t:.2f} th {best_th:.3f}", flush=True)

evaluate("linear l2 0.1 (shipped recipe)", fit_linear(0.1))
for h, l2, steps, drop in [(64, 1e-3, 300, 0.0), (64, 1e-2, 300, 0.0), (128, 1e-2, 300, 0.3), (32, 1e-2, 400, 0.0), (128, 3e-2, 300, 0.5)]:
    evaluate(f"mlp h{h} l2 {l2} steps {steps} drop {drop}", fit_mlp(h, l2, steps, drop=drop))
