//! Sentence tables run through the whole pipeline (segmentation to modality) and the stage.

use super::*;
use crate::doc::{StanceHolder, StanceLabel};
use crate::{Config, Pipeline};
use std::sync::OnceLock;

fn pipeline() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(|| match Pipeline::new(&Config::default()) {
        Ok(p) => p,
        Err(e) => panic!("models missing: {e}"),
    })
}

fn models() -> std::path::PathBuf {
    Config::default().models_dir
}

fn run(text: &str, targets: &[&str]) -> Document {
    let targets: Vec<String> = targets.iter().map(|s| s.to_string()).collect();
    let stage = match StanceStage::load(&models(), &targets) {
        Ok(s) => s,
        Err(e) => panic!("stance models: {e}"),
    };
    let mut doc = pipeline().analyze_text("t", text);
    stage.process(&mut doc);
    doc
}

/// The stance on the target whose text is `target`.
fn stance_on<'a>(doc: &'a Document, target: &str) -> &'a Stance {
    let found = doc.sentences.iter().flat_map(|s| &s.stance).find(|s| doc.text_of(s.span) == target);
    match found {
        Some(s) => s,
        None => panic!(
            "no stance on {target:?}; have {:?}",
            doc.sentences.iter().flat_map(|s| &s.stance).map(|s| doc.text_of(s.span)).collect::<Vec<_>>()
        ),
    }
}

#[test]
fn frames_decide_for_their_target() {
    let cases = [
        ("Die Kritik an der NATO wächst seit Wochen.", "NATO", StanceLabel::Against),
        ("Die Regierung sagte Unterstützung für die Ukraine zu.", "Ukraine", StanceLabel::Favor),
        ("Die EU verhängte neue Sanktionen gegen Russland.", "Russland", StanceLabel::Against),
        ("Es gab viel Lob für Angela Merkel.", "Angela Merkel", StanceLabel::Favor),
        ("Die Opposition kritisierte Olaf Scholz am Montag scharf.", "Olaf Scholz", StanceLabel::Against),
    ];
    for (text, target, label) in cases {
        let doc = run(text, &[target]);
        let st = stance_on(&doc, target);
        assert_eq!(st.label, label, "{text}");
        assert!(!st.evidence.is_empty(), "{text}: no evidence");
    }
}

#[test]
fn the_critic_is_not_criticised() {
    let doc = run("Die Opposition kritisierte Olaf Scholz am Montag scharf.", &["Opposition", "Olaf Scholz"]);
    assert_eq!(stance_on(&doc, "Opposition").label, StanceLabel::Neutral);
    assert_eq!(stance_on(&doc, "Olaf Scholz").label, StanceLabel::Against);
}

#[test]
fn negation_reverses_polarity() {
    let doc = run("Die Reform von Helga Brandt war nicht erfolgreich.", &["Helga Brandt"]);
    let st = stance_on(&doc, "Helga Brandt");
    assert_eq!(st.label, StanceLabel::Against);
    assert!(st.evidence.iter().any(|e| doc.text_of(*e) == "erfolgreich"));
    let doc = run("Die Reform von Helga Brandt war erfolgreich.", &["Helga Brandt"]);
    assert_eq!(stance_on(&doc, "Helga Brandt").label, StanceLabel::Favor);
}

#[test]
fn agents_patients_and_interrupted_subjects() {
    // (text, target, label): the agent of a harmful act is against it, its victim stays
    // neutral; a passive's subject is what the verb is done to; an apposition or a
    // parenthesis between subject and verb does not hide the subject.
    let cases = [
        ("Am Sonntag wurden drei Dorfbewohner von Helga Brandt entführt.", "Helga Brandt", StanceLabel::Against),
        ("Die Bande hatte Helga Brandt entführt.", "Helga Brandt", StanceLabel::Neutral),
        ("Gestern wurde der ehemalige Vorstand Helga Brandt verhaftet.", "Helga Brandt", StanceLabel::Against),
        ("Helga Brandt, die Sprecherin der Partei, kritisierte den Plan.", "Helga Brandt", StanceLabel::Neutral),
        ("Helga Brandt (Schweiz) siegte zum Auftakt.", "Helga Brandt", StanceLabel::Favor),
        ("Helga Brandt hat ihren Rücktritt eingereicht.", "Helga Brandt", StanceLabel::Neutral),
    ];
    for (text, target, label) in cases {
        let doc = run(text, &[target]);
        assert_eq!(stance_on(&doc, target).label, label, "{text}");
    }
}

#[test]
fn reported_evaluation_is_held_by_its_source() {
    let doc = run("Pjöngjang bezeichnete die Manöver der USA als gefährliche Provokation.", &["USA", "Pjöngjang"]);
    let usa = stance_on(&doc, "USA");
    assert_eq!(usa.label, StanceLabel::Against);
    assert_eq!(usa.holder, StanceHolder::Source);
    assert_eq!(usa.holder_span.map(|s| doc.text_of(s)), Some("Pjöngjang"));
    assert_ne!(stance_on(&doc, "Pjöngjang").label, StanceLabel::Against);
}

#[test]
fn plain_evaluation_is_the_authors() {
    let doc = run("Die Firma Siemens hat ein hervorragendes Ergebnis erzielt.", &["Siemens"]);
    let st = stance_on(&doc, "Siemens");
    assert_eq!(st.label, StanceLabel::Favor);
    assert_eq!(st.holder, StanceHolder::Author);
    assert_eq!(st.holder_span, None);
}

#[test]
fn user_targets_match_whole_words_case_insensitively() {
    let doc = run("Die nato-Staaten und die NATO streiten. Der Natomann schweigt.", &["nato"]);
    let names: Vec<&str> =
        doc.sentences.iter().flat_map(|s| &s.stance).filter(|s| &*s.target == "nato").map(|s| doc.text_of(s.span)).collect();
    assert_eq!(names, vec!["NATO"]);
}

#[test]
fn pro_and_contra_articles_give_opposite_means() {
    let mean = |file: &str| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus").join(file);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let doc = run(&text, &[]);
        let groups = pipeline().entity_groups(&doc);
        let summary = summarize(&doc, &groups);
        match summary.actors.iter().find(|a| a.actor == "Helga Brandt") {
            Some(a) => a.mean_score,
            None => panic!("{file}: no stance on Helga Brandt: {:?}", summary.actors.iter().map(|a| &a.actor).collect::<Vec<_>>()),
        }
    };
    let pro = mean("stance-pro-helga-brandt.txt");
    let contra = mean("stance-contra-helga-brandt.txt");
    assert!(pro > 0.0 && contra < 0.0, "pro {pro}, contra {contra}");
}

#[test]
fn summary_keeps_the_strongest_three() {
    let doc = run(
        "Brandt hat großen Erfolg. Brandt ist gescheitert. Brandt kam. Brandt wurde scharf kritisiert. Brandt ist sehr beliebt.",
        &["Brandt"],
    );
    let span = |s: &Stance| s.span;
    let mentions: Vec<Span> = doc.sentences.iter().flat_map(|s| &s.stance).map(span).collect();
    let group = crate::ner::EntityGroup {
        canonical: "Brandt".into(),
        label: crate::doc::EntityLabel::PER,
        count: mentions.len(),
        mentions,
        derived_count: 0,
        linked_to: None,
    };
    let s = summarize(&doc, &[group]);
    assert_eq!(s.actors.len(), 1);
    let a = &s.actors[0];
    assert_eq!(a.favor + a.against + a.neutral, 5);
    assert_eq!(a.strongest.len(), 3);
    assert!(a.strongest.windows(2).all(|w| w[0].score.abs() >= w[1].score.abs()));
}

/// The pipeline with the accurate NER model, keeping the token vectors the head reads.
fn with_vectors() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(|| match Pipeline::new(&Config { keep_vectors: true, ..Config::default() }) {
        Ok(p) => p,
        Err(e) => panic!("models missing: {e}"),
    })
}

#[test]
fn the_shipped_head_reads_the_accurate_models_vectors() {
    let stage = match StanceStage::load(&models(), &[]) {
        Ok(s) => s,
        Err(e) => panic!("stance models: {e}"),
    };
    assert!(stage.has_head(), "models/stance/head.bin is shipped");
    let dim = with_vectors().analyze_text("t", "Merkel traf Sarkozy.").sentences[0].vectors.as_ref().map(|v| v.side.dim());
    assert_eq!(dim, Some(384));
    assert!(stage.clone().for_vectors(dim).is_ok());
    assert!(stage.clone().for_vectors(None).is_ok(), "the fast model leaves no vectors: rules alone");
    assert!(matches!(stage.for_vectors(Some(100)), Err(Error::ModelCorrupt { .. })));
}

#[test]
fn with_the_head_frames_still_decide_and_plain_reports_stay_neutral() {
    let cases = [
        ("Die Kritik an der NATO wächst seit Wochen.", "NATO", StanceLabel::Against),
        ("Die EU verhängte neue Sanktionen gegen Russland.", "Russland", StanceLabel::Against),
        ("Es gab viel Lob für Angela Merkel.", "Angela Merkel", StanceLabel::Favor),
        ("Merkel traf sich am Montag mit Sarkozy in Paris.", "Sarkozy", StanceLabel::Neutral),
        // A frame of polarity 0 decides too: parties to a dispute stay neutral.
        ("Der Streit zwischen Polen und Russland eskalierte am Montag.", "Polen", StanceLabel::Neutral),
    ];
    for (text, target, label) in cases {
        let doc = with_vectors().analyze_text("t", text);
        assert!(doc.sentences.iter().all(|s| s.vectors.is_some()), "{text}: no vectors");
        let st = stance_on(&doc, target);
        assert_eq!(st.label, label, "{text}: {st:?}");
    }
    // Without `keep_vectors` the pipeline drops them once stance has run.
    assert!(pipeline().analyze_text("t", cases[0].0).sentences.iter().all(|s| s.vectors.is_none()));
}

#[test]
fn bad_model_lines_are_reported() {
    let err = lexicon::parse_score("x", std::path::Path::new("p"), 3);
    assert!(matches!(err, Err(Error::BadLine { line: 3, .. })));
    assert!(StanceStage::load(std::path::Path::new("/nonexistent"), &[]).is_err());
}

// The rules' steps on hand-built tokens.

/// Tokens written `form/lemma/POS`, with `/f` after a finite verb, one space apart.
fn hand_built(spec: &str) -> Vec<Tok<'_>> {
    let mut at = 0;
    let mut out = Vec::new();
    for item in spec.split_whitespace() {
        let mut parts = item.split('/');
        let (form, lemma) = (parts.next().unwrap_or(item), parts.next().unwrap_or(item));
        let pos = match parts.next() {
            Some("ADV") => Pos::ADV,
            Some("ADJ") => Pos::ADJ,
            Some("PRON") => Pos::PRON,
            Some("VERB") => Pos::VERB,
            Some("AUX") => Pos::AUX,
            Some("PART") => Pos::PART,
            Some("DET") => Pos::DET,
            Some("NOUN") => Pos::NOUN,
            Some("PROPN") => Pos::PROPN,
            Some("CCONJ") => Pos::CCONJ,
            Some("ADP") => Pos::ADP,
            Some("PUNCT") => Pos::PUNCT,
            _ => Pos::X,
        };
        let len = form.chars().count() as u32;
        out.push(Tok {
            span: Span::new(at, at + len),
            form,
            lower: form.to_lowercase(),
            lemma: Some(lemma),
            pos: Some(pos),
            finite: parts.next() == Some("f"),
            word: form.chars().any(char::is_alphanumeric),
            brk: matches!(form, "," | ";" | ":" | "(" | ")"),
        });
        at += len + 1;
    }
    out
}

fn rules() -> StanceStage {
    match StanceStage::load(&models(), &[]) {
        Ok(s) => s.without_head(),
        Err(e) => panic!("stance models: {e}"),
    }
}

fn target(toks: &[Tok], ts: usize, te: usize) -> Target {
    Target { name: toks[ts].form.into(), span: Span::new(toks[ts].span.start, toks[te - 1].span.end), ts, te }
}

/// The polarity of each token after the shift steps, as `analyse` computes it.
fn shifted(stage: &StanceStage, toks: &[Tok]) -> Vec<f32> {
    let clause = clauses(toks);
    let mut base = stage.prior_polarity(toks, &|_| false);
    let mut factor = vec![1f32; toks.len()];
    for i in 0..toks.len() {
        stage.intensify(toks, &clause, i, &mut base, &mut factor);
        stage.shift(toks, &clause, i, &mut base, &mut factor);
        stage.negate(toks, &clause, i, &mut factor);
    }
    base.iter().zip(&factor).map(|(b, f)| b * f).collect()
}

#[test]
fn intensifiers_scale_and_negators_reverse_within_their_scope() {
    let stage = rules();
    let very_good = hand_built("sehr/sehr/ADV gut/gut/ADJ");
    assert_eq!(shifted(&stage, &very_good), [0.0, 1.5]);
    // Clause scope reaches the verb before the negator: *Er lobte ihn nicht.*
    let not_praised = hand_built("Er/er/PRON lobte/loben/VERB/f ihn/er/PRON nicht/nicht/PART");
    assert_eq!(shifted(&stage, &not_praised)[1], -1.0);
    // *nicht nur … sondern auch* negates nothing.
    let not_only = hand_built("nicht/nicht/PART nur/nur/ADV gut/gut/ADJ");
    assert_eq!(shifted(&stage, &not_only)[2], 1.0);
    // A noun-phrase negator stops at its noun: *kein Erfolg , gut*.
    let no_success = hand_built("kein/kein/DET Erfolg/Erfolg/NOUN und/und/CCONJ gut/gut/ADJ");
    let p = shifted(&stage, &no_success);
    assert_eq!((p[1], p[3]), (-1.0, 1.0));
}

#[test]
fn a_noun_shifts_only_what_it_governs() {
    let stage = rules();
    let end_of_success = hand_built("Ende/Ende/NOUN des/der/DET Erfolgs/Erfolg/NOUN");
    assert_eq!(shifted(&stage, &end_of_success)[2], -1.0);
    let at_the_end = hand_built("Ende/Ende/NOUN gut/gut/ADJ");
    assert_eq!(shifted(&stage, &at_the_end)[1], 1.0);
}

#[test]
fn agents_of_a_passive_and_of_a_verb_of_speaking_are_not_its_object() {
    let toks = hand_built("Der/der/DET Antrag/Antrag/NOUN wurde/werden/AUX/f von/von/ADP Merkel/Merkel/PROPN abgelehnt/ablehnen/VERB");
    let targets = [target(&toks, 1, 2), target(&toks, 4, 5)];
    assert_eq!(passive_agents(&toks, &clauses(&toks), &targets), [false, true]);

    let toks = hand_built("Die/der/DET Regierung/Regierung/NOUN kritisierte/kritisieren/VERB/f den/der/DET Minister/Minister/NOUN");
    let clause = clauses(&toks);
    let subjects = subject_regions(&toks, &clause);
    let reading = Reading { toks: &toks, clause: &clause, subjects: &subjects };
    assert_eq!(reading.object_role(2, false, 1), ObjectRole::Agent);
    assert_eq!(reading.object_role(2, false, 4), ObjectRole::Patient);
    let a = rules().analyse(&toks, &[target(&toks, 1, 2), target(&toks, 4, 5)]);
    assert!(a.agent_of[0] && a.hits[0].is_empty());
    assert_eq!(a.hits[1], [(-1.0, 2)]);
    assert_eq!(a.speaker[0], Some(toks[1].span));
    assert_eq!(a.said[1], Some(Span::new(toks[0].span.start, toks[1].span.end)));
}

#[test]
fn prepositional_and_genitive_slots() {
    let toks = hand_built(
        "Kritik/Kritik/NOUN an/an/ADP der/der/DET Regierung/Regierung/NOUN ,/,/PUNCT Erfolg/Erfolg/NOUN des/der/DET Vereins/Verein/NOUN",
    );
    let clause = clauses(&toks);
    let subjects = subject_regions(&toks, &clause);
    let reading = Reading { toks: &toks, clause: &clause, subjects: &subjects };
    let kritik_an = Frame { role: Role::Prep, polarity: -1.0, prep: Some("an".into()), say: false };
    assert!(reading.after_preposition(&kritik_an, 0, false, 3));
    assert!(!reading.after_preposition(&kritik_an, 0, false, 7), "past the break");
    assert!(reading.genitive_of(5, 7) && !reading.genitive_of(0, 3));
    let a = rules().analyse(&toks, &[target(&toks, 3, 4), target(&toks, 7, 8)]);
    assert_eq!(a.hits[0], [(-1.0, 0)]);
    assert_eq!(a.hits[1], [(1.0, 5)]);
}
