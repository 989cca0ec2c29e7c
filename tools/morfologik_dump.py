#!/usr/bin/env python3
"""Dump a morfologik dictionary (CFSA2 automaton + .info) as `form<TAB>lemma<TAB>tag` lines.

The automaton stores one byte sequence per analysis: form, separator, encoded lemma, separator,
tag. The lemma is encoded relative to the form by the encoder named in the .info file
(SUFFIX, PREFIX, INFIX or NONE). Format reference: morfologik-stemming, CFSA2.java and the
sequence encoders in morfologik-stemming's `morfologik.stemming` package.

Usage: morfologik_dump.py DICT [INFO] > out.tsv
"""

import sys
from pathlib import Path

CFSA2_VERSION = 0xC6
BIT_TARGET_NEXT = 1 << 7
BIT_LAST_ARC = 1 << 6
BIT_FINAL_ARC = 1 << 5
LABEL_INDEX_MASK = (1 << 5) - 1
FLAG_NUMBERS = 1 << 8
REMOVE_EVERYTHING = 255


class FormatError(Exception):
    pass


class CFSA2:
    def __init__(self, data: bytes):
        if data[:4] != b"\\fsa":
            raise FormatError("not a morfologik automaton (bad magic)")
        if data[4] != CFSA2_VERSION:
            raise FormatError(f"automaton version {data[4]:#x} is not CFSA2 (0xc6)")
        flags = int.from_bytes(data[5:7], "big")
        self.has_numbers = bool(flags & FLAG_NUMBERS)
        size = data[7]
        self.label_map = data[8 : 8 + size]
        self.arcs = data[8 + size :]

    def _vint(self, off):
        arcs = self.arcs
        b = arcs[off]
        value = b & 0x7F
        shift = 7
        while b & 0x80:
            off += 1
            b = arcs[off]
            value |= (b & 0x7F) << shift
            shift += 7
        return value

    def _skip_vint(self, off):
        while self.arcs[off] & 0x80:
            off += 1
        return off + 1

    def first_arc(self, node):
        return self._skip_vint(node) if self.has_numbers else node

    def label(self, arc):
        idx = self.arcs[arc] & LABEL_INDEX_MASK
        return self.label_map[idx] if idx > 0 else self.arcs[arc + 1]

    def _skip_arc(self, off):
        flag = self.arcs[off]
        off += 1
        if flag & LABEL_INDEX_MASK == 0:
            off += 1
        if flag & BIT_TARGET_NEXT == 0:
            off = self._skip_vint(off)
        return off

    def is_last(self, arc):
        return self.arcs[arc] & BIT_LAST_ARC != 0

    def is_final(self, arc):
        return self.arcs[arc] & BIT_FINAL_ARC != 0

    def next_arc(self, arc):
        return 0 if self.is_last(arc) else self._skip_arc(arc)

    def target(self, arc):
        flag = self.arcs[arc]
        if flag & BIT_TARGET_NEXT:
            while not self.is_last(arc):
                arc = self.next_arc(arc)
            return self._skip_arc(arc)
        return self._vint(arc + (2 if flag & LABEL_INDEX_MASK == 0 else 1))

    def root(self):
        # Node 0 is a dummy whose only arc leads to the real root.
        return self.target(self.first_arc(0))

    def sequences(self):
        """Yields every accepted byte sequence, depth first."""
        path = bytearray()
        stack = [self.first_arc(self.root())]
        while stack:
            arc = stack[-1]
            if arc == 0:
                stack.pop()
                if path:
                    path.pop()
                continue
            stack[-1] = self.next_arc(arc)
            path.append(self.label(arc))
            if self.is_final(arc):
                yield bytes(path)
            dest = self.target(arc)
            if dest != 0:
                stack.append(self.first_arc(dest))
            else:
                path.pop()


def read_info(path: Path):
    props = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        props[key.strip()] = value.strip()
    return props


def _code(b):
    return (b - ord("A")) & 0xFF


def decode_lemma(encoder, form: bytes, enc: bytes) -> bytes:
    if encoder == "NONE":
        return enc
    if encoder == "SUFFIX":
        k = _code(enc[0])
        stem = b"" if k == REMOVE_EVERYTHING else form[: len(form) - k]
        return stem + enc[1:]
    if encoder == "PREFIX":
        p, k = _code(enc[0]), _code(enc[1])
        if p == REMOVE_EVERYTHING or k == REMOVE_EVERYTHING:
            return enc[2:]
        return form[p : len(form) - k] + enc[2:]
    if encoder == "INFIX":
        x, length, k = _code(enc[0]), _code(enc[1]), _code(enc[2])
        if length == REMOVE_EVERYTHING or k == REMOVE_EVERYTHING:
            return enc[3:]
        stem = form[:x] + form[x + length :]
        return stem[: len(stem) - k] + enc[3:]
    raise FormatError(f"unknown encoder {encoder}")


def keep(form: str, tag: str) -> bool:
    """Drops entries no single token can match and commented-out source lines."""
    if form.startswith("#") or any(c.isspace() for c in form + tag):
        return False
    return any(c.isalnum() for c in form)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    dict_path = Path(sys.argv[1])
    info_path = Path(sys.argv[2]) if len(sys.argv) > 2 else dict_path.with_suffix(".info")
    props = read_info(info_path)
    sep = props.get("fsa.dict.separator", "+").encode("utf-8")
    if len(sep) != 1:
        sys.exit(f"separator {sep!r} is not one byte")
    encoding = props.get("fsa.dict.encoding", "utf-8")
    encoder = props.get("fsa.dict.encoder", "SUFFIX").upper()
    fsa = CFSA2(dict_path.read_bytes())
    out = sys.stdout.buffer
    count = 0
    skipped = 0
    for seq in fsa.sequences():
        parts = seq.split(sep, 2)
        if len(parts) != 3:
            raise FormatError(f"sequence without two separators: {seq!r}")
        form, enc, tag = parts
        lemma = decode_lemma(encoder, form, enc)
        form_s, lemma_s, tag_s = (x.decode(encoding) for x in (form, lemma, tag))
        if not keep(form_s, tag_s):
            skipped += 1
            continue
        line = "\t".join((form_s, lemma_s, tag_s))
        out.write(line.encode("utf-8") + b"\n")
        count += 1
    print(f"{count} analyses written, {skipped} skipped", file=sys.stderr)


if __name__ == "__main__":
    main()
