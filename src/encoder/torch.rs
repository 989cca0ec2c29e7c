//! multilingual-e5-small through rust-bert's XLM-R (RoBERTa) model on libtorch: CPU, f32.
//!
//! There is no f32 checkpoint: [`TorchEncoder::load`] reads the GGUF file of
//! [`CandleEncoder`](super::CandleEncoder), dequantizes every tensor to f32 and
//! copies it by name into rust-bert's `BertModel<RobertaEmbeddings>` (no pooler),
//! so both backends run the same weights.
//!
//! Positions: XLM-R numbers the tokens of a sequence from `padding_idx + 1` = 2,
//! and rust-bert's `RobertaEmbeddings` does the same when it derives them from
//! the input ids. The GGUF table starts at that position (its row `i` is
//! position `i + 2`), so it fills rows 2.. of a table of `max_positions + 2`
//! rows. The encoder passes the ids `2 + i` itself rather than letting rust-bert
//! derive them, so that a pad id inside a sequence shifts nothing, as in candle.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rust_bert::bert::{BertConfig, BertModel};
use rust_bert::roberta::RobertaEmbeddings;
use rust_bert::Activation;
use tch::{nn, Device, Kind, Tensor};

use super::candle::Loader;
use super::{pad_batch, E5Config, Encoder, EncoderError, Padded, TokenMatrix, WeightMode};

/// The LayerNorm epsilon that rust-bert's BERT layers hard-code.
const RUST_BERT_EPS: f64 = 1e-12;
/// The GGUF name of the word-embedding table, which tuned files leave to the base model.
const WORD_EMBEDDINGS: &str = "token_embd.weight";
/// Position id of a sequence's first token (`padding_idx + 1`).
const FIRST_POSITION: usize = 2;

/// multilingual-e5-small on rust-bert / libtorch (CPU, f32).
///
/// libtorch runs each forward pass on its own thread pool (one thread per
/// physical core unless `OMP_NUM_THREADS` says otherwise). libtorch tensors
/// may not be shared between threads, so concurrent [`Encoder::encode`] calls
/// on one `TorchEncoder` take turns.
pub struct TorchEncoder {
    cfg: E5Config,
    model: Mutex<BertModel<RobertaEmbeddings>>,
}

/// One GGUF tensor and where it goes in rust-bert's variable store.
struct Mapping {
    gguf: String,
    var: String,
    quantized: bool,
    shape: Vec<usize>,
    /// First row of the variable the tensor fills (the position table starts at 2).
    first_row: usize,
}

/// GGUF names (as `CandleEncoder` reads them) → rust-bert variable names.
fn mappings(cfg: &E5Config) -> Vec<Mapping> {
    let (h, f) = (cfg.hidden, cfg.ffn);
    let m = |gguf: &str, var: &str, quantized: bool, shape: &[usize]| Mapping {
        gguf: gguf.to_string(),
        var: var.to_string(),
        quantized,
        shape: shape.to_vec(),
        first_row: 0,
    };
    let mut out = vec![
        m(WORD_EMBEDDINGS, "embeddings.word_embeddings.weight", true, &[cfg.vocab, h]),
        Mapping {
            first_row: FIRST_POSITION,
            ..m("position_embd.weight", "embeddings.position_embeddings.weight", false, &[cfg.max_positions, h])
        },
        m("token_types.weight", "embeddings.token_type_embeddings.weight", false, &[2, h]),
        m("token_embd_norm.weight", "embeddings.LayerNorm.weight", false, &[h]),
        m("token_embd_norm.bias", "embeddings.LayerNorm.bias", false, &[h]),
    ];
    for i in 0..cfg.layers {
        let (g, v) = (format!("blk.{i}"), format!("encoder.layer.{i}"));
        for (gguf, var, out_dim, in_dim) in [
            ("attn_q", "attention.self.query", h, h),
            ("attn_k", "attention.self.key", h, h),
            ("attn_v", "attention.self.value", h, h),
            ("attn_output", "attention.output.dense", h, h),
            ("ffn_up", "intermediate.dense", f, h),
            ("ffn_down", "output.dense", h, f),
        ] {
            out.push(m(&format!("{g}.{gguf}.weight"), &format!("{v}.{var}.weight"), true, &[out_dim, in_dim]));
            out.push(m(&format!("{g}.{gguf}.bias"), &format!("{v}.{var}.bias"), false, &[out_dim]));
        }
        for (gguf, var) in [("attn_output_norm", "attention.output.LayerNorm"), ("layer_output_norm", "output.LayerNorm")] {
            out.push(m(&format!("{g}.{gguf}.weight"), &format!("{v}.{var}.weight"), false, &[h]));
            out.push(m(&format!("{g}.{gguf}.bias"), &format!("{v}.{var}.bias"), false, &[h]));
        }
    }
    out
}

impl TorchEncoder {
    /// Loads the GGUF model written by `tools/convert-e5.py` into rust-bert's
    /// XLM-R model, every tensor dequantized to f32 (about 470 MB).
    ///
    /// Fails like [`CandleEncoder::load`](super::CandleEncoder::load): with
    /// [`EncoderError::Io`] if the file cannot be opened and with
    /// [`EncoderError::InvalidModel`] (naming the file and the reason) if it is
    /// not a GGUF file, is truncated, lacks or mis-shapes a tensor, or has
    /// hyper-parameters rust-bert cannot express.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, EncoderError> {
        let path = path.as_ref();
        let mut ld = Loader::open(path, WeightMode::DequantizedF32)?;
        let cfg = ld.config()?;
        Self::build(cfg, &mut ld, None)
    }

    /// Like [`CandleEncoder::load_tuned`](super::CandleEncoder::load_tuned): the word embeddings
    /// from `base`, everything else from the fine-tuned layers in `tuned`.
    pub fn load_tuned(base: impl AsRef<Path>, tuned: impl AsRef<Path>) -> Result<Self, EncoderError> {
        let mut ld = Loader::open(base.as_ref(), WeightMode::DequantizedF32)?;
        let mut cfg = ld.config()?;
        let mut tl = Loader::open(tuned.as_ref(), WeightMode::DequantizedF32)?;
        cfg.layers = tl.tuned_layers(&cfg)?;
        Self::build(cfg, &mut ld, Some(&mut tl))
    }

    /// The model for `cfg` with the word embeddings from `base` and the other tensors from
    /// `tuned` when given (else from `base` too).
    fn build(cfg: E5Config, base: &mut Loader<'_>, tuned: Option<&mut Loader<'_>>) -> Result<Self, EncoderError> {
        let ld = base;
        if (cfg.eps - RUST_BERT_EPS).abs() > 1e-15 {
            return Err(ld.err(format!("LayerNorm epsilon {:e}: rust-bert's BERT layers use {RUST_BERT_EPS:e}", cfg.eps)));
        }
        let int = |n: usize| i64::try_from(n).map_err(|_| ld.err(format!("hyper-parameter {n} too large")));
        let bert_cfg = BertConfig {
            hidden_act: Activation::gelu,
            attention_probs_dropout_prob: 0.0,
            hidden_dropout_prob: 0.0,
            hidden_size: int(cfg.hidden)?,
            initializer_range: 0.02,
            intermediate_size: int(cfg.ffn)?,
            max_position_embeddings: int(cfg.max_positions + FIRST_POSITION)?,
            num_attention_heads: int(cfg.heads)?,
            num_hidden_layers: int(cfg.layers)?,
            type_vocab_size: 2,
            vocab_size: int(cfg.vocab)?,
            output_attentions: None,
            output_hidden_states: None,
            is_decoder: None,
            id2label: None,
            label2id: None,
        };
        let mut vs = nn::VarStore::new(Device::Cpu);
        let model = BertModel::<RobertaEmbeddings>::new_with_optional_pooler(vs.root(), &bert_cfg, false);
        let vars = vs.variables();
        {
            let _no_grad = tch::no_grad_guard();
            let mut filled = HashSet::new();
            match tuned {
                None => copy_weights(ld, &cfg, &vars, |_| true, &mut filled)?,
                Some(tl) => {
                    copy_weights(ld, &cfg, &vars, |mp| mp.gguf == WORD_EMBEDDINGS, &mut filled)?;
                    copy_weights(tl, &cfg, &vars, |mp| mp.gguf != WORD_EMBEDDINGS, &mut filled)?;
                }
            }
            let mut missing: Vec<&String> = vars.keys().filter(|k| !filled.contains(*k)).collect();
            missing.sort();
            if let Some(first) = missing.first() {
                return Err(ld.err(format!("no tensor for rust-bert's variable `{first}` ({} unfilled)", missing.len())));
            }
        }
        vs.freeze();
        Ok(TorchEncoder { cfg, model: Mutex::new(model) })
    }

    /// The model's hyper-parameters.
    pub fn config(&self) -> &E5Config {
        &self.cfg
    }
}

/// Copies the GGUF tensors that `take` selects into their rust-bert variables, recording each
/// variable filled.
fn copy_weights(
    ld: &mut Loader<'_>,
    cfg: &E5Config,
    vars: &HashMap<String, Tensor>,
    take: impl Fn(&Mapping) -> bool,
    filled: &mut HashSet<String>,
) -> Result<(), EncoderError> {
    /// Rows copied at a time (1.5 MB of the embedding table).
    const CHUNK_ROWS: usize = 1024;
    let path = ld.path();
    for mp in mappings(cfg).into_iter().filter(|mp| take(mp)) {
        let what = format!("`{}` into rust-bert's `{}`", mp.gguf, mp.var);
        let var = vars.get(&mp.var).ok_or_else(|| ld.err(format!("rust-bert's model has no variable `{}` for `{}`", mp.var, mp.gguf)))?;
        let mut want: Vec<i64> = mp.shape.iter().map(|&d| d as i64).collect();
        want[0] += mp.first_row as i64;
        // copy_ broadcasts, so sizes are checked here rather than trusted.
        if var.size() != want {
            return Err(ld.err(format!("copying {what}: the variable has shape {:?}, expected {want:?}", var.size())));
        }
        let fail = |e: tch::TchError| EncoderError::invalid_model(path, format!("copying {what}: {e}"));
        if mp.first_row > 0 {
            let _rows = var.f_narrow(0, 0, mp.first_row as i64).and_then(|mut r| r.f_zero_()).map_err(fail)?;
        }
        let rest: Vec<i64> = want[1..].to_vec();
        ld.dequantized_chunks(&mp.gguf, mp.quantized, &mp.shape, CHUNK_ROWS, |start, data| {
            let copy = || -> Result<(), tch::TchError> {
                let src = Tensor::f_from_slice(data)?;
                if rest.is_empty() {
                    return var.f_narrow(0, (mp.first_row + start) as i64, data.len() as i64)?.f_copy_(&src);
                }
                let n = data.len() as i64 / rest.iter().product::<i64>();
                let shape: Vec<i64> = std::iter::once(n).chain(rest.iter().copied()).collect();
                var.f_narrow(0, (mp.first_row + start) as i64, n)?.f_copy_(&src.f_reshape(shape.as_slice())?)
            };
            copy().map_err(fail)
        })?;
        filled.insert(mp.var);
    }
    Ok(())
}

// The same trait over the same configuration as the candle backend, so the first lines of
// each method read alike; what the two share in substance (checking and padding a batch) is
// `pad_batch`, written once.
impl Encoder for TorchEncoder {
    fn dim(&self) -> usize {
        self.cfg.hidden
    }

    fn max_tokens(&self) -> usize {
        self.cfg.max_positions
    }

    fn encode(&self, batch: &[Vec<u32>]) -> Result<Vec<TokenMatrix>, EncoderError> {
        let Some(Padded { ids, real, rows: b, len: l }) = pad_batch(batch, self.cfg.max_positions, self.cfg.vocab, self.cfg.pad_id)? else {
            return Ok(Vec::new());
        };
        let h = self.cfg.hidden;
        let ids: Vec<i64> = ids.into_iter().map(i64::from).collect();
        let mask: Vec<i64> = real.into_iter().map(i64::from).collect();
        let positions: Vec<i64> = (0..b * l).map(|k| (FIRST_POSITION + k % l) as i64).collect();
        let shape = [b as i64, l as i64];
        let ids = Tensor::f_from_slice(&ids)?.f_reshape(shape)?;
        let mask = Tensor::f_from_slice(&mask)?.f_reshape(shape)?;
        let positions = Tensor::f_from_slice(&positions)?.f_reshape(shape)?;

        // The weights are only read, so a panic in another caller leaves the model usable.
        let model = self.model.lock().unwrap_or_else(PoisonError::into_inner);
        let _no_grad = tch::no_grad_guard();
        // rust-bert's layers call tch's panicking methods; the input is checked
        // above, so a panic here is a libtorch failure, reported as an error.
        let run = || model.forward_t(Some(&ids), Some(&mask), None, Some(&positions), None, None, None, false);
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(run))
            .map_err(|p| EncoderError::Torch(format!("forward pass panicked: {}", panic_message(&p))))?
            .map_err(|e| EncoderError::Torch(format!("forward pass: {e}")))?;
        let hidden = out.hidden_state.f_to_kind(Kind::Float)?.f_contiguous()?;
        if hidden.size() != [b as i64, l as i64, h as i64] {
            return Err(EncoderError::Torch(format!("forward pass gave shape {:?}, expected [{b}, {l}, {h}]", hidden.size())));
        }
        let mut flat = vec![0f32; b * l * h];
        hidden.f_copy_data(&mut flat, b * l * h)?;
        batch.iter().enumerate().map(|(i, seq)| TokenMatrix::from_flat(h, flat[i * l * h..(i * l + seq.len()) * h].to_vec())).collect()
    }
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> &str {
    p.downcast_ref::<String>().map(String::as_str).or_else(|| p.downcast_ref::<&str>().copied()).unwrap_or("unknown panic")
}
