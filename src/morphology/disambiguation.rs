//! Choosing one analysis per token with cheap rules over its neighbours in the sentence.
//!
//! Every analysis tag falls into one class bit; a token's class set is the union over its
//! analyses (precomputed per analysis list). The rules pick a class from the set using the
//! neighbours' sets and a few clause-level facts, then the best analysis inside that class.

use super::guess::{self, Shape};
use super::lexicon::{Analyses, Analysis, ConjunctionKind, PronounKind, TagInfo, Usage, VerbForm, WordClass};
use crate::doc::{Mood, Morph, Number, Pos};

pub(super) const NOUN: u64 = 1;
pub(super) const NAME: u64 = 1 << 1;
pub(super) const ADJ: u64 = 1 << 2;
/// A participle declined as an adjective (`PA1`/`PA2` tags).
pub(super) const PTCP: u64 = 1 << 3;
pub(super) const VFIN: u64 = 1 << 4;
pub(super) const VINF: u64 = 1 << 5;
pub(super) const VPP: u64 = 1 << 6;
pub(super) const VPA1: u64 = 1 << 7;
pub(super) const VIMP: u64 = 1 << 8;
pub(super) const ART: u64 = 1 << 9;
pub(super) const PER: u64 = 1 << 10;
pub(super) const REF: u64 = 1 << 11;
pub(super) const POSS: u64 = 1 << 12;
pub(super) const DEM: u64 = 1 << 13;
pub(super) const IND: u64 = 1 << 14;
pub(super) const RIN: u64 = 1 << 15;
pub(super) const PRO_OTHER: u64 = 1 << 16;
pub(super) const PRP: u64 = 1 << 17;
pub(super) const CCONJ: u64 = 1 << 18;
pub(super) const SCONJ: u64 = 1 << 19;
pub(super) const CMP: u64 = 1 << 20;
pub(super) const KINF: u64 = 1 << 21;
pub(super) const ADV: u64 = 1 << 22;
pub(super) const NEG: u64 = 1 << 23;
pub(super) const ZUS: u64 = 1 << 24;
pub(super) const ZAL: u64 = 1 << 25;
pub(super) const INJ: u64 = 1 << 26;
pub(super) const ABK: u64 = 1 << 27;
pub(super) const OTHER: u64 = 1 << 28;
/// Not a class: some pronoun or article analysis can stand before a noun.
pub(super) const ATTR: u64 = 1 << 40;
/// Not a class: some verb analysis is tagged `AUX` or `MOD`.
pub(super) const AUXV: u64 = 1 << 41;
/// Not a class: some adjective or participle analysis is inflected (can stand before a noun).
pub(super) const ATTR_ADJ: u64 = 1 << 44;
/// Not a class, used only while looking for what an auxiliary governs: a modal infinitive.
const MODAL_INF: u64 = 1 << 43;

pub(super) const CLASSES: u64 = (1 << 29) - 1;
const PRONOUNS: u64 = PER | REF | POSS | DEM | IND | RIN | PRO_OTHER;
pub(super) const VERBS: u64 = VFIN | VINF | VPP | VPA1 | VIMP;
const FUNCTION: u64 = ART | PRONOUNS | PRP | CCONJ | SCONJ | CMP | KINF | ADV | NEG | ZAL;
/// Classes that continue a noun phrase; adjectives only when inflected (`ATTR_ADJ`).
const NOMINAL: u64 = NOUN | NAME | ZAL | ABK | ATTR_ADJ;

/// The class bit of one tag, plus the non-class bits it sets.
pub(super) fn tag_bits(info: &TagInfo) -> u64 {
    let class = match info.class {
        WordClass::Noun => NOUN,
        WordClass::Name => NAME,
        WordClass::Adjective => ADJ,
        WordClass::Participle => PTCP,
        WordClass::Verb => match info.verb_form {
            Some(VerbForm::Infinitive | VerbForm::ZuInfinitive) => VINF,
            Some(VerbForm::Participle2) => VPP,
            Some(VerbForm::Participle1) => VPA1,
            Some(VerbForm::Imperative) => VIMP,
            _ => VFIN,
        },
        WordClass::Article => ART,
        WordClass::Pronoun => match info.pronoun {
            Some(PronounKind::Personal) => PER,
            Some(PronounKind::Reflexive) => REF,
            Some(PronounKind::Possessive) => POSS,
            Some(PronounKind::Demonstrative) => DEM,
            Some(PronounKind::Indefinite) => IND,
            Some(PronounKind::RelativeInterrogative) => RIN,
            _ => PRO_OTHER,
        },
        WordClass::Preposition => PRP,
        WordClass::Conjunction => match info.conjunction {
            Some(ConjunctionKind::Coordinating) => CCONJ,
            Some(ConjunctionKind::Comparative) => CMP,
            Some(ConjunctionKind::Infinitival | ConjunctionKind::Other) => KINF,
            _ => SCONJ,
        },
        WordClass::Adverb => ADV,
        WordClass::Negation => NEG,
        WordClass::VerbParticle => ZUS,
        WordClass::Numeral => ZAL,
        WordClass::Interjection => INJ,
        WordClass::Abbreviation => ABK,
        WordClass::Other => OTHER,
    };
    let mut bits = class;
    if matches!(info.class, WordClass::Article | WordClass::Pronoun) && info.usage != Usage::Substituting {
        bits |= ATTR;
    }
    if info.auxiliary || info.modal {
        bits |= AUXV;
    }
    if class & (ADJ | PTCP) != 0 && !info.predicative {
        bits |= ATTR_ADJ;
    }
    bits
}

/// One token prepared for disambiguation.
pub(super) struct Tok<'a> {
    /// The form as written, soft hyphens removed.
    pub form: &'a str,
    pub shape: Shape,
    pub cap: bool,
    /// First word of the sentence, or first after an opening quote or colon.
    pub initial: bool,
    /// Analyses of the form (for an unknown hyphenated compound: of its last part).
    pub exact: Analyses<'a>,
    /// Analyses of the form with its capitals lowered, when those were looked up.
    pub variant: Analyses<'a>,
    /// For a compound analysed by its last part: everything up to and including the hyphen.
    pub prefix: &'a str,
    pub ebits: u64,
    pub vbits: u64,
}

impl Tok<'_> {
    fn is_word(&self) -> bool {
        self.shape == Shape::Word
    }

    /// The class set decisions use: for a capitalised word inside a sentence its own
    /// analyses, falling back to the lowered ones; for a sentence-initial word both.
    fn bits(&self) -> u64 {
        if self.initial || self.ebits == 0 {
            self.ebits | self.vbits
        } else {
            self.ebits
        }
    }

    fn lower_is(&self, word: &str) -> bool {
        self.form.len() == word.len() && self.form.eq_ignore_ascii_case(word)
    }

    fn is_punct(&self, set: &[&str]) -> bool {
        self.shape == Shape::Punctuation && set.contains(&self.form)
    }
}

/// Punctuation after which a capitalised word starts a sentence-like unit.
pub(super) const OPENERS: &[&str] = &[":", "„", "\"", "«", "»", "“", "(", "–", "—", "-", "•", "*", ".", "!", "?", "``", "‚", "'"];

/// Facts about one clause (tokens between clause punctuation).
#[derive(Default, Clone, Copy)]
struct Clause {
    bits: u64,
    infinitives: u32,
    /// Person and number of a pronoun subject: *ich, wir, du, ihr*.
    subject: Option<(u8, Number)>,
    /// Last word token has a finite verb analysis: a verb-final (subordinate) clause.
    verb_final: bool,
    /// Some token is a finite form of haben/sein/werden.
    auxiliary: bool,
    /// Some token is a finite form of *haben*.
    haben: bool,
    /// Some token is a finite modal or *werden*, which takes an infinitive.
    infinitive_governor: bool,
    /// Tokens that can only be verbs and have a finite reading.
    finite: u32,
    /// Some token is *er, sie, es* or *man*.
    third_person_pronoun: bool,
}

fn is_clause_break(t: &Tok) -> bool {
    t.shape == Shape::Punctuation && !matches!(t.form, "'" | "’" | "/" | "&" | "%" | "€" | "$" | "§" | "+" | "°")
}

/// Chooses one analysis per token and fills `out` with the results, in token order.
pub(super) fn disambiguate(toks: &[Tok], tag_bits: &[u64], out: &mut Vec<Morph>) {
    let n = toks.len();
    let mut clause_of = Vec::with_capacity(n);
    let mut clauses: Vec<Clause> = Vec::new();
    let mut current = Clause::default();
    let mut last_word_bits = 0u64;
    for (i, t) in toks.iter().enumerate() {
        if is_clause_break(t) {
            current.verb_final = last_word_bits & VFIN != 0;
            clauses.push(current);
            current = Clause::default();
            last_word_bits = 0;
            clause_of.push(clauses.len());
            continue;
        }
        clause_of.push(clauses.len());
        if !t.is_word() {
            last_word_bits = 0;
            continue;
        }
        let bits = t.bits();
        last_word_bits = bits;
        current.bits |= bits;
        // Participles (*gehört*) are too often not finite to count.
        if bits & VFIN != 0 && bits & CLASSES & !(VFIN | VIMP | VINF) == 0 {
            current.finite += 1;
        }
        if matches!(t.form, "er" | "sie" | "es" | "man" | "Er" | "Es" | "Man") {
            current.third_person_pronoun = true;
        }
        if bits & VINF != 0 {
            current.infinitives += 1;
        }
        if bits & AUXV != 0 && bits & VFIN != 0 {
            let lemma_of = |a: &Analysis| a.info().is_finite() && (a.info().auxiliary || a.info().modal);
            let finite_aux = t.exact.clone().chain(t.variant.clone()).find(lemma_of);
            if let Some(a) = finite_aux {
                if a.info().auxiliary {
                    current.auxiliary = true;
                    current.haben |= a.lemma_is("haben");
                }
                if a.info().modal || a.lemma_is("werden") {
                    current.infinitive_governor = true;
                }
            }
        }
        let subject = match t.form {
            "ich" | "Ich" => Some((1, Number::Singular)),
            "wir" | "Wir" => Some((1, Number::Plural)),
            "du" | "Du" => Some((2, Number::Singular)),
            "ihr" | "Ihr" if !nominal_ahead(toks, i) => Some((2, Number::Plural)),
            _ => None,
        };
        if current.subject.is_none() {
            current.subject = subject;
        }
    }
    current.verb_final = last_word_bits & VFIN != 0;
    clauses.push(current);
    let last = toks.iter().rev().find(|t| !t.is_punct(&["\"", "“", "”", "'", ")", "«", "»", "''"]));
    let exclaims = last.is_some_and(|t| t.form == "!");
    let question = last.is_some_and(|t| t.form == "?");

    let first_word_at = toks.iter().position(Tok::is_word);
    out.clear();
    let mut chosen: Vec<u64> = Vec::with_capacity(n);
    for (i, t) in toks.iter().enumerate() {
        let clause = &clauses[clause_of[i]];
        // Quotations and colons open a new utterance, which may drop its subject too.
        let first_word = Some(i) == first_word_at || (t.initial && t.cap);
        let ctx = Ctx { toks, i, clause, exclaims, first_word, question, prev_class: chosen.last().copied().unwrap_or(0) };
        let (morph, class) = choose(t, &ctx, tag_bits);
        chosen.push(class);
        out.push(morph);
    }
}

struct Ctx<'s, 'a> {
    toks: &'s [Tok<'a>],
    i: usize,
    clause: &'s Clause,
    exclaims: bool,
    /// The token is the sentence's first word.
    first_word: bool,
    /// The sentence ends with a question mark.
    question: bool,
    prev_class: u64,
}

impl Ctx<'_, '_> {
    fn next(&self) -> Option<&Tok<'_>> {
        self.toks.get(self.i + 1)
    }

    fn prev(&self) -> Option<&Tok<'_>> {
        self.i.checked_sub(1).and_then(|j| self.toks.get(j))
    }
}

/// Quotation marks, which may stand inside a noun phrase: *der „innere Frieden“*.
const QUOTES: &[&str] = &["\"", "„", "“", "”", "``", "''", "‚", "‘", "’", "«", "»", "'"];

/// True when a noun phrase continues after token `i`: a noun, name, inflected adjective,
/// number or capitalised word follows, possibly after a few modifiers (*die sehr hohen
/// Kosten, der äußerst freundliche*) and quotation marks.
fn nominal_ahead(toks: &[Tok], i: usize) -> bool {
    let mut words = 0;
    for t in toks.iter().skip(i + 1).take(6) {
        match t.shape {
            Shape::Number => return true,
            Shape::Punctuation if QUOTES.contains(&t.form) => continue,
            Shape::Punctuation => return false,
            Shape::Word => {}
        }
        words += 1;
        if words > 3 {
            return false;
        }
        let bits = t.bits();
        if t.cap && !t.initial {
            return true;
        }
        if bits == 0 {
            // An unknown lower-case word inside a noun phrase is most likely an adjective.
            return true;
        }
        if bits & (NOMINAL | POSS) != 0 && bits & (ART | PRP | CCONJ | SCONJ) == 0 {
            return true;
        }
        let modifier = bits & ADV != 0 || (bits & ADJ != 0 && bits & ATTR_ADJ == 0);
        if !modifier || bits & (VFIN | ART | PRP) != 0 {
            return false;
        }
    }
    false
}

/// Picks the class for a lower-case word (or the lowered reading of a capitalised one).
fn choose_class(bits: u64, ctx: &Ctx, t: &Tok) -> u64 {
    let mut classes = bits & CLASSES;
    // One finite verb per clause: when another token can only be a finite verb, a word that
    // is also something else is that something else (*schon lange arbeitet er*).
    // Participle adjectives are the exception: *sie kamen und diskutierten* coordinates.
    let participle_only = classes & !VERBS == PTCP && !nominal_ahead(ctx.toks, ctx.i);
    if classes & !VERBS != 0 && ctx.clause.finite > 0 && !participle_only {
        classes &= !(VFIN | VIMP);
    }
    // Imperatives are rare in news and their forms double as other forms.
    if classes & !VIMP != 0 {
        classes &= !VIMP;
    }
    if classes.count_ones() <= 1 {
        return classes;
    }
    let nominal = nominal_ahead(ctx.toks, ctx.i);
    let next = ctx.next();
    let next_bits = next.map_or(0, |n| if n.is_word() { n.bits() } else { 0 });
    let clause_end = next.is_none_or(is_clause_break);

    if t.lower_is("zu") {
        if next.is_some_and(|n| n.is_word() && !n.cap) && next_bits & VINF != 0 {
            return ZUS; // a PART, see `to_morph`
        }
        if next_bits & (ADJ | ADV) != 0 && !nominal_ahead(ctx.toks, ctx.i + 1) && next_bits & (NOUN | ART) == 0 {
            return ADV & classes;
        }
        return PRP & classes;
    }
    if classes & ZUS != 0 && clause_end {
        return ZUS;
    }
    if classes & ADV != 0 {
        // *selbst* is an adverb unless it follows its noun; *etwas* before an adjective is
        // one too (*etwas länger*).
        if t.lower_is("selbst") || (t.lower_is("etwas") && next_bits & (ADJ | ADV) != 0 && !next.is_some_and(|n| n.cap)) {
            return ADV;
        }
    }
    if t.lower_is("wie") {
        if ctx.clause.verb_final && clause_start(ctx) && !ctx.question {
            return SCONJ & classes;
        }
        if ctx.question && clause_start(ctx) {
            return ADV & classes;
        }
        return CMP & classes;
    }
    if classes & ART != 0 {
        // After a comma *der, die, das* open a relative clause unless a noun or adjective
        // follows at once.
        let after_comma = ctx.prev().is_some_and(|p| p.form == ",");
        let noun_next = next.is_some_and(|n| n.shape == Shape::Number || (n.is_word() && n.cap && !n.initial)) || next_bits & NOMINAL != 0;
        if (nominal && (!after_comma || noun_next)) || classes & PRONOUNS == 0 {
            return ART;
        }
        return pick_first(classes, &[DEM, RIN, PER, IND, POSS]);
    }
    if classes & (POSS | DEM | IND | RIN) != 0 && classes & VERBS != 0 {
        // *sein, meinen, einen*: a pronoun before a noun, a verb elsewhere; *einige von ihnen*
        // is a pronoun.
        if nominal && bits & ATTR != 0 {
            return pick_first(classes, &[POSS, DEM, IND, RIN]);
        }
        if classes & IND != 0 && (next_bits & (PRP | ART) != 0 || next.is_some_and(|n| !n.is_word())) {
            return IND;
        }
        return pick_first(classes, &[VFIN, VINF, VPP]);
    }
    if classes & PER != 0 && classes & POSS != 0 {
        return if nominal { POSS } else { PER };
    }
    if classes & PRONOUNS != 0 && classes & (PRP | CCONJ | SCONJ | VERBS) == 0 {
        return pick_first(classes, &[PER, REF, DEM, RIN, IND, POSS, PRO_OTHER]);
    }
    if classes & PRP != 0 {
        if classes & SCONJ != 0 && ctx.clause.verb_final && !nominal && clause_start(ctx) {
            return SCONJ;
        }
        if classes & KINF != 0 {
            return PRP; // *um … zu* is an ADP in UD German
        }
        if nominal || next_bits & (ART | PRONOUNS | ZAL) != 0 || classes & (ADV | SCONJ | CCONJ | CMP) == 0 {
            return if classes & CMP != 0 && t.lower_is("als") { CMP } else { PRP };
        }
        return pick_first(classes, &[CMP, ADV, PRP]);
    }
    if classes & (SCONJ | CMP | CCONJ | KINF) != 0 {
        if classes & SCONJ != 0 && ctx.clause.verb_final && clause_start(ctx) {
            return SCONJ;
        }
        if classes & CCONJ != 0 {
            // *auch, nur, noch* are adverbs that the lexicon also lists as conjunctions.
            let coordinator = classes & ADV == 0
                || (["aber", "doch", "denn", "sondern", "jedoch"].iter().any(|w| t.lower_is(w)) && ctx.prev_class & VFIN == 0);
            if coordinator {
                return CCONJ;
            }
        }
        return pick_first(classes, &[ADV, CMP, CCONJ, SCONJ, KINF]);
    }
    if classes & (ADJ | PTCP) != 0 && classes & VERBS != 0 {
        // *die spekulierten Summen, klare Bedingungen* vs. *sie spekulierten*.
        let determiner_before = ctx.prev_class & (ART | POSS | DEM | IND | ADJ | PTCP | ZAL) != 0;
        let noun_next = next.is_some_and(|n| n.is_word() && n.cap && !n.initial) || next_bits & (ADJ | PTCP) != 0;
        if nominal && (determiner_before || noun_next || classes & VFIN == 0) {
            return pick_first(classes, &[ADJ, PTCP]);
        }
        // A participle after a degree word is a state: *sehr motiviert, völlig überfordert*
        // (but *hat es sehr genossen*).
        let degree = ctx.prev().is_some_and(|p| DEGREE.iter().any(|w| p.lower_is(w)));
        if degree && !ctx.clause.haben && classes & (ADJ | PTCP) != 0 && clause_end_or_conj(ctx) {
            return pick_first(classes, &[ADJ, PTCP]);
        }
        if classes & VPP != 0 && ctx.clause.auxiliary {
            return VPP;
        }
        if classes & VFIN != 0 && !determiner_before && ctx.clause.finite == 0 {
            return VFIN;
        }
        // UD German tags predicative participles as verbs: *wurde geboten, gut gefasst*.
        return pick_first(classes, &[VPP, ADJ, PTCP, VINF, VFIN]);
    }
    if classes & ADV != 0 && classes & VERBS != 0 {
        return ADV;
    }
    if classes & VFIN != 0 && classes & VPP != 0 {
        return if ctx.clause.auxiliary && bits & AUXV == 0 { VPP } else { VFIN };
    }
    if classes & VFIN != 0 && classes & VINF != 0 {
        let after_zu = ctx.prev().is_some_and(|p| p.lower_is("zu"));
        let governed = ctx.clause.infinitive_governor && bits & AUXV == 0;
        return if after_zu || governed { VINF } else { VFIN };
    }
    if classes & ZUS != 0 {
        return pick_first(classes, &[ADV, ADJ, ZUS]);
    }
    pick_first(classes, &[NEG, ZAL, ADV, VFIN, VINF, VPP, VIMP, VPA1, ADJ, PTCP, INJ, NOUN, NAME, ABK, OTHER])
}

/// Degree words, after which a participle is read as an adjective.
const DEGREE: &[&str] = &[
    "sehr",
    "total",
    "völlig",
    "ziemlich",
    "echt",
    "etwas",
    "wirklich",
    "äußerst",
    "recht",
    "absolut",
    "extrem",
    "super",
    "besonders",
    "ganz",
    "hellauf",
    "zutiefst",
    "höchst",
    "leicht",
    "schwer",
    "gut",
    "schön",
];

/// True when the next token ends the clause or coordinates (*motiviert und freundlich*).
fn clause_end_or_conj(ctx: &Ctx) -> bool {
    ctx.next().is_none_or(|n| is_clause_break(n) || n.bits() & CCONJ != 0)
}

/// True when the token opens its clause, possibly after a coordinating conjunction.
fn clause_start(ctx: &Ctx) -> bool {
    match ctx.prev() {
        None => true,
        Some(p) => is_clause_break(p) || ctx.prev_class & CCONJ != 0,
    }
}

fn pick_first(classes: u64, order: &[u64]) -> u64 {
    order.iter().copied().find(|c| classes & c != 0).unwrap_or(classes & classes.wrapping_neg())
}

/// Decides for one token: which reading (as written or lowered), which class, which analysis.
fn choose(t: &Tok, ctx: &Ctx, tag_bits: &[u64]) -> (Morph, u64) {
    match t.shape {
        Shape::Punctuation => return (from_guess(guess::punctuation(t.form)), 0),
        Shape::Number => return (simple(t.form, Pos::NUM, false), ZAL),
        Shape::Word => {}
    }
    if t.ebits == 0 && t.vbits == 0 {
        let mut g = if t.cap { guess::capitalised(t.form) } else { guess::lowercase(t.form) };
        if !t.cap
            && g.pos == Pos::VERB
            && g.mood.is_none()
            && ctx.prev_class & (ART | POSS | DEM | IND | PRP | ADJ) != 0
            && nominal_ahead(ctx.toks, ctx.i)
        {
            // *mit grossen Schwierigkeiten*: an unknown word between determiner and noun.
            g = guess::adjective(t.form);
        }
        let class = match g.pos {
            Pos::NOUN => NOUN,
            Pos::PROPN => NAME,
            Pos::VERB => VFIN,
            _ => ADJ,
        };
        return (from_guess(g), class);
    }
    // A sentence-initial unknown word that only a rare verb form explains, before another
    // capitalised word, is a first name: *Ahmet Davutoğlu*, not *ahmet* (2nd plural of *ahmen*).
    let name_pair = ctx.next().is_some_and(|n| n.is_word() && n.cap);
    if t.ebits == 0 && t.cap && t.vbits & CLASSES & !VERBS == 0 && name_pair {
        return (from_guess(guess::capitalised(t.form)), NAME);
    }
    let nouny = NOUN | NAME | ABK;
    // Which reading: the lowered one for function words and verbs at the start of a
    // sentence, the written one for capitalised words inside it.
    let use_variant = if t.ebits == 0 {
        true
    } else if t.vbits == 0 || !t.cap {
        false
    } else if t.initial {
        let v = t.vbits & CLASSES;
        if (v & FUNCTION != 0 && t.ebits & NAME == 0) || t.ebits & nouny == 0 {
            true
        } else if t.ebits & NAME != 0 && name_pair {
            // *Ahmet Davutoğlu*: a known first name before another capitalised word.
            false
        } else if t.vbits & ATTR_ADJ != 0 && nominal_ahead(ctx.toks, ctx.i) {
            // *Letzte Woche, Gute Preise*: an adjective before its noun.
            true
        } else {
            // *Habe ich, Bleiben die Kosten, Werde mir nicht* (verb first, subject or object
            // next) vs. *Kosten steigen, Reise in den Tod, Flanke Dijks* (noun).
            let next_bits = ctx.next().map_or(0, |n| if n.is_word() && !n.cap { n.bits() } else { 0 });
            let verb_first = next_bits & (PER | REF | ART | DEM | POSS | ADV | NEG) != 0 && next_bits & PRP == 0;
            v & VFIN != 0 && ctx.clause.finite == 0 && verb_first
        }
    } else {
        false
    };
    if use_variant && t.ebits == 0 && t.cap && !t.initial && t.vbits & FUNCTION == 0 {
        // A capitalised adjective or verb inside a sentence is a nominalisation:
        // *das Gute, beim Tauchen*.
        return (simple(t.form, Pos::NOUN, false), NOUN);
    }
    let (analyses, bits) = if use_variant { (&t.variant, t.vbits) } else { (&t.exact, t.ebits) };
    let mut class = if t.cap && !use_variant && bits & nouny != 0 { choose_name_or_noun(bits, ctx) } else { choose_class(bits, ctx, t) };
    if class == 0 {
        let classes = bits & CLASSES;
        class = classes & classes.wrapping_neg();
    }
    let hint = subject_hint(ctx);
    let imperative = ctx.exclaims && t.initial;
    let best = best_analysis(analyses.clone(), class, hint, imperative, t, tag_bits);
    let Some(a) = best else {
        return (simple(t.form, Pos::X, false), 0);
    };
    (to_morph(&a, class, t, ctx, bits), class)
}

/// Person and number the clause's subject suggests: from *ich, wir, du, ihr*; first person
/// for a verb opening a sentence without any subject pronoun (*Habe gestern bestellt*);
/// third person otherwise.
fn subject_hint(ctx: &Ctx) -> (u8, Number) {
    match ctx.clause.subject {
        Some(hint) => hint,
        None if ctx.first_word && !ctx.clause.third_person_pronoun => (1, Number::Singular),
        None => (3, Number::Singular),
    }
}

/// Weekdays and months, proper nouns in UD German.
const CALENDAR: &[&str] = &[
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonnabend",
    "Sonntag",
    "Januar",
    "Jänner",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

fn choose_name_or_noun(bits: u64, ctx: &Ctx) -> u64 {
    let classes = bits & (NOUN | NAME | ABK);
    if classes.count_ones() == 1 {
        return classes;
    }
    if classes & NAME != 0 && classes & NOUN != 0 {
        // A name next to another name or after a title: *Angela Merkel, Kanzler Scholz*.
        let next_name = ctx.next().is_some_and(|n| n.cap && n.bits() & NAME != 0 && n.bits() & NOUN == 0);
        let prev_name = ctx.prev_class & NAME != 0;
        return if next_name || prev_name { NAME } else { NOUN };
    }
    pick_first(classes, &[NOUN, NAME, ABK])
}

fn best_analysis<'a>(
    analyses: Analyses<'a>,
    class: u64,
    hint: (u8, Number),
    imperative: bool,
    t: &Tok,
    tag_bits: &[u64],
) -> Option<Analysis<'a>> {
    let lexicon = analyses.lexicon();
    // (score, position, rule): analyses are only built for the winner and for lemma ties.
    let mut best: Option<(i32, usize, u32)> = None;
    for (i, (tag, rule)) in analyses.ids().enumerate() {
        if tag_bits.get(tag as usize).copied().unwrap_or(0) & class == 0 {
            continue;
        }
        let Some(info) = lexicon.tag_info(tag) else { continue };
        let mut score = 0i32;
        if info.verb_form.is_some() {
            if info.person == Some(hint.0) {
                score += 8;
            }
            if info.number == Some(hint.1) && info.person == Some(hint.0) {
                score += 2;
            }
            score += match info.mood {
                Some(Mood::Indicative) => 3,
                Some(Mood::KonjunktivI) => 1,
                Some(Mood::Imperative) if imperative => 20,
                Some(Mood::Imperative) => -5,
                _ => 0,
            };
            if info.auxiliary || info.modal {
                score += 1;
            }
        } else if info.class == WordClass::Noun && lexicon.tags().get(tag as usize).is_some_and(|t| t.ends_with(":INF")) {
            // *Stunden* is far more often the plural of *Stunde* than *das Stunden*.
            score -= 1;
        }
        match best {
            Some((s, _, _)) if s > score => continue,
            Some((s, _, r)) if s == score && r == rule => continue,
            Some((s, b, _)) if s == score => {
                // Different lemmas: prefer the one that shares most with the form
                // (*seine → sein*, not *mein*).
                let (Some(a), Some(b)) = (analyses.get(i), analyses.get(b)) else { continue };
                if shared_start(&a, t.form) <= shared_start(&b, t.form) {
                    continue;
                }
            }
            _ => {}
        }
        best = Some((score, i, rule));
    }
    best.and_then(|(_, i, _)| analyses.get(i))
}

fn shared_start(a: &Analysis, form: &str) -> usize {
    let (stem, suffix) = a.lemma_parts();
    let lemma = stem.chars().chain(suffix.chars());
    lemma.zip(form.chars()).take_while(|(x, y)| x == y || x.to_lowercase().eq(y.to_lowercase())).count()
}

fn simple(form: &str, pos: Pos, known: bool) -> Morph {
    Morph { lemma: Box::from(form), pos, mood: None, person: None, number: None, tense: None, known }
}

fn from_guess(g: guess::Guess) -> Morph {
    Morph { lemma: g.lemma.into_boxed_str(), pos: g.pos, mood: g.mood, person: g.person, number: g.number, tense: g.tense, known: false }
}

/// UD lemmas of personal pronouns; the lexicon lemmatises them all to *ich*.
fn personal_lemma(form: &str, cap_inside: bool) -> Option<&'static str> {
    if cap_inside && matches!(form, "Sie" | "Ihnen" | "Ihr" | "Ihrer") {
        return Some("Sie");
    }
    const TABLE: &[(&str, &str)] = &[
        ("ich", "ich"),
        ("mich", "ich"),
        ("mir", "ich"),
        ("meiner", "ich"),
        ("du", "du"),
        ("dich", "du"),
        ("dir", "du"),
        ("deiner", "du"),
        ("er", "er"),
        ("ihn", "er"),
        ("ihm", "er"),
        ("seiner", "er"),
        ("sie", "sie"),
        ("ihnen", "sie"),
        ("ihrer", "sie"),
        ("es", "es"),
        ("'s", "es"),
        ("wir", "wir"),
        ("uns", "wir"),
        ("unser", "wir"),
        ("ihr", "ihr"),
        ("euch", "ihr"),
        ("euer", "ihr"),
        ("sich", "sich"),
    ];
    TABLE.iter().find(|(f, _)| f.len() == form.len() && f.eq_ignore_ascii_case(form)).map(|(_, l)| *l)
}

/// UD lemmas of pronominal determiners whose lexicon lemma is a bare stem.
fn determiner_lemma(a: &Analysis) -> Option<&'static str> {
    const STEMS: &[(&str, &str)] = &[
        ("dies", "dieser"),
        ("jed", "jeder"),
        ("all", "alle"),
        ("welch", "welcher"),
        ("jen", "jener"),
        ("manch", "mancher"),
        ("solch", "solcher"),
        ("irgendwelch", "irgendwelcher"),
        ("einig", "einige"),
        ("etlich", "etliche"),
        ("andere", "anderer"),
    ];
    STEMS.iter().find(|(stem, _)| a.lemma_is(stem)).map(|(_, lemma)| *lemma)
}

/// Quantifiers that UD German tags `DET` even without a noun: *alles, viele, beide*.
const QUANTIFIERS: &[&str] = &["all", "alle", "viel", "wenig", "mehr", "beide", "einige", "mehrere", "manch", "jed", "ander", "anderer"];

fn to_morph(a: &Analysis, class: u64, t: &Tok, ctx: &Ctx, bits: u64) -> Morph {
    let info = a.info();
    let mut pos = info.pos;
    let mut lemma: Option<&str> = None;
    match class {
        ZUS if t.lower_is("zu") => pos = Pos::PART,
        ZUS => pos = if bits & PRP != 0 { Pos::ADP } else { Pos::ADV },
        NEG => pos = if t.lower_is("nicht") { Pos::PART } else { Pos::ADV },
        PER | REF => {
            pos = Pos::PRON;
            lemma = personal_lemma(t.form, t.cap && !t.initial);
        }
        POSS | DEM | IND | RIN | ART => {
            // The lexicon lemmatises *was* to *wer*.
            lemma = if t.lower_is("was") { Some("was") } else { determiner_lemma(a) };
            let nominal = nominal_ahead(ctx.toks, ctx.i);
            let quantifier = QUANTIFIERS.iter().any(|q| a.lemma_is(q));
            pos = match class {
                ART => Pos::DET,
                RIN if t.lower_is("was") => Pos::PRON,
                _ if nominal && bits & ATTR != 0 => Pos::DET,
                IND | DEM if quantifier => Pos::DET,
                _ => Pos::PRON,
            };
        }
        CMP => pos = if a.lemma_is("wie") { Pos::CCONJ } else { Pos::ADP },
        // *viel Geld, mehr Zeit*: quantifiers before a noun are determiners.
        ADV | ADJ if ["viel", "mehr", "wenig", "weniger"].iter().any(|w| t.lower_is(w)) && nominal_ahead(ctx.toks, ctx.i) => pos = Pos::DET,
        KINF => pos = Pos::ADP,
        NOUN if t.cap && !t.initial && guess::is_acronym(t.form) => pos = Pos::PROPN,
        NOUN if CALENDAR.contains(&t.form) => pos = Pos::PROPN,
        _ => {}
    }
    if matches!(info.class, WordClass::Verb) {
        pos = verb_pos(a, class, ctx, bits);
    }
    let (stem, suffix) = a.lemma_parts();
    let lemma: Box<str> = match lemma {
        Some(l) => Box::from(l),
        None => {
            let mut s = String::with_capacity(t.prefix.len() + stem.len() + suffix.len());
            s.push_str(t.prefix);
            let mut head = stem.chars().chain(suffix.chars());
            // A closed compound keeps its first part's case: *Minister + Präsident →
            // Ministerpräsident*.
            if !t.prefix.is_empty() && !t.prefix.ends_with('-') {
                if let Some(c) = head.next() {
                    s.extend(c.to_lowercase());
                }
            }
            s.extend(head);
            s.into_boxed_str()
        }
    };
    let finite = info.is_finite();
    let imperative = info.verb_form == Some(VerbForm::Imperative);
    Morph {
        lemma,
        pos,
        mood: if finite || imperative { info.mood } else { None },
        person: if finite { info.person } else { None },
        number: if finite || imperative { info.number } else { None },
        tense: if finite { info.tense } else { None },
        known: t.prefix.is_empty(),
    }
}

/// `AUX` for *sein* always; for *haben* with a participle, for *werden* with an infinitive
/// or participle, for the modals with an infinitive — looked for in the rest of the sentence
/// up to the next unambiguous finite verb, and backwards in a verb-final clause.
fn verb_pos(a: &Analysis, class: u64, ctx: &Ctx, bits: u64) -> Pos {
    let info = a.info();
    let wanted = if a.lemma_is("sein") {
        return Pos::AUX;
    } else if a.lemma_is("haben") {
        VPP | MODAL_INF
    } else if a.lemma_is("werden") {
        VPP | VINF
    } else if info.modal && !a.lemma_is("lassen") {
        VINF
    } else {
        return Pos::VERB;
    };
    if class != VFIN {
        // Non-finite forms: *wird … haben, hat … werden müssen*; judged by the clause.
        let own = u32::from(bits & VINF != 0);
        let found = (wanted & VINF != 0 && ctx.clause.infinitives > own) || (wanted & VPP != 0 && ctx.clause.bits & VPP != 0);
        return if found { Pos::AUX } else { Pos::VERB };
    }
    let has = |t: &Tok| {
        let b = t.bits();
        // *hätte … wissen müssen*: a modal infinitive stands for the participle.
        let b = if b & AUXV != 0 && b & VINF != 0 { b | MODAL_INF } else { b };
        t.is_word() && !t.cap && b & wanted != 0
    };
    let mut found = false;
    for t in &ctx.toks[ctx.i + 1..] {
        if has(t) {
            found = true;
            break;
        }
        let b = t.bits();
        if t.is_word() && b & VFIN != 0 && b & CLASSES & !VERBS == 0 && b & wanted == 0 {
            break;
        }
    }
    if !found && ctx.clause.verb_final {
        // *…, die ich gegessen habe*: the participle stands before the finite verb.
        for t in ctx.toks[..ctx.i].iter().rev() {
            if is_clause_break(t) {
                break;
            }
            if has(t) {
                found = true;
                break;
            }
        }
    }
    if found {
        Pos::AUX
    } else {
        Pos::VERB
    }
}
