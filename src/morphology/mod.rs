//! The morphology stage: lemma, part of speech, and for finite verbs mood, person, number and
//! tense of every token.
//!
//! Analyses come from a full-form lexicon compiled from LanguageTool's German dictionary
//! ([`lexicon`]); words it lacks are guessed from their shape ([`guess`]); where a form has
//! several analyses, rules over the neighbouring tokens choose one. Konjunktiv I is only ever
//! reported for forms the lexicon tags `KJ1`.

mod disambiguation;
pub mod eval;
pub mod guess;
pub mod lexicon;

use crate::doc::{Morph, Sentence, Text};
use crate::error::Result;
use crate::stage::SentenceStage;
use disambiguation::Tok;
use guess::Shape;
use lexicon::{Analyses, Lexicon, ListId};
use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;

/// Bytes of the longest form of the shipped lexicon (rounded up); a test checks the bound.
const MAX_FORM_BYTES: usize = 48;

/// Folder of the lexicon inside the models folder.
pub const MODEL_SUBDIR: &str = "morphology";

/// The morphology stage. Holds the memory-mapped lexicon; cheap to share between threads.
#[derive(Debug)]
pub struct Morphology {
    lexicon: Lexicon,
    /// Class bits of every tag, by tag id.
    tag_bits: Vec<u64>,
    /// Union of the class bits of every analysis list, by list id.
    list_bits: Vec<u64>,
}

/// Where a looked-up form lies: in the token itself or in the sentence's scratch buffer.
#[derive(Clone)]
enum Src {
    Form(Range<usize>),
    Arena(Range<usize>),
}

/// What the first pass learns about a token before any analyses are borrowed.
struct Prepared {
    shape: Shape,
    cap: bool,
    initial: bool,
    /// The form's analyses; for an unknown compound, those of its last part.
    exact: Option<(Src, ListId)>,
    /// Bytes of the form before the part that `exact` describes (compounds only).
    prefix: usize,
    /// Class bits the analyses of `exact` may have (compounds take only some).
    mask: u64,
    variant: Option<(Range<usize>, ListId)>,
}

impl Morphology {
    /// Opens the lexicon under `models_dir/morphology`.
    pub fn load(models_dir: &Path) -> Result<Morphology> {
        Ok(Morphology::from_lexicon(Lexicon::open(&models_dir.join(MODEL_SUBDIR))?))
    }

    /// Wraps an opened lexicon.
    pub fn from_lexicon(lexicon: Lexicon) -> Morphology {
        let tag_bits: Vec<u64> = lexicon.tags().iter().map(|t| disambiguation::tag_bits(&lexicon::TagInfo::parse(t))).collect();
        let list_bits = (0..lexicon.list_count())
            .map(|i| {
                lexicon
                    .analyses(ListId::from_index(i), "")
                    .fold(0, |bits, a| bits | tag_bits.get(a.tag_id() as usize).copied().unwrap_or(0))
            })
            .collect();
        Morphology { lexicon, tag_bits, list_bits }
    }

    /// The lexicon, for callers that want every analysis of a form.
    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// Analyses one word standing alone, as a one-word sentence.
    pub fn analyze_word(&self, form: &str) -> Morph {
        let mut out = Vec::with_capacity(1);
        self.analyze_into(&[form], &mut out);
        out.pop().unwrap_or_else(|| Morph {
            lemma: Box::from(form),
            pos: crate::doc::Pos::X,
            mood: None,
            person: None,
            number: None,
            tense: None,
            known: false,
        })
    }

    /// Analyses the tokens of one sentence, in order, using each other as context.
    pub fn analyze(&self, forms: &[&str]) -> Vec<Morph> {
        let mut out = Vec::with_capacity(forms.len());
        self.analyze_into(forms, &mut out);
        out
    }

    /// Like [`Morphology::analyze`], reusing `out`'s storage; `out` is cleared first.
    pub fn analyze_into(&self, forms: &[&str], out: &mut Vec<Morph>) {
        let mut arena = String::new();
        let prepared = self.prepare(forms, &mut arena);
        let arena = arena.as_str();
        let empty = |form| Analyses::empty(&self.lexicon, form);
        let toks: Vec<Tok> = forms
            .iter()
            .zip(&prepared)
            .map(|(&form, p)| {
                let exact = match &p.exact {
                    Some((Src::Form(r), id)) => self.lexicon.analyses(*id, form.get(r.clone()).unwrap_or("")),
                    Some((Src::Arena(r), id)) => self.lexicon.analyses(*id, arena.get(r.clone()).unwrap_or("")),
                    None => empty(""),
                };
                let variant = match &p.variant {
                    Some((range, id)) => self.lexicon.analyses(*id, arena.get(range.clone()).unwrap_or("")),
                    None => empty(""),
                };
                Tok {
                    form,
                    shape: p.shape,
                    cap: p.cap,
                    initial: p.initial,
                    ebits: (p.mask | !disambiguation::CLASSES)
                        & p.exact.as_ref().map_or(0, |(_, id)| self.list_bits.get(id.index()).copied().unwrap_or(0)),
                    vbits: p.variant.as_ref().map_or(0, |(_, id)| self.list_bits.get(id.index()).copied().unwrap_or(0)),
                    exact,
                    variant,
                    prefix: form.get(..p.prefix).unwrap_or(""),
                }
            })
            .collect();
        disambiguation::disambiguate(&toks, &self.tag_bits, out);
    }

    /// First pass: shapes, lookups, and lowered variants written into `arena`.
    fn prepare(&self, forms: &[&str], arena: &mut String) -> Vec<Prepared> {
        let mut prepared = Vec::with_capacity(forms.len());
        let mut seen_word = false;
        let mut after_opener = false;
        for &form in forms {
            let shape = guess::shape(form);
            if shape == Shape::Punctuation {
                after_opener = disambiguation::OPENERS.contains(&form);
                prepared.push(Prepared { shape, cap: false, initial: false, exact: None, prefix: 0, mask: 0, variant: None });
                continue;
            }
            let initial = !seen_word || after_opener;
            seen_word = true;
            after_opener = false;
            let cap = guess::is_capitalised(form);
            let mut exact = None;
            let mut variant = None;
            let mut prefix = 0;
            let mut mask = !0;
            if shape == Shape::Word {
                exact = self.lexicon.find(form).map(|id| (Src::Form(0..form.len()), id));
                if cap && (initial || exact.is_none()) {
                    variant = self.lowered(form, arena);
                }
                if exact.is_none() && variant.is_none() {
                    if let Some((at, head, head_mask)) = self.compound_head(form, arena) {
                        prefix = at;
                        exact = Some(head);
                        mask = head_mask;
                    }
                }
            }
            prepared.push(Prepared { shape, cap, initial, exact, prefix, mask, variant });
        }
        prepared
    }

    /// Finds the longest known last part of an unknown compound: after a hyphen
    /// (*US-Präsident*), else the longest word-final noun (*Ministerpräsident → Präsident*)
    /// or, for lower-case words, a word-final adjective (*klimaschädlichen*) or a verb after a
    /// particle (*entgegenschlage*). Returns where the part starts, its lookup, and the class
    /// bits its analyses may have.
    fn compound_head(&self, form: &str, arena: &mut String) -> Option<(usize, (Src, ListId), u64)> {
        use disambiguation::{ADJ, ADV, NOUN, PRP, PTCP, VERBS, ZUS};
        if let Some(at) = form.rfind('-').filter(|&at| at > 0 && at + 1 < form.len()) {
            let head = &form[at + 1..];
            if head.chars().next().is_some_and(char::is_alphabetic) {
                return self.lexicon.find(head).map(|id| (at + 1, (Src::Form(at + 1..form.len()), id), !0));
            }
            return None;
        }
        let cap = guess::is_capitalised(form);
        // Adverbs in -weise are no compounds of *weisen*.
        if !form.chars().all(char::is_alphabetic) || (cap && guess::is_acronym(form)) || form.ends_with("weise") {
            return None;
        }
        let bits_of = |id: ListId| self.list_bits.get(id.index()).copied().unwrap_or(0);
        // Parts shorter than this are too often accidental: *Scholz → Holz*.
        const MIN_PREFIX: usize = 3;
        const MIN_HEAD: usize = 4;
        // Shorter first parts must be words themselves: *Thomann* is no *Mann*.
        const MIN_FREE_PREFIX: usize = 8;
        let chars = form.chars().count();
        for (n, (at, c)) in form.char_indices().enumerate().skip(MIN_PREFIX) {
            if chars - n < MIN_HEAD {
                break;
            }
            // No form is longer, so no head is either: a word of a million letters costs a
            // million steps, not a million lookups of its tail.
            if form.len() - at > MAX_FORM_BYTES {
                continue;
            }
            if cap {
                let start = arena.len();
                arena.extend(c.to_uppercase());
                arena.push_str(&form[at + c.len_utf8()..]);
                let head = self.lexicon.find(&arena[start..]).filter(|&id| bits_of(id) & NOUN != 0);
                let end = arena.len();
                if let Some(id) = head.filter(|_| n >= MIN_FREE_PREFIX || self.is_compound_part(&form[..at])) {
                    arena.truncate(end);
                    return Some((at, (Src::Arena(start..end), id), NOUN));
                }
                arena.truncate(start);
            } else if c.is_lowercase() {
                let Some(id) = self.lexicon.find(&form[at..]) else { continue };
                let head_bits = bits_of(id);
                let particle = self.lexicon.find(&form[..at]).is_some_and(|p| bits_of(p) & (ZUS | PRP | ADV) != 0);
                let mask = if particle { ADJ | PTCP | VERBS } else { ADJ | PTCP };
                if head_bits & mask != 0 {
                    return Some((at, (Src::Form(at..form.len()), id), mask));
                }
            }
        }
        None
    }

    /// True when `part` (the start of a compound) is a known word, perhaps with a linking
    /// element: *Regierungs-, Bundes-, Sonnen-*. Runs only for unknown words.
    fn is_compound_part(&self, part: &str) -> bool {
        let mut chars = part.chars();
        let Some(first) = chars.next() else { return false };
        let mut word: String = first.to_uppercase().collect();
        word.push_str(chars.as_str());
        ["", "s", "es", "n", "en", "e"]
            .iter()
            .any(|link| word.strip_suffix(link).is_some_and(|w| w.chars().count() >= 3 && self.lexicon.contains(w)))
            || self.lexicon.contains(part)
    }

    /// Looks up a capitalised form with its capitals lowered: *Die → die*; for all-capital
    /// words *BERLIN → Berlin*, then *UND → und*.
    fn lowered(&self, form: &str, arena: &mut String) -> Option<(Range<usize>, ListId)> {
        let all_caps = form.chars().filter(|c| c.is_alphabetic()).count() > 1 && !form.chars().any(char::is_lowercase);
        let start = arena.len();
        let mut chars = form.chars();
        let first = chars.next()?;
        if all_caps {
            arena.push(first);
            arena.extend(chars.flat_map(char::to_lowercase));
        } else {
            arena.extend(first.to_lowercase());
            arena.push_str(chars.as_str());
        }
        if let Some(id) = self.lexicon.find(&arena[start..]) {
            return Some((start..arena.len(), id));
        }
        arena.truncate(start);
        if all_caps {
            arena.extend(form.chars().flat_map(char::to_lowercase));
            if let Some(id) = self.lexicon.find(&arena[start..]) {
                return Some((start..arena.len(), id));
            }
            arena.truncate(start);
        }
        None
    }
}

/// Drops soft hyphens, which break lookups (*Bundes\u{AD}regierung*).
fn clean(form: &str) -> Cow<'_, str> {
    if form.contains('\u{AD}') {
        Cow::Owned(form.replace('\u{AD}', ""))
    } else {
        Cow::Borrowed(form)
    }
}

impl SentenceStage for Morphology {
    fn name(&self) -> &'static str {
        "morphology"
    }

    fn annotate(&self, text: &Text, sentence: &mut Sentence) {
        let cleaned: Vec<Cow<str>> = sentence.tokens.iter().map(|t| clean(text.slice(t.span))).collect();
        let forms: Vec<&str> = cleaned.iter().map(|c| c.as_ref()).collect();
        let morphs = self.analyze(&forms);
        for (token, morph) in sentence.tokens.iter_mut().zip(morphs) {
            token.morph = Some(morph);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{Mood, Number, Pos, Span, Tense, Token};
    use std::sync::OnceLock;

    fn morphology() -> &'static Morphology {
        static MORPHOLOGY: OnceLock<Morphology> = OnceLock::new();
        MORPHOLOGY.get_or_init(|| {
            let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
            Morphology::load(&models).expect("models/morphology is built (see models/README.md)")
        })
    }

    /// Analyses a sentence given as space-separated tokens and returns the analysis of `word`.
    fn in_sentence(sentence: &str, word: &str) -> Morph {
        let forms: Vec<&str> = sentence.split(' ').collect();
        let at = forms.iter().position(|f| *f == word).unwrap_or_else(|| panic!("{word} not in {sentence}"));
        morphology().analyze(&forms).swap_remove(at)
    }

    #[test]
    fn konjunktiv_one_in_reported_speech() {
        for (sentence, word, lemma) in [
            ("Er sagte , die Lage sei ernst .", "sei", "sein"),
            ("Sie betonte , er habe allein gehandelt .", "habe", "haben"),
            ("Die Regierung werde das prüfen .", "werde", "werden"),
            ("Der Konzern erhalte keine Hilfen .", "erhalte", "erhalten"),
            ("Man könne nichts tun , hieß es .", "könne", "können"),
            ("Es gebe keine Beweise .", "gebe", "geben"),
            ("Die Partei wolle regieren .", "wolle", "wollen"),
        ] {
            let m = in_sentence(sentence, word);
            assert_eq!(m.mood, Some(Mood::KonjunktivI), "{sentence}");
            assert_eq!((m.person, m.number), (Some(3), Some(Number::Singular)), "{sentence}");
            assert_eq!((&*m.lemma, m.tense, m.known), (lemma, Some(Tense::Present), true), "{sentence}");
        }
        let m = in_sentence("Die Vorwürfe seien haltlos .", "seien");
        assert_eq!((m.mood, m.number), (Some(Mood::KonjunktivI), Some(Number::Plural)));
    }

    #[test]
    fn first_person_is_indicative() {
        for (sentence, word) in [
            ("Ich habe das gesagt .", "habe"),
            ("Das habe ich nicht gewusst .", "habe"),
            ("Morgen werde ich kommen .", "werde"),
            ("Ich glaube , dass es regnet .", "glaube"),
        ] {
            let m = in_sentence(sentence, word);
            assert_eq!((m.mood, m.person), (Some(Mood::Indicative), Some(1)), "{sentence}");
        }
        // The clause after the comma has its own subject.
        let m = in_sentence("Ich glaube , er habe recht .", "habe");
        assert_eq!((m.mood, m.person), (Some(Mood::KonjunktivI), Some(3)));
    }

    #[test]
    fn konjunktiv_two_and_past() {
        for (sentence, word, lemma) in [
            ("Das wäre gut .", "wäre", "sein"),
            ("Er hätte es wissen müssen .", "hätte", "haben"),
            ("Sie würde zustimmen .", "würde", "werden"),
            ("Das käme teuer .", "käme", "kommen"),
            ("Der Preis dürfte steigen .", "dürfte", "dürfen"),
            ("Es könnte regnen .", "könnte", "können"),
        ] {
            let m = in_sentence(sentence, word);
            assert_eq!((m.mood, &*m.lemma), (Some(Mood::KonjunktivII), lemma), "{sentence}");
        }
        for (sentence, word, lemma) in [
            ("Er sagte , dass es regnet .", "sagte", "sagen"),
            ("Die Anleger spekulierten auf steigende Kurse .", "spekulierten", "spekulieren"),
        ] {
            let m = in_sentence(sentence, word);
            assert_eq!((m.mood, m.tense, &*m.lemma), (Some(Mood::Indicative), Some(Tense::Past), lemma), "{sentence}");
        }
    }

    #[test]
    fn parts_of_speech_in_context() {
        for (sentence, word, pos, lemma) in [
            ("Die Lage ist ernst .", "Die", Pos::DET, "der"),
            ("Die Lage ist ernst .", "ist", Pos::AUX, "sein"),
            ("Er kauft ein Auto , das rot ist .", "das", Pos::PRON, "der"),
            ("Er hat ein Auto gekauft .", "hat", Pos::AUX, "haben"),
            ("Er hat ein Auto .", "hat", Pos::VERB, "haben"),
            ("Sie will das nicht .", "will", Pos::VERB, "wollen"),
            ("Sie will das nicht tun .", "will", Pos::AUX, "wollen"),
            ("Er versucht , zu helfen .", "zu", Pos::PART, "zu"),
            ("Er geht zu Fuß .", "zu", Pos::ADP, "zu"),
            ("Er kündigte Reformen an .", "an", Pos::ADP, "an"),
            ("Laut Polizei war es ruhig .", "Laut", Pos::ADP, "laut"),
            ("Sie spekulierten , dass es regnet .", "spekulierten", Pos::VERB, "spekulieren"),
            ("Die spekulierten Summen sind hoch .", "spekulierten", Pos::ADJ, "spekuliert"),
            ("Er las sein Buch .", "sein", Pos::DET, "sein"),
            ("Es muss sein .", "sein", Pos::AUX, "sein"),
            ("Angela Merkel sprach .", "Merkel", Pos::PROPN, "Merkel"),
            ("Der US-Präsident kam .", "US-Präsident", Pos::NOUN, "US-Präsident"),
            ("Der Ministerpräsident kam .", "Ministerpräsident", Pos::NOUN, "Ministerpräsident"),
            ("Die Staaten der BRICS trafen sich .", "BRICS", Pos::PROPN, "BRICS"),
            ("Die G7 trafen sich .", "G7", Pos::PROPN, "G7"),
            ("Viele Kund:innen klagen .", "Kund:innen", Pos::NOUN, "Kund:innen"),
            ("Das kostet 1.000,50 Euro .", "1.000,50", Pos::NUM, "1.000,50"),
            ("Am 20.06.2024 regnete es .", "20.06.2024", Pos::NUM, "20.06.2024"),
            ("„ Nein “ , sagte er .", "„", Pos::PUNCT, "„"),
            ("Er sagte , ich sei klug .", "ich", Pos::PRON, "ich"),
            ("Wir sahen ihn .", "ihn", Pos::PRON, "er"),
        ] {
            let m = in_sentence(sentence, word);
            assert_eq!((m.pos, &*m.lemma), (pos, lemma), "{word} in {sentence}");
        }
    }

    #[test]
    fn unknown_words_are_guessed() {
        let m = in_sentence("Die Bürger spekulierten nicht .", "spekulierten");
        assert!(m.known);
        for (sentence, word, pos, lemma) in [
            ("Sie wumpisierten die Reform .", "wumpisierten", Pos::VERB, "wumpisieren"),
            ("Das ist putinfreundlich .", "putinfreundlich", Pos::ADJ, "putinfreundlich"),
            ("Der Ministerpräsidentenposten ist frei .", "Ministerpräsidentenposten", Pos::NOUN, "Ministerpräsidentenposten"),
            ("Sie trafen Kowalczyk in Kiew .", "Kowalczyk", Pos::PROPN, "Kowalczyk"),
        ] {
            let m = in_sentence(sentence, word);
            assert_eq!((m.pos, &*m.lemma, m.known), (pos, lemma, false), "{word} in {sentence}");
        }
    }

    #[test]
    fn stage_fills_every_token_and_drops_soft_hyphens() {
        let text = Text::new("Die Bundes\u{AD}regierung sei bereit.".to_string());
        let spans = [(0, 3), (4, 20), (21, 24), (25, 31), (31, 32)];
        let mut sentence = Sentence {
            span: Span::new(0, 32),
            tokens: spans.iter().map(|&(a, b)| Token { span: Span::new(a, b), morph: None }).collect(),
            ..Default::default()
        };
        morphology().annotate(&text, &mut sentence);
        let morphs: Vec<&Morph> = sentence.tokens.iter().map(|t| t.morph.as_ref().expect("analysed")).collect();
        assert_eq!(&*morphs[1].lemma, "Bundesregierung");
        assert_eq!(morphs[1].pos, Pos::NOUN);
        assert_eq!(morphs[2].mood, Some(Mood::KonjunktivI));
        assert_eq!(morphs[4].pos, Pos::PUNCT);
    }

    #[test]
    fn no_form_is_longer_than_the_compound_bound() {
        let longest = morphology().lexicon().longest_form_bytes();
        assert!(longest <= MAX_FORM_BYTES, "the lexicon has a form of {longest} bytes: raise MAX_FORM_BYTES");
    }

    #[test]
    fn lexicon_keeps_raw_tags() {
        let lex = morphology().lexicon();
        let tags: Vec<&str> = lex.lookup("sei").map(|a| a.tag()).collect();
        assert!(tags.contains(&"VER:3:SIN:KJ1:NON") && tags.contains(&"VER:1:SIN:KJ1:NON"), "{tags:?}");
        let habe: Vec<&str> = lex.lookup("habe").map(|a| a.tag()).collect();
        assert!(habe.contains(&"VER:1:SIN:PRÄ:NON") && habe.contains(&"VER:3:SIN:KJ1:NON"), "{habe:?}");
        assert!(lex.lookup("Merkel").any(|a| a.tag().starts_with("EIG:") && a.tag().ends_with(":NAC")));
        assert!(lex.form_count() > 500_000);
    }

    #[test]
    fn odd_tokens_do_not_panic() {
        let long = "Donaudampfschifffahrtsgesellschaftskapitänsmütze".repeat(20);
        let forms = [
            "",
            "\u{AD}",
            "🙂",
            "a-",
            "-b",
            "A-B-",
            "--",
            "ÄÖÜ",
            "İstanbul",
            "ǅ",
            "x",
            "X",
            "ß",
            "ẞ",
            "1.",
            "2,5%",
            "G-7-",
            "’s",
            "'s",
            long.as_str(),
            "US-",
            "-Präsident",
            "Kund*",
            "*innen",
            "ÜBER",
            "UND",
            "Die",
            "die",
            "DIE",
            ".",
        ];
        let morphs = morphology().analyze(&forms);
        assert_eq!(morphs.len(), forms.len());
        assert!(morphology().analyze(&[]).is_empty());
        for form in forms {
            let m = morphology().analyze_word(form);
            assert!(!m.lemma.is_empty() || form.trim_matches('\u{AD}').is_empty(), "{form:?}");
        }
    }

    #[test]
    fn missing_models_are_an_error() {
        let err = Morphology::load(Path::new("/nonexistent/models")).expect_err("no models there");
        assert!(matches!(err, crate::error::Error::ModelMissing { .. }), "{err}");
    }
}
