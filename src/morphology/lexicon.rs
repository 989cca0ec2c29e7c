//! The compiled full-form lexicon: every known word form with all its analyses.
//!
//! Two files under `models/morphology/`:
//!
//! * `forms.fst` — an [`fst::Map`] from each form to the index of its analysis list;
//! * `analyses.bin` — the tables the index points into: interned tag strings, lemma rules
//!   (strip N bytes from the form, append a suffix), interned analysis lists and their entries.
//!
//! Both are memory-mapped; opening parses only the small tag and rule tables. Every offset is
//! checked once on opening, so a truncated or corrupt file gives an error instead of a panic.
//!
//! `analyses.bin` layout, all integers little-endian:
//!
//! ```text
//! header   magic "LESMORPH", version u32, tags u32, rules u32, lists u32, entries u32,
//!          forms u32, blob bytes u32, reserved u32                         (40 bytes)
//! tags     per tag:  blob start u32, blob end u32
//! rules    per rule: blob start u32, suffix length u16, bytes to strip u16
//! lists    lists + 1 offsets u32 into entries
//! entries  per analysis: rule index << 12 | tag index, u32
//! blob     UTF-8 tag strings and lemma suffixes
//! ```

use crate::doc::{Mood, Number, Pos, Tense};
use crate::error::{Error, Result};
use fst::{Map, MapBuilder};
use memmap2::Mmap;
use serde::Serialize;
use std::collections::HashMap;
use std::fs::File;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{BufRead, BufReader, BufWriter};
use std::path::{Path, PathBuf};

/// File name of the form index inside the lexicon folder.
pub const FST_FILE: &str = "forms.fst";
/// File name of the analysis tables inside the lexicon folder.
pub const TABLE_FILE: &str = "analyses.bin";

const MAGIC: &[u8; 8] = b"LESMORPH";
const VERSION: u32 = 1;
const HEADER_LEN: usize = 40;
const TAG_BITS: u32 = 12;
const TAG_MASK: u32 = (1 << TAG_BITS) - 1;
const MAX_RULES: usize = 1 << (32 - TAG_BITS);

/// Word classes of the LanguageTool German tag set (the first field of a tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WordClass {
    /// `SUB`: common noun.
    Noun,
    /// `EIG`: proper name.
    Name,
    /// `ADJ`: adjective.
    Adjective,
    /// `PA1`/`PA2`: a participle declined as an adjective (*die spekulierten Summen*).
    Participle,
    /// `VER`: any verb form.
    Verb,
    /// `ART`: article.
    Article,
    /// `PRO`: pronoun or pronominal determiner.
    Pronoun,
    /// `PRP`: preposition.
    Preposition,
    /// `KON`: conjunction.
    Conjunction,
    /// `ADV`: adverb.
    Adverb,
    /// `NEG`: *nicht*.
    Negation,
    /// `ZUS`: separated verb particle (*kündigte … an*).
    VerbParticle,
    /// `ZAL`: number word.
    Numeral,
    /// `INJ`: interjection.
    Interjection,
    /// `ABK`: abbreviation.
    Abbreviation,
    /// Anything else.
    Other,
}

/// Which form of a verb a `VER` tag describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VerbForm {
    /// Person, number, tense and mood are marked.
    Finite,
    /// *sagen*
    Infinitive,
    /// *anzusagen*
    ZuInfinitive,
    /// *sagend*
    Participle1,
    /// *gesagt*
    Participle2,
    /// *sag!*
    Imperative,
}

/// Subclasses of `PRO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PronounKind {
    /// `PER`: *ich, er, sie*.
    Personal,
    /// `POS`: *mein, sein*.
    Possessive,
    /// `DEM`: *dieser, der*.
    Demonstrative,
    /// `IND`: *kein, man, alle*.
    Indefinite,
    /// `REF`: *sich*.
    Reflexive,
    /// `RIN`: relative or interrogative, *welcher, wer*.
    RelativeInterrogative,
    /// Anything else.
    Other,
}

/// Subclasses of `KON`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConjunctionKind {
    /// `NEB`: coordinating, *und, oder*.
    Coordinating,
    /// `UNT`: subordinating, *dass, weil*.
    Subordinating,
    /// `VGL`: comparative, *als, wie*.
    Comparative,
    /// `INF`: before a zu-infinitive, *um, ohne*.
    Infinitival,
    /// Anything else (`PRI`).
    Other,
}

/// Whether a pronoun stands with a noun (`BEG`), for one (`STV`) or either (`B/S`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Usage {
    /// `BEG`: attributive, a determiner.
    Attributive,
    /// `STV`: standing alone.
    Substituting,
    /// `B/S` or not marked.
    Either,
}

/// The fields of one LanguageTool tag, parsed once when the lexicon is opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagInfo {
    /// The first field.
    pub class: WordClass,
    /// The UD part of speech the tag maps to before context is considered.
    pub pos: Pos,
    /// For verbs: which form.
    pub verb_form: Option<VerbForm>,
    /// `VER:AUX`: *sein, haben, werden*.
    pub auxiliary: bool,
    /// `VER:MOD`: *können, dürfen, müssen, sollen, wollen, mögen*.
    pub modal: bool,
    /// Mood of a finite verb or imperative.
    pub mood: Option<Mood>,
    /// Person of a finite verb.
    pub person: Option<u8>,
    /// Grammatical number (`SIN`/`PLU`) where the tag marks it.
    pub number: Option<Number>,
    /// Tense of a finite verb.
    pub tense: Option<Tense>,
    /// Subclass of a pronoun.
    pub pronoun: Option<PronounKind>,
    /// Attributive or substituting use of a pronoun.
    pub usage: Usage,
    /// Subclass of a conjunction.
    pub conjunction: Option<ConjunctionKind>,
    /// `PRD`: an adjective or participle in its uninflected, predicative form.
    pub predicative: bool,
}

impl TagInfo {
    /// Parses a LanguageTool tag such as `VER:AUX:3:SIN:KJ1` or `EIG:NOM:SIN:FEM:NOA:VOR`.
    pub fn parse(tag: &str) -> TagInfo {
        let mut fields = tag.split(':');
        let head = fields.next().unwrap_or("");
        let class = match head {
            "SUB" => WordClass::Noun,
            "EIG" | "IG" => WordClass::Name,
            "ADJ" => WordClass::Adjective,
            "PA1" | "PA2" => WordClass::Participle,
            "VER" => WordClass::Verb,
            "ART" => WordClass::Article,
            "PRO" => WordClass::Pronoun,
            "PRP" => WordClass::Preposition,
            "KON" => WordClass::Conjunction,
            "ADV" => WordClass::Adverb,
            "NEG" => WordClass::Negation,
            "ZUS" => WordClass::VerbParticle,
            "ZAL" => WordClass::Numeral,
            "INJ" => WordClass::Interjection,
            "ABK" => WordClass::Abbreviation,
            _ => WordClass::Other,
        };
        let mut info = TagInfo {
            class,
            pos: Pos::X,
            verb_form: None,
            auxiliary: false,
            modal: false,
            mood: None,
            person: None,
            number: None,
            tense: None,
            pronoun: None,
            usage: Usage::Either,
            conjunction: None,
            predicative: false,
        };
        let mut last = head;
        for (i, field) in fields.enumerate() {
            last = field;
            match field {
                "SIN" => info.number = Some(Number::Singular),
                "PLU" => info.number = Some(Number::Plural),
                "BEG" => info.usage = Usage::Attributive,
                "STV" => info.usage = Usage::Substituting,
                "PRD" => info.predicative = true,
                _ => {}
            }
            match class {
                WordClass::Verb => match field {
                    "AUX" => info.auxiliary = true,
                    "MOD" => info.modal = true,
                    "INF" => info.verb_form = Some(VerbForm::Infinitive),
                    "EIZ" => info.verb_form = Some(VerbForm::ZuInfinitive),
                    "PA1" => info.verb_form = Some(VerbForm::Participle1),
                    "PA2" => info.verb_form = Some(VerbForm::Participle2),
                    "IMP" => {
                        info.verb_form = Some(VerbForm::Imperative);
                        info.mood = Some(Mood::Imperative);
                    }
                    "1" => info.person = Some(1),
                    "2" => info.person = Some(2),
                    "3" => info.person = Some(3),
                    "PRÄ" => info.set_finite(Mood::Indicative, Tense::Present),
                    "PRT" => info.set_finite(Mood::Indicative, Tense::Past),
                    "KJ1" => info.set_finite(Mood::KonjunktivI, Tense::Present),
                    "KJ2" => info.set_finite(Mood::KonjunktivII, Tense::Past),
                    _ => {}
                },
                WordClass::Pronoun if i == 0 => {
                    info.pronoun = Some(match field {
                        "PER" => PronounKind::Personal,
                        "POS" => PronounKind::Possessive,
                        "DEM" => PronounKind::Demonstrative,
                        "IND" => PronounKind::Indefinite,
                        "REF" => PronounKind::Reflexive,
                        "RIN" => PronounKind::RelativeInterrogative,
                        _ => PronounKind::Other,
                    })
                }
                WordClass::Conjunction if i == 0 => {
                    info.conjunction = Some(match field {
                        "NEB" => ConjunctionKind::Coordinating,
                        "UNT" => ConjunctionKind::Subordinating,
                        "VGL" => ConjunctionKind::Comparative,
                        "INF" => ConjunctionKind::Infinitival,
                        _ => ConjunctionKind::Other,
                    })
                }
                _ => {}
            }
        }
        if class == WordClass::Verb && info.verb_form.is_none() {
            info.verb_form = Some(VerbForm::Finite);
        }
        if info.verb_form != Some(VerbForm::Finite) {
            info.person = None;
        }
        info.pos = match class {
            WordClass::Noun => Pos::NOUN,
            WordClass::Name => Pos::PROPN,
            WordClass::Adjective | WordClass::Participle => Pos::ADJ,
            WordClass::Verb if info.auxiliary || info.modal => Pos::AUX,
            WordClass::Verb => Pos::VERB,
            WordClass::Article => Pos::DET,
            WordClass::Pronoun => match (info.pronoun, info.usage) {
                (Some(PronounKind::Personal | PronounKind::Reflexive), _) => Pos::PRON,
                (_, Usage::Attributive) => Pos::DET,
                _ => Pos::PRON,
            },
            WordClass::Preposition => Pos::ADP,
            WordClass::Conjunction => match info.conjunction {
                Some(ConjunctionKind::Coordinating) => Pos::CCONJ,
                Some(ConjunctionKind::Infinitival | ConjunctionKind::Comparative) => Pos::ADP,
                _ => Pos::SCONJ,
            },
            WordClass::Adverb => Pos::ADV,
            WordClass::Negation => Pos::PART,
            WordClass::VerbParticle => Pos::ADP,
            WordClass::Numeral => Pos::NUM,
            WordClass::Interjection => Pos::INTJ,
            // `ABK:Professor:SUB`, `ABK:wort=zirka:PAR`: the last field is the class.
            WordClass::Abbreviation => match last {
                "SUB" => Pos::NOUN,
                "ADJ" => Pos::ADJ,
                "VER" => Pos::VERB,
                "PRO" => Pos::PRON,
                _ => Pos::ADV,
            },
            WordClass::Other => Pos::X,
        };
        info
    }

    fn set_finite(&mut self, mood: Mood, tense: Tense) {
        self.mood = Some(mood);
        self.tense = Some(tense);
    }

    /// True for a finite verb form (person and mood marked).
    pub fn is_finite(&self) -> bool {
        self.verb_form == Some(VerbForm::Finite)
    }
}

/// One analysis of a form: a lemma and a tag.
#[derive(Debug, Clone, Copy)]
pub struct Analysis<'a> {
    stem: &'a str,
    suffix: &'a str,
    tag: &'a str,
    info: &'a TagInfo,
    tag_id: u16,
}

impl<'a> Analysis<'a> {
    /// The lemma in two pieces, the kept start of the form and the appended suffix, so that
    /// callers can compare or copy it without allocating.
    pub fn lemma_parts(&self) -> (&'a str, &'a str) {
        (self.stem, self.suffix)
    }

    /// The lemma: *spekulierten → spekulieren*, *ist → sein*.
    pub fn lemma(&self) -> String {
        let mut s = String::with_capacity(self.stem.len() + self.suffix.len());
        s.push_str(self.stem);
        s.push_str(self.suffix);
        s
    }

    /// True when the lemma equals `s`.
    pub fn lemma_is(&self, s: &str) -> bool {
        s.len() == self.stem.len() + self.suffix.len() && s.starts_with(self.stem) && s.ends_with(self.suffix)
    }

    /// The raw LanguageTool tag, e.g. `VER:3:SIN:KJ1:NON` or `EIG:NOM:SIN:MAS:NOA:VOR`.
    pub fn tag(&self) -> &'a str {
        self.tag
    }

    /// The parsed tag.
    pub fn info(&self) -> &'a TagInfo {
        self.info
    }

    /// Index of the tag in the lexicon's tag table; equal tags have equal ids.
    pub fn tag_id(&self) -> u16 {
        self.tag_id
    }
}

/// The analyses of one form, as returned by [`Lexicon::lookup`]. Cheap to copy.
#[derive(Debug, Clone)]
pub struct Analyses<'a> {
    lexicon: &'a Lexicon,
    form: &'a str,
    entries: &'a [u8],
}

impl<'a> Analyses<'a> {
    /// No analyses, for a form that was not looked up or not found.
    pub fn empty(lexicon: &'a Lexicon, form: &'a str) -> Analyses<'a> {
        Analyses { lexicon, form, entries: &[] }
    }

    /// True when the form is not in the lexicon.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of analyses left.
    pub fn len(&self) -> usize {
        self.entries.len() / 4
    }

    /// The form the lemma rules apply to.
    pub fn form(&self) -> &'a str {
        self.form
    }

    /// Tag id and lemma-rule id of each remaining analysis, without building the analyses;
    /// equal rule ids mean equal lemmas.
    pub fn ids(&self) -> impl Iterator<Item = (u16, u32)> + 'a {
        self.entries.chunks_exact(4).map(|c| {
            let entry = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            ((entry & TAG_MASK) as u16, entry >> TAG_BITS)
        })
    }

    /// The analysis at position `i` of the remaining ones.
    pub fn get(&self, i: usize) -> Option<Analysis<'a>> {
        let bytes = self.entries.get(4 * i..4 * i + 4)?;
        Some(self.lexicon.analysis(self.form, u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])))
    }

    /// The lexicon the analyses come from.
    pub fn lexicon(&self) -> &'a Lexicon {
        self.lexicon
    }
}

impl<'a> Iterator for Analyses<'a> {
    type Item = Analysis<'a>;

    fn next(&mut self) -> Option<Analysis<'a>> {
        let (head, rest) = self.entries.split_first_chunk::<4>()?;
        self.entries = rest;
        Some(self.lexicon.analysis(self.form, u32::from_le_bytes(*head)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), Some(self.len()))
    }
}

impl ExactSizeIterator for Analyses<'_> {}

/// Identifies one interned analysis list. Forms with the same analyses share a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListId(u32);

impl ListId {
    /// The list's position, below [`Lexicon::list_count`].
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The list at a position below [`Lexicon::list_count`].
    pub fn from_index(index: usize) -> ListId {
        ListId(index as u32)
    }
}

#[derive(Debug, Clone, Copy)]
struct Rule {
    start: u32,
    len: u16,
    strip: u16,
}

/// The commonest German word forms, looked up once on opening and then found by hashing,
/// which is several times faster than walking the automaton. About half of running news text.
const FREQUENT: &[&str] = &[
    "der",
    "die",
    "das",
    "des",
    "dem",
    "den",
    "ein",
    "eine",
    "einer",
    "eines",
    "einem",
    "einen",
    "und",
    "oder",
    "aber",
    "doch",
    "sondern",
    "denn",
    "sowie",
    "in",
    "im",
    "ins",
    "an",
    "am",
    "ans",
    "auf",
    "aus",
    "bei",
    "beim",
    "mit",
    "nach",
    "von",
    "vom",
    "zu",
    "zum",
    "zur",
    "für",
    "über",
    "unter",
    "vor",
    "hinter",
    "neben",
    "zwischen",
    "durch",
    "gegen",
    "ohne",
    "um",
    "bis",
    "seit",
    "während",
    "wegen",
    "trotz",
    "laut",
    "ab",
    "als",
    "wie",
    "dass",
    "daß",
    "ob",
    "wenn",
    "weil",
    "da",
    "damit",
    "nachdem",
    "bevor",
    "obwohl",
    "so",
    "auch",
    "nur",
    "noch",
    "schon",
    "nicht",
    "kein",
    "keine",
    "keinen",
    "keiner",
    "nie",
    "sehr",
    "mehr",
    "immer",
    "jetzt",
    "dann",
    "hier",
    "dort",
    "heute",
    "bereits",
    "etwa",
    "rund",
    "fast",
    "wieder",
    "vor",
    "ich",
    "du",
    "er",
    "sie",
    "es",
    "wir",
    "ihr",
    "Sie",
    "mich",
    "mir",
    "dich",
    "dir",
    "ihn",
    "ihm",
    "uns",
    "euch",
    "ihnen",
    "sich",
    "man",
    "was",
    "wer",
    "wo",
    "dies",
    "diese",
    "dieser",
    "dieses",
    "diesem",
    "diesen",
    "sein",
    "seine",
    "seiner",
    "seinen",
    "seinem",
    "seines",
    "ihre",
    "ihrer",
    "ihren",
    "ihrem",
    "ihres",
    "unser",
    "unsere",
    "alle",
    "alles",
    "viele",
    "ist",
    "sind",
    "war",
    "waren",
    "wäre",
    "wären",
    "sei",
    "seien",
    "bin",
    "bist",
    "gewesen",
    "hat",
    "haben",
    "hatte",
    "hatten",
    "hätte",
    "hätten",
    "habe",
    "gehabt",
    "wird",
    "werden",
    "wurde",
    "wurden",
    "würde",
    "würden",
    "werde",
    "worden",
    "geworden",
    "kann",
    "können",
    "konnte",
    "könnte",
    "könne",
    "muss",
    "müssen",
    "musste",
    "müsse",
    "soll",
    "sollen",
    "sollte",
    "solle",
    "will",
    "wollen",
    "wollte",
    "wolle",
    "darf",
    "dürfen",
    "dürfte",
    "mag",
    "möchte",
    "sagte",
    "sagt",
    "gibt",
    "geht",
    "Die",
    "Der",
    "Das",
    "Ein",
    "Eine",
    "Er",
    "Es",
    "In",
    "Im",
    "Auch",
    "Am",
    "Auf",
    "Nach",
    "Mit",
    "Bei",
    "Wie",
    "Als",
    "Wir",
    "Ich",
    "Und",
    "Aber",
    "Doch",
    "Dies",
    "Diese",
    "Für",
    "Von",
    "Vor",
    "Laut",
    "Seit",
    "Zu",
    "Zum",
    "Prozent",
    "Euro",
    "Jahr",
    "Jahre",
    "Jahren",
    "Millionen",
    "Milliarden",
    "Regierung",
    "Polizei",
    "Menschen",
];

/// A small multiply-rotate hasher (the one rustc uses); strings here are short and trusted.
#[derive(Default)]
struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The full-form lexicon, memory-mapped from `models/morphology/`.
pub struct Lexicon {
    forms: Map<Mmap>,
    frequent: HashMap<&'static str, ListId, BuildHasherDefault<FastHasher>>,
    table: Mmap,
    tags: Vec<Box<str>>,
    infos: Vec<TagInfo>,
    rules: Vec<Rule>,
    blob: Box<str>,
    lists_at: usize,
    n_lists: usize,
    entries_at: usize,
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicon")
            .field("forms", &self.forms.len())
            .field("tags", &self.tags.len())
            .field("rules", &self.rules.len())
            .field("lists", &self.n_lists)
            .finish()
    }
}

fn corrupt(path: &Path, reason: impl Into<String>) -> Error {
    Error::ModelCorrupt { path: path.to_path_buf(), reason: reason.into() }
}

fn map_file(path: &Path) -> Result<Mmap> {
    let file = File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::ModelMissing { path: path.to_path_buf() },
        _ => Error::io(path, e),
    })?;
    // SAFETY: the model files are opened read-only and are not modified while the process
    // runs; a concurrent rebuild writes new files and renames them into place.
    unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))
}

fn read_u32(data: &[u8], at: usize) -> Option<u32> {
    let bytes = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

fn read_u16(data: &[u8], at: usize) -> Option<u16> {
    let bytes = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(bytes.try_into().ok()?))
}

impl Lexicon {
    /// Opens the lexicon in `dir` (normally `models/morphology`).
    ///
    /// Fails with [`Error::ModelMissing`] when a file is absent and [`Error::ModelCorrupt`]
    /// when a file is truncated, of another version, or inconsistent with its partner.
    pub fn open(dir: &Path) -> Result<Lexicon> {
        let fst_path = dir.join(FST_FILE);
        let table_path = dir.join(TABLE_FILE);
        let forms = Map::new(map_file(&fst_path)?).map_err(|e| corrupt(&fst_path, format!("not a valid form index ({e})")))?;
        forms.as_fst().verify().map_err(|e| corrupt(&fst_path, format!("checksum mismatch ({e})")))?;
        let table = map_file(&table_path)?;
        let bad = |reason: &str| corrupt(&table_path, reason);
        let t = &table[..];
        if t.len() < HEADER_LEN || &t[..8] != MAGIC {
            return Err(bad("not a lesart analysis table"));
        }
        let header = |i: usize| read_u32(t, 8 + 4 * i).unwrap_or(0) as usize;
        if header(0) != VERSION as usize {
            return Err(bad("unsupported table version"));
        }
        let (n_tags, n_rules, n_lists, n_entries, n_forms, blob_len) = (header(1), header(2), header(3), header(4), header(5), header(6));
        if n_forms != forms.len() {
            return Err(bad("table and form index come from different builds"));
        }
        if n_tags > (TAG_MASK as usize + 1) || n_rules > MAX_RULES {
            return Err(bad("too many tags or rules"));
        }
        let tags_at = HEADER_LEN;
        let rules_at = tags_at + 8 * n_tags;
        let lists_at = rules_at + 8 * n_rules;
        let entries_at = lists_at + 4 * (n_lists + 1);
        let blob_at = entries_at + 4 * n_entries;
        if blob_at.checked_add(blob_len) != Some(t.len()) {
            return Err(bad("file is truncated or has trailing bytes"));
        }
        let blob = std::str::from_utf8(&t[blob_at..]).map_err(|_| bad("string table is not UTF-8"))?;
        let slice = |start: usize, end: usize| -> Result<&str> {
            if start <= end && end <= blob.len() && blob.is_char_boundary(start) && blob.is_char_boundary(end) {
                Ok(&blob[start..end])
            } else {
                Err(bad("string offset out of range"))
            }
        };
        let mut tags = Vec::with_capacity(n_tags);
        let mut infos = Vec::with_capacity(n_tags);
        for i in 0..n_tags {
            let start = read_u32(t, tags_at + 8 * i).unwrap_or(u32::MAX) as usize;
            let end = read_u32(t, tags_at + 8 * i + 4).unwrap_or(u32::MAX) as usize;
            let tag = slice(start, end)?;
            infos.push(TagInfo::parse(tag));
            tags.push(Box::from(tag));
        }
        let mut rules = Vec::with_capacity(n_rules);
        for i in 0..n_rules {
            let at = rules_at + 8 * i;
            let rule = Rule {
                start: read_u32(t, at).unwrap_or(u32::MAX),
                len: read_u16(t, at + 4).unwrap_or(0),
                strip: read_u16(t, at + 6).unwrap_or(0),
            };
            slice(rule.start as usize, rule.start as usize + rule.len as usize)?;
            rules.push(rule);
        }
        let mut previous = 0;
        for i in 0..=n_lists {
            let offset = read_u32(t, lists_at + 4 * i).unwrap_or(u32::MAX) as usize;
            if offset < previous || offset > n_entries {
                return Err(bad("analysis list offsets out of order"));
            }
            previous = offset;
        }
        for chunk in t[entries_at..blob_at].chunks_exact(4) {
            let entry = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            if (entry & TAG_MASK) as usize >= n_tags || (entry >> TAG_BITS) as usize >= n_rules {
                return Err(bad("analysis refers to a missing tag or rule"));
            }
        }
        let blob: Box<str> = Box::from(blob);
        let mut lexicon = Lexicon { forms, frequent: HashMap::default(), table, tags, infos, rules, blob, lists_at, n_lists, entries_at };
        lexicon.frequent = FREQUENT.iter().filter_map(|&w| Some((w, lexicon.find(w)?))).collect();
        Ok(lexicon)
    }

    /// All analyses of `form` exactly as written (no case folding); empty when unknown.
    pub fn lookup<'a>(&'a self, form: &'a str) -> Analyses<'a> {
        match self.find(form) {
            Some(list) => self.analyses(list, form),
            None => Analyses { lexicon: self, form, entries: &[] },
        }
    }

    /// The analysis list of `form`, without borrowing the form: callers that build forms in a
    /// buffer look all of them up first and read the analyses later.
    pub fn find(&self, form: &str) -> Option<ListId> {
        if let Some(&id) = self.frequent.get(form) {
            return Some(id);
        }
        let list = self.forms.get(form)?;
        (list < self.n_lists as u64).then_some(ListId(list as u32))
    }

    /// The analyses of a list found with [`Lexicon::find`]; `form` must be the form looked up,
    /// since lemmas are rewrites of it.
    pub fn analyses<'a>(&'a self, list: ListId, form: &'a str) -> Analyses<'a> {
        Analyses { lexicon: self, form, entries: self.list(list.0 as usize) }
    }

    /// Number of distinct analysis lists; list ids run from 0 to this number.
    pub fn list_count(&self) -> usize {
        self.n_lists
    }

    /// Bytes of the longest form in the lexicon (a full pass over the index; for tests and
    /// tools).
    pub fn longest_form_bytes(&self) -> usize {
        use fst::Streamer;
        let mut stream = self.forms.stream();
        let mut longest = 0;
        while let Some((form, _)) = stream.next() {
            longest = longest.max(form.len());
        }
        longest
    }

    /// True when `form` is in the lexicon.
    pub fn contains(&self, form: &str) -> bool {
        self.forms.contains_key(form)
    }

    /// Number of distinct forms.
    pub fn form_count(&self) -> usize {
        self.forms.len()
    }

    /// The parsed tag with the given id.
    pub fn tag_info(&self, tag_id: u16) -> Option<&TagInfo> {
        self.infos.get(tag_id as usize)
    }

    /// The tag strings, indexed by [`Analysis::tag_id`].
    pub fn tags(&self) -> &[Box<str>] {
        &self.tags
    }

    fn list(&self, list: usize) -> &[u8] {
        if list >= self.n_lists {
            return &[];
        }
        let at = self.lists_at + 4 * list;
        let start = read_u32(&self.table, at).unwrap_or(0) as usize;
        let end = read_u32(&self.table, at + 4).unwrap_or(0) as usize;
        self.table.get(self.entries_at + 4 * start..self.entries_at + 4 * end).unwrap_or(&[])
    }

    fn analysis<'a>(&'a self, form: &'a str, entry: u32) -> Analysis<'a> {
        let tag_id = (entry & TAG_MASK) as usize;
        let rule = self.rules[(entry >> TAG_BITS) as usize];
        let start = rule.start as usize;
        let suffix = self.blob.get(start..start + rule.len as usize).unwrap_or("");
        let keep = form.len().saturating_sub(rule.strip as usize);
        // A rule from another form's entry can cut inside a character; keep nothing then.
        let stem = form.get(..keep).unwrap_or("");
        Analysis { stem, suffix, tag: &self.tags[tag_id], info: &self.infos[tag_id], tag_id: tag_id as u16 }
    }
}

/// Counts and sizes from [`build`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct BuildStats {
    /// Source lines read.
    pub lines: usize,
    /// Distinct (form, lemma, tag) triples kept.
    pub analyses: usize,
    /// Distinct forms.
    pub forms: usize,
    /// Distinct tags.
    pub tags: usize,
    /// Distinct lemma rules.
    pub rules: usize,
    /// Distinct analysis lists.
    pub lists: usize,
    /// Entries over all distinct lists.
    pub list_entries: usize,
    /// Size of `forms.fst` in bytes.
    pub fst_bytes: u64,
    /// Size of `analyses.bin` in bytes.
    pub table_bytes: u64,
}

impl std::fmt::Display for BuildStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "source lines   {:>10}", self.lines)?;
        writeln!(f, "analyses       {:>10}", self.analyses)?;
        writeln!(f, "forms          {:>10}", self.forms)?;
        writeln!(f, "tags           {:>10}", self.tags)?;
        writeln!(f, "lemma rules    {:>10}", self.rules)?;
        writeln!(f, "analysis lists {:>10} ({} entries)", self.lists, self.list_entries)?;
        writeln!(f, "{FST_FILE}      {:>10} bytes", self.fst_bytes)?;
        write!(f, "{TABLE_FILE}   {:>10} bytes", self.table_bytes)
    }
}

/// Number of leading bytes two strings share, rounded down to a character boundary.
fn shared_prefix(a: &str, b: &str) -> usize {
    let mut n = 0;
    for ((i, x), y) in a.char_indices().zip(b.chars()) {
        if x != y {
            return i;
        }
        n = i + x.len_utf8();
    }
    n
}

struct Interner<T> {
    ids: HashMap<T, u32>,
    items: Vec<T>,
}

impl<T: std::hash::Hash + Eq + Clone> Interner<T> {
    fn new() -> Self {
        Interner { ids: HashMap::new(), items: Vec::new() }
    }

    fn id(&mut self, item: &T) -> u32 {
        if let Some(&id) = self.ids.get(item) {
            return id;
        }
        let id = self.items.len() as u32;
        self.ids.insert(item.clone(), id);
        self.items.push(item.clone());
        id
    }
}

/// Compiles a `form<TAB>lemma<TAB>tag` file (any order, duplicates allowed) into `out_dir`.
///
/// Writes to temporary names first and renames them at the end, so an interrupted build
/// leaves the previous lexicon intact.
pub fn build(source_tsv: &Path, out_dir: &Path) -> Result<BuildStats> {
    let file = File::open(source_tsv).map_err(|e| Error::io(source_tsv, e))?;
    let bad_line = |line: usize, reason: &str| Error::BadLine { path: source_tsv.to_path_buf(), line, reason: reason.to_string() };
    let mut tags: Interner<String> = Interner::new();
    let mut rules: Interner<(String, u16)> = Interner::new();
    let mut rows: Vec<(Box<str>, u32)> = Vec::new();
    let mut stats = BuildStats::default();
    let mut line = String::new();
    let mut reader = BufReader::new(file);
    loop {
        line.clear();
        let read = reader.read_line(&mut line).map_err(|e| Error::io(source_tsv, e))?;
        if read == 0 {
            break;
        }
        stats.lines += 1;
        let text = line.trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            continue;
        }
        let mut fields = text.split('\t');
        let (Some(form), Some(lemma), Some(tag), None) = (fields.next(), fields.next(), fields.next(), fields.next()) else {
            return Err(bad_line(stats.lines, "expected form, lemma and tag separated by tabs"));
        };
        if form.is_empty() || lemma.is_empty() || tag.is_empty() {
            return Err(bad_line(stats.lines, "empty field"));
        }
        let keep = shared_prefix(form, lemma);
        let strip = u16::try_from(form.len() - keep).map_err(|_| bad_line(stats.lines, "form too long"))?;
        if lemma.len() - keep > u16::MAX as usize {
            return Err(bad_line(stats.lines, "lemma too long"));
        }
        let rule = rules.id(&(lemma[keep..].to_string(), strip));
        let tag = tags.id(&tag.to_string());
        if tags.items.len() > TAG_MASK as usize + 1 || rules.items.len() > MAX_RULES {
            return Err(bad_line(stats.lines, "too many distinct tags or lemma rules"));
        }
        rows.push((Box::from(form), rule << TAG_BITS | tag));
    }
    rows.sort_unstable();
    rows.dedup();
    stats.analyses = rows.len();

    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let fst_tmp = out_dir.join(format!("{FST_FILE}.tmp"));
    let table_tmp = out_dir.join(format!("{TABLE_FILE}.tmp"));
    let fst_file = File::create(&fst_tmp).map_err(|e| Error::io(&fst_tmp, e))?;
    let fst_err = |e: fst::Error| match e {
        fst::Error::Io(e) => Error::io(&fst_tmp, e),
        other => Error::Usage(format!("building {}: {other}", fst_tmp.display())),
    };
    let mut map = MapBuilder::new(BufWriter::new(fst_file)).map_err(fst_err)?;
    let mut lists: Interner<Vec<u32>> = Interner::new();
    let mut i = 0;
    while i < rows.len() {
        let form = &rows[i].0;
        let mut j = i;
        let mut list = Vec::new();
        while j < rows.len() && rows[j].0 == *form {
            list.push(rows[j].1);
            j += 1;
        }
        let id = lists.id(&list);
        map.insert(form.as_bytes(), u64::from(id)).map_err(fst_err)?;
        stats.forms += 1;
        i = j;
    }
    map.finish().map_err(fst_err)?;

    let mut blob = String::new();
    let mut out: Vec<u8> = Vec::new();
    let n_entries: usize = lists.items.iter().map(Vec::len).sum();
    out.extend_from_slice(MAGIC);
    for value in [
        VERSION as usize,
        tags.items.len(),
        rules.items.len(),
        lists.items.len(),
        n_entries,
        stats.forms,
        0, // blob length, patched below
        0,
    ] {
        out.extend_from_slice(&(value as u32).to_le_bytes());
    }
    for tag in &tags.items {
        out.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        blob.push_str(tag);
        out.extend_from_slice(&(blob.len() as u32).to_le_bytes());
    }
    for (suffix, strip) in &rules.items {
        out.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        out.extend_from_slice(&(suffix.len() as u16).to_le_bytes());
        out.extend_from_slice(&strip.to_le_bytes());
        blob.push_str(suffix);
    }
    let mut offset = 0u32;
    out.extend_from_slice(&offset.to_le_bytes());
    for list in &lists.items {
        offset += list.len() as u32;
        out.extend_from_slice(&offset.to_le_bytes());
    }
    for list in &lists.items {
        for entry in list {
            out.extend_from_slice(&entry.to_le_bytes());
        }
    }
    out[32..36].copy_from_slice(&(blob.len() as u32).to_le_bytes());
    out.extend_from_slice(blob.as_bytes());
    std::fs::write(&table_tmp, &out).map_err(|e| Error::io(&table_tmp, e))?;

    let rename = |from: &PathBuf, to: PathBuf| std::fs::rename(from, &to).map_err(|e| Error::io(to, e));
    rename(&fst_tmp, out_dir.join(FST_FILE))?;
    rename(&table_tmp, out_dir.join(TABLE_FILE))?;
    stats.tags = tags.items.len();
    stats.rules = rules.items.len();
    stats.lists = lists.items.len();
    stats.list_entries = n_entries;
    stats.fst_bytes = file_len(&out_dir.join(FST_FILE))?;
    stats.table_bytes = out.len() as u64;
    Ok(stats)
}

fn file_len(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path).map_err(|e| Error::io(path, e))?.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_lexicon(dir: &Path) -> BuildStats {
        let tsv = dir.join("src.tsv");
        std::fs::write(
            &tsv,
            "sei\tsein\tVER:3:SIN:KJ1:NON\nhabe\thaben\tVER:1:SIN:PRÄ:NON\n\
             habe\thaben\tVER:3:SIN:KJ1:NON\nHäuser\tHaus\tSUB:NOM:PLU:NEU\n\
             sei\tsein\tVER:3:SIN:KJ1:NON\nist\tsein\tVER:AUX:3:SIN:PRÄ\n",
        )
        .unwrap();
        build(&tsv, &dir.join("out")).unwrap()
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("lesart-lexicon-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn builds_and_looks_up() {
        let dir = scratch("build");
        let stats = tiny_lexicon(&dir);
        assert_eq!((stats.forms, stats.analyses), (4, 5));
        let lex = Lexicon::open(&dir.join("out")).unwrap();
        let found: Vec<(String, String)> = lex.lookup("habe").map(|a| (a.lemma(), a.tag().to_string())).collect();
        assert_eq!(found.len(), 2);
        assert!(found.contains(&("haben".into(), "VER:3:SIN:KJ1:NON".into())));
        let haus: Vec<String> = lex.lookup("Häuser").map(|a| a.lemma()).collect();
        assert_eq!(haus, ["Haus"]);
        let ist = lex.lookup("ist").next().unwrap();
        assert!(ist.lemma_is("sein"));
        assert_eq!(ist.info().pos, Pos::AUX);
        assert!(lex.lookup("Haus").is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn missing_and_corrupt_files_are_errors() {
        let dir = scratch("corrupt");
        assert!(matches!(Lexicon::open(&dir), Err(Error::ModelMissing { .. })));
        tiny_lexicon(&dir);
        let out = dir.join("out");
        let table = std::fs::read(out.join(TABLE_FILE)).unwrap();
        for cut in [0, 10, HEADER_LEN + 3, table.len() - 1] {
            std::fs::write(out.join(TABLE_FILE), &table[..cut]).unwrap();
            assert!(matches!(Lexicon::open(&out), Err(Error::ModelCorrupt { .. })), "cut {cut}");
        }
        std::fs::write(out.join(TABLE_FILE), &table).unwrap();
        let fst = std::fs::read(out.join(FST_FILE)).unwrap();
        std::fs::write(out.join(FST_FILE), &fst[..fst.len() / 2]).unwrap();
        assert!(matches!(Lexicon::open(&out), Err(Error::ModelCorrupt { .. })));
        let mut flipped = fst.clone();
        flipped[fst.len() / 3] ^= 0x55;
        std::fs::write(out.join(FST_FILE), &flipped).unwrap();
        assert!(matches!(Lexicon::open(&out), Err(Error::ModelCorrupt { .. })));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_source_lines_are_reported() {
        let dir = scratch("badline");
        let tsv = dir.join("bad.tsv");
        std::fs::write(&tsv, "sei\tsein\tVER:3:SIN:KJ1:NON\nnur zwei\tFelder\n").unwrap();
        match build(&tsv, &dir.join("out")) {
            Err(Error::BadLine { line, .. }) => assert_eq!(line, 2),
            other => panic!("expected a bad line, got {other:?}"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn tags_parse() {
        let t = TagInfo::parse("VER:AUX:3:SIN:KJ1");
        assert_eq!(
            (t.pos, t.mood, t.person, t.number, t.tense),
            (Pos::AUX, Some(Mood::KonjunktivI), Some(3), Some(Number::Singular), Some(Tense::Present))
        );
        let t = TagInfo::parse("VER:3:PLU:KJ2:SFT");
        assert_eq!((t.pos, t.mood, t.tense), (Pos::VERB, Some(Mood::KonjunktivII), Some(Tense::Past)));
        assert_eq!(TagInfo::parse("VER:IMP:SIN:NON").mood, Some(Mood::Imperative));
        assert_eq!(TagInfo::parse("VER:PA2:SFT").verb_form, Some(VerbForm::Participle2));
        assert_eq!(TagInfo::parse("PA2:AKK:PLU:FEM:GRU:DEF:VER").pos, Pos::ADJ);
        assert_eq!(TagInfo::parse("ART:DEF:NOM:SIN:MAS").pos, Pos::DET);
        assert_eq!(TagInfo::parse("PRO:POS:AKK:SIN:NEU:BEG").pos, Pos::DET);
        assert_eq!(TagInfo::parse("PRO:PER:NOM:SIN:NEU").pos, Pos::PRON);
        assert_eq!(TagInfo::parse("EIG:NOM:SIN:FEM:NOA:VOR").pos, Pos::PROPN);
        assert_eq!(TagInfo::parse("KON:UNT").pos, Pos::SCONJ);
        assert_eq!(TagInfo::parse("ABK:Professor:SUB").pos, Pos::NOUN);
        assert_eq!(TagInfo::parse("NEG").pos, Pos::PART);
    }
}
