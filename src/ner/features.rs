//! Feature extraction: every token becomes a list of hashed feature buckets.
//!
//! German capitalises every noun, so capitalisation alone says little; the features lean on
//! the morphology lexicon (proper-name tags, whether the lowercased form is a word), the
//! gazetteers, word shape and affixes, and the words around the token.

use super::clusters::Clusters;
use super::gazetteer::{self, Gazetteers};
use crate::doc::Pos;
use crate::morphology::lexicon::Lexicon;

/// Changes whenever the features change, so an old model is not used with new features.
pub(crate) const FEATURE_VERSION: u32 = 9;
/// Added to the feature version of a model whose features include an auxiliary model's labels.
pub(crate) const AUX_FLAG: u32 = 1 << 16;

// Lexicon bits of a form.
const LX_KNOWN: u16 = 1;
const LX_NOUN: u16 = 2;
const LX_NAME: u16 = 4;
const LX_FIRST: u16 = 8;
const LX_LAST: u16 = 16;
const LX_ADJ: u16 = 32;
const LX_VERB: u16 = 64;
const LX_FUNC: u16 = 128;
const LX_LOWER_KNOWN: u16 = 256;
const LX_GEO: u16 = 512;

/// What is known about one token before features are built.
#[derive(Debug, Default, Clone)]
struct Tok {
    lower: String,
    shape: String,
    short: String,
    cap: bool,
    lex: u16,
    gaz: u8,
    pos: u8,
    /// Coarse and fine cluster + 1, 0 when the word has none.
    cluster: (u16, u16),
}

fn shapes(form: &str) -> (String, String) {
    let mut shape = String::new();
    let mut short = String::new();
    let mut last = '\0';
    let mut run = 0;
    for c in form.chars() {
        let k = if c.is_uppercase() {
            'X'
        } else if c.is_lowercase() {
            'x'
        } else if c.is_ascii_digit() {
            'd'
        } else {
            c
        };
        if k == last {
            run += 1;
        } else {
            run = 1;
            short.push(k);
        }
        if run <= 2 {
            shape.push(k);
        }
        last = k;
    }
    (shape, short)
}

fn lexicon_bits(lexicon: &Lexicon, form: &str, lower: &str) -> u16 {
    let mut bits = 0;
    for a in lexicon.lookup(form) {
        bits |= LX_KNOWN;
        let tag = a.tag();
        let head = tag.split(':').next().unwrap_or("");
        bits |= match head {
            "SUB" => LX_NOUN,
            "EIG" | "IG" => {
                if tag.ends_with(":VOR") {
                    LX_NAME | LX_FIRST
                } else if tag.ends_with(":NAC") {
                    LX_NAME | LX_LAST
                } else if tag.contains(":COU") || tag.contains(":GEB") || tag.ends_with(":NOA") {
                    LX_NAME | LX_GEO
                } else {
                    LX_NAME
                }
            }
            "ADJ" | "PA1" | "PA2" => LX_ADJ,
            "VER" => LX_VERB,
            _ => LX_FUNC,
        };
    }
    if lower != form && lexicon.contains(lower) {
        bits |= LX_LOWER_KNOWN;
    }
    bits
}

fn pos_code(pos: Option<Pos>) -> u8 {
    pos.map_or(0, |p| p as u8 + 1)
}

/// Builds features for sentences. Holds scratch buffers; one per thread.
pub(crate) struct Featurizer<'a> {
    gaz: &'a Gazetteers,
    lexicon: Option<&'a Lexicon>,
    clusters: Option<&'a Clusters>,
    mask: u32,
    toks: Vec<Tok>,
    marks: Vec<u8>,
}

/// FNV-1a over a template id and parts separated by a unit separator.
struct H(u64);

impl H {
    fn new(template: u8) -> H {
        let mut h = H(0xcbf2_9ce4_8422_2325);
        h.byte(template);
        h
    }
    #[inline]
    fn byte(&mut self, b: u8) {
        self.0 ^= b as u64;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }
    fn str(mut self, s: &str) -> H {
        for &b in s.as_bytes() {
            self.byte(b);
        }
        self.byte(0x1f);
        self
    }
    fn num(mut self, n: u64) -> H {
        for b in n.to_le_bytes() {
            self.byte(b);
        }
        self
    }
}

const BOS: &str = "<s>";
const EOS: &str = "</s>";

impl<'a> Featurizer<'a> {
    /// A featurizer hashing into `mask + 1` buckets.
    pub(crate) fn new(gaz: &'a Gazetteers, lexicon: Option<&'a Lexicon>, clusters: Option<&'a Clusters>, mask: u32) -> Featurizer<'a> {
        Featurizer { gaz, lexicon, clusters, mask, toks: Vec::new(), marks: Vec::new() }
    }

    /// Hashes into `mask + 1` buckets from now on.
    pub(crate) fn set_mask(&mut self, mask: u32) {
        self.mask = mask;
    }

    /// Features of every token of a sentence: token `i` gets `out[offsets[i]..offsets[i + 1]]`.
    ///
    /// `aux` holds the labels an auxiliary model gave the tokens, or is empty.
    pub(crate) fn extract(&mut self, forms: &[&str], pos: &[Option<Pos>], aux: &[usize], out: &mut Vec<u32>, offsets: &mut Vec<u32>) {
        out.clear();
        offsets.clear();
        self.gaz.mark(forms, &mut self.marks);
        self.toks.clear();
        for (i, &form) in forms.iter().enumerate() {
            let lower = form.to_lowercase();
            let (shape, short) = shapes(form);
            let lex = self.lexicon.map_or(0, |l| lexicon_bits(l, form, &lower));
            let cluster = self.clusters.and_then(|c| c.get(form, &lower)).map_or((0, 0), |(a, b)| (a + 1, b + 1));
            self.toks.push(Tok {
                cap: form.chars().next().is_some_and(char::is_uppercase),
                lower,
                shape,
                short,
                lex,
                gaz: self.marks.get(i).copied().unwrap_or(0),
                pos: pos_code(pos.get(i).copied().flatten()),
                cluster,
            });
        }
        let n = forms.len();
        let mask = self.mask as u64;
        // Runs of capitalised tokens (position in run, run length) and quotation state.
        let mut run_start = vec![0usize; n];
        let mut run_len = vec![0usize; n];
        let mut i = 0;
        while i < n {
            if self.toks[i].cap {
                let mut j = i;
                while j < n && (self.toks[j].cap || (forms[j] == "-" && j + 1 < n && self.toks[j + 1].cap)) {
                    j += 1;
                }
                for k in i..j {
                    run_start[k] = i;
                    run_len[k] = j - i;
                }
                i = j;
            } else {
                i += 1;
            }
        }
        let mut quoted = vec![false; n];
        let mut open = false;
        for (k, f) in forms.iter().enumerate() {
            match *f {
                "\"" | "„" | "“" | "”" | "»" | "«" | "''" | "``" => open = !open,
                _ => quoted[k] = open,
            }
        }
        for i in 0..n {
            offsets.push(out.len() as u32);
            let mut push = |h: H| out.push((h.0 ^ (h.0 >> 32)) as u32 & mask as u32);
            let t = &self.toks[i];
            let form = forms[i];
            let at = |k: isize| -> Option<&Tok> { usize::try_from(i as isize + k).ok().and_then(|j| self.toks.get(j)) };
            let word = |k: isize| at(k).map_or(if k < 0 { BOS } else { EOS }, |t| t.lower.as_str());
            let shape = |k: isize| at(k).map_or(if k < 0 { BOS } else { EOS }, |t| t.short.as_str());
            let initial = i == 0 || (i == 1 && !forms[0].chars().any(char::is_alphanumeric));

            push(H::new(0));
            push(H::new(1).str(form));
            push(H::new(2).str(&t.lower));
            for k in [-2isize, -1, 1, 2] {
                push(H::new(3).num(k as u64).str(word(k)));
            }
            push(H::new(4).str(word(-1)).str(&t.lower));
            push(H::new(5).str(&t.lower).str(word(1)));
            push(H::new(6).str(word(-2)).str(word(-1)));
            push(H::new(7).str(word(1)).str(word(2)));
            let chars: Vec<char> = t.lower.chars().collect();
            for k in 1..=4.min(chars.len()) {
                let pre: String = chars[..k].iter().collect();
                let suf: String = chars[chars.len() - k..].iter().collect();
                push(H::new(8).num(k as u64).str(&pre));
                push(H::new(9).num(k as u64).str(&suf));
            }
            push(H::new(10).str(&t.shape));
            push(H::new(11).str(&t.short));
            push(H::new(12).str(shape(-1)).str(&t.short));
            push(H::new(13).str(&t.short).str(shape(1)));
            push(H::new(14).str(shape(-1)).str(&t.short).str(shape(1)));
            push(H::new(15).num(initial as u64 * 2 + t.cap as u64));
            push(H::new(16).num(initial as u64).num(t.lex as u64));
            push(H::new(17).num(t.pos as u64));
            push(H::new(18).num(t.pos as u64).str(&t.short));
            push(H::new(19).num(at(-1).map_or(99, |t| t.pos as u64)).num(t.pos as u64));
            push(H::new(20).num(t.pos as u64).num(at(1).map_or(99, |t| t.pos as u64)));
            push(H::new(21).num(t.lex as u64));
            push(H::new(22).num(at(-1).map_or(0xffff, |t| t.lex as u64)));
            push(H::new(23).num(at(1).map_or(0xffff, |t| t.lex as u64)));
            push(H::new(24).num(at(-1).map_or(0xffff, |t| t.lex as u64)).num(t.lex as u64));
            push(H::new(25).num(t.gaz as u64));
            push(H::new(26).num(at(-1).map_or(0xff, |t| t.gaz as u64)));
            push(H::new(27).num(at(1).map_or(0xff, |t| t.gaz as u64)));
            push(H::new(28).num(t.gaz as u64).num(t.lex as u64 & (LX_NOUN | LX_NAME | LX_ADJ | LX_FUNC | LX_LOWER_KNOWN) as u64));
            if t.gaz != 0 {
                push(H::new(47).num(t.gaz as u64).num(initial as u64).num(t.pos as u64));
            }
            for b in [gazetteer::PLACE, gazetteer::COUNTRY, gazetteer::FIRST_NAME, gazetteer::COUNTRY_ADJ, gazetteer::ORGANISATION] {
                if t.gaz & b != 0 {
                    push(H::new(29).num(b as u64).num((t.gaz & gazetteer::INSIDE) as u64));
                    if t.gaz & gazetteer::MULTI != 0 {
                        push(H::new(53).num(b as u64).num((t.gaz & gazetteer::INSIDE) as u64));
                    }
                }
            }
            if form.contains('-') && form.len() > 2 {
                let mut parts = form.split('-').filter(|p| !p.is_empty());
                if let Some(first) = parts.next() {
                    push(H::new(30).str(first));
                    push(H::new(31).str(&shapes(first).1));
                    let kind = self.gaz.kind_of(first);
                    if kind != 0 {
                        push(H::new(46).num(kind as u64));
                    }
                }
                if let Some(last) = form.rsplit('-').find(|p| !p.is_empty()) {
                    push(H::new(32).str(&last.to_lowercase()));
                }
            }
            push(H::new(33).num(chars.len().min(12) as u64));
            push(H::new(34).str(word(-1)).str(&t.short));
            push(H::new(35).str(&t.short).str(word(1)));
            if self.clusters.is_some() {
                let cl = |k: isize| at(k).map_or((0xffff, 0xffff), |t| (t.cluster.0 as u64, t.cluster.1 as u64));
                for k in [-1isize, 0, 1] {
                    push(H::new(37).num(k as u64).num(cl(k).0));
                    push(H::new(38).num(k as u64).num(cl(k).1));
                }
                push(H::new(39).num(cl(0).1).str(&t.short));
                push(H::new(40).num(cl(-1).0).num(cl(0).1));
                push(H::new(41).num(cl(0).1).num(cl(1).0));
                push(H::new(54).str(word(-1)).num(cl(0).1));
                push(H::new(55).num(cl(0).1).str(word(1)));
                push(H::new(56).str(word(-1)).num(cl(0).0));
            }
            for k in 5..=6.min(chars.len()) {
                let suf: String = chars[chars.len() - k..].iter().collect();
                push(H::new(42).num(k as u64).str(&suf));
            }
            if run_len[i] > 0 {
                push(H::new(43).num(run_len[i].min(5) as u64).num((i - run_start[i]).min(4) as u64));
            }
            push(H::new(44).num(quoted[i] as u64).num(t.cap as u64));
            push(H::new(45).str(word(-1)).str(word(1)));
            if !aux.is_empty() {
                let a = |k: isize| usize::try_from(i as isize + k).ok().and_then(|j| aux.get(j)).map_or(99, |&l| l as u64);
                push(H::new(48).num(a(0)));
                push(H::new(49).num(a(-1)).num(a(0)));
                push(H::new(50).num(a(0)).num(a(1)));
                push(H::new(51).num(a(0)).str(&t.short));
                push(H::new(52).num(a(0)).num(t.lex as u64));
            }
            if let Some(p) = at(-1) {
                push(H::new(36).num(p.lex as u64).num(p.gaz as u64).str(&t.short));
            }
        }
        offsets.push(out.len() as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_collapse_runs() {
        for (form, shape, short) in [("Merkel", "Xxx", "Xx"), ("US-Präsident", "XX-Xxx", "X-Xx"), ("G7", "Xd", "Xd"), ("2014", "dd", "d")]
        {
            assert_eq!(shapes(form), (shape.to_string(), short.to_string()), "{form}");
        }
    }
}
