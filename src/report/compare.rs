//! `lesart compare`: articles side by side: their profiles (size, hedging, attribution,
//! sources) and their stance toward the actors they share.

use super::aggregate::DocumentSummary;
use crate::stance::ActorStance;
use serde::Serialize;
use std::fmt::Write;

/// How the articles compare: what `compare --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison<'a> {
    /// Each article's summary, in the order given.
    pub articles: &'a [DocumentSummary],
    /// Actors named in more than one article, with each article's stance toward them.
    pub shared_actors: Vec<SharedActor>,
}

impl<'a> Comparison<'a> {
    /// Compares the summarised articles.
    pub fn new(articles: &'a [DocumentSummary]) -> Comparison<'a> {
        Comparison { articles, shared_actors: shared_actors(articles) }
    }
}

/// An actor several articles name.
#[derive(Debug, Clone, Serialize)]
pub struct SharedActor {
    /// Its canonical name.
    pub actor: String,
    /// Per article, in the order given: its stance toward the actor, if it names it.
    pub articles: Vec<Option<ActorStance>>,
}

/// Actors with a stance in more than one article: those in every article first, then by the
/// number of sentences about them.
pub fn shared_actors(summaries: &[DocumentSummary]) -> Vec<SharedActor> {
    let mut out: Vec<SharedActor> = Vec::new();
    for d in summaries {
        for a in &d.stance.actors {
            if out.iter().any(|s| s.actor == a.actor) {
                continue;
            }
            let cells: Vec<Option<ActorStance>> =
                summaries.iter().map(|o| o.stance.actors.iter().find(|x| x.actor == a.actor).cloned()).collect();
            if cells.iter().filter(|c| c.is_some()).count() > 1 {
                out.push(SharedActor { actor: a.actor.clone(), articles: cells });
            }
        }
    }
    let key = |s: &SharedActor| {
        let present = s.articles.iter().filter(|c| c.is_some()).count();
        let sentences: usize = s.articles.iter().flatten().map(|c| c.favor + c.against + c.neutral).sum();
        (std::cmp::Reverse(present), std::cmp::Reverse(sentences))
    };
    out.sort_by_key(key);
    out
}

/// A table cell: `+0.24 (3/0/1)`, or a dash for an article that does not name the actor.
fn cell_text(cell: Option<&ActorStance>) -> String {
    match cell {
        Some(a) => format!("{:+.2} ({}/{}/{})", a.mean_score, a.favor, a.against, a.neutral),
        None => "–".into(),
    }
}

/// The sentence that leans most toward or against each of the first shared actors, per article.
/// Each line starts with `bullet`; `escape` prepares the sentence for the output format.
fn strongest(out: &mut String, summaries: &[DocumentSummary], actors: &[SharedActor], bullet: &str, escape: &dyn Fn(&str) -> String) {
    for a in actors.iter().take(3) {
        for (d, cell) in summaries.iter().zip(&a.articles) {
            let Some(s) = cell.as_ref().and_then(|c| c.strongest.first()) else { continue };
            let line = format!("{} in {}: {:+.2} «{}»", a.actor, d.id, s.score, one_line(&s.text, 160));
            let _ = writeln!(out, "{bullet}{}", escape(&line));
        }
    }
}

fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        format!("{}…", flat.chars().take(max).collect::<String>())
    }
}

/// The profile rows: a label and the cell of each article.
fn profile_rows(summaries: &[DocumentSummary]) -> Vec<(String, Vec<String>)> {
    type Row = (&'static str, fn(&DocumentSummary) -> String);
    let rows: &[Row] = &[
        ("sentences", |d| d.counts.content_sentences().to_string()),
        ("words", |d| d.counts.words.to_string()),
        ("boilerplate sentences", |d| d.counts.boilerplate_sentences.to_string()),
        ("finite verbs", |d| d.counts.finite_verbs.to_string()),
        ("Konjunktiv I forms", |d| d.counts.konjunktiv_i.to_string()),
        ("Konjunktiv II forms", |d| d.counts.konjunktiv_ii.to_string()),
        ("reported speech share", |d| format!("{:.1} %", 100.0 * d.reported_speech_share)),
        ("Konj. I per 100 sentences", |d| per_100(d.counts.konjunktiv_i, d.counts.content_sentences())),
        ("Konj. II per 100 sentences", |d| per_100(d.counts.konjunktiv_ii, d.counts.content_sentences())),
        ("hedge cues per 100 sentences", |d| format!("{:.1}", d.modality.hedging_density)),
        ("claims", |d| d.modality.claims.to_string()),
        ("  direct / indirect / reported", |d| {
            let f = |k: &str| d.modality.claim_forms.get(k).copied().unwrap_or(0);
            format!("{} / {} / {}", f("direct"), f("indirect"), f("reported"))
        }),
        ("  hedged claims", |d| d.modality.hedged_claims.to_string()),
        ("  without a named source", |d| d.modality.unattributed_claims.to_string()),
        ("asserted sentences", |d| modality_share(d, "asserted")),
        ("reported sentences", |d| modality_share(d, "reported")),
        ("hedged sentences", |d| modality_share(d, "hedged")),
        ("hypothetical sentences", |d| modality_share(d, "hypothetical")),
        ("top source 1", |d| nth_source(d, 0)),
        ("top source 2", |d| nth_source(d, 1)),
        ("top source 3", |d| nth_source(d, 2)),
    ];
    rows.iter().map(|(label, cell)| (label.to_string(), summaries.iter().map(cell).collect())).collect()
}

/// Renders the comparison as aligned plain-text tables, one column per article.
pub fn render(summaries: &[DocumentSummary]) -> String {
    let rows = profile_rows(summaries);
    let actors = shared_actors(summaries);
    let stance_rows: Vec<(String, Vec<String>)> =
        actors.iter().map(|a| (a.actor.clone(), a.articles.iter().map(|c| cell_text(c.as_ref())).collect())).collect();
    let label_width = rows.iter().chain(&stance_rows).map(|r| r.0.chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..summaries.len())
        .map(|i| {
            let cells = rows.iter().chain(&stance_rows).map(|r| r.1[i].chars().count());
            cells.chain([summaries[i].id.chars().count(), 8]).max().unwrap_or(8)
        })
        .collect();
    let mut out = String::new();
    let line = |out: &mut String, label: &str, cells: &mut dyn Iterator<Item = &str>| {
        let _ = write!(out, "{label:label_width$}");
        for (c, w) in cells.zip(&widths) {
            let _ = write!(out, "  {c:>w$}");
        }
        out.push('\n');
    };
    line(&mut out, "", &mut summaries.iter().map(|d| d.id.as_str()));
    for (label, cells) in &rows {
        line(&mut out, label, &mut cells.iter().map(String::as_str));
    }
    out.push('\n');
    if actors.is_empty() {
        let _ = writeln!(out, "no actor is named in more than one article; compare them on the profile above.");
    } else {
        let _ = writeln!(out, "stance toward actors named in more than one article (mean score, favor/against/neutral sentences):");
        for (label, cells) in &stance_rows {
            line(&mut out, label, &mut cells.iter().map(String::as_str));
        }
        let _ = writeln!(out, "\nstrongest sentences:");
        strongest(&mut out, summaries, &actors, "  ", &|l| l.to_string());
    }
    out
}

/// Renders the comparison as Markdown tables.
pub fn render_markdown(summaries: &[DocumentSummary]) -> String {
    let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = String::from("# Comparison\n\n## Profile\n\n|   |");
    let header = |out: &mut String| {
        for d in summaries {
            let _ = write!(out, " {} |", esc(&d.id));
        }
        out.push_str("\n|---|");
        for _ in summaries {
            out.push_str("---:|");
        }
        out.push('\n');
    };
    header(&mut out);
    for (label, cells) in profile_rows(summaries) {
        let _ = write!(out, "| {} |", esc(label.trim()));
        for c in cells {
            let _ = write!(out, " {} |", esc(&c));
        }
        out.push('\n');
    }
    let actors = shared_actors(summaries);
    if actors.is_empty() {
        out.push_str("\nNo actor is named in more than one article.\n");
        return out;
    }
    out.push_str("\n## Stance toward shared actors\n\nMean score in [-1, 1], then sentences favor/against/neutral.\n\n| actor |");
    header(&mut out);
    for a in &actors {
        let _ = write!(out, "| {} |", esc(&a.actor));
        for c in &a.articles {
            let _ = write!(out, " {} |", cell_text(c.as_ref()));
        }
        out.push('\n');
    }
    out.push_str("\n## Strongest sentences\n\n");
    strongest(&mut out, summaries, &actors, "- ", &esc);
    out
}

/// The article's n-th most cited source with its claim count, cut to fit a column.
fn nth_source(d: &DocumentSummary, n: usize) -> String {
    d.modality.top_sources.get(n).map(|(s, c)| format!("{} ({c})", one_line(s, 28))).unwrap_or_else(|| "–".into())
}

fn modality_share(d: &DocumentSummary, name: &str) -> String {
    let n = d.modality.sentence_modality.get(name).copied().unwrap_or(0);
    if d.modality.content_sentences == 0 {
        "–".into()
    } else {
        format!("{:.1} %", 100.0 * n as f64 / d.modality.content_sentences as f64)
    }
}

fn per_100(n: u64, sentences: u64) -> String {
    if sentences == 0 {
        "–".into()
    } else {
        format!("{:.1}", 100.0 * n as f64 / sentences as f64)
    }
}

/// Renders the comparison as one self-contained page: the profiles, the stance toward each
/// shared actor side by side (coloured by sign), the claims by source, and each article to
/// read with its marks (`views`, in the order of `summaries`).
pub fn render_html(summaries: &[DocumentSummary], views: &[String]) -> String {
    use super::view::esc;
    let mut h = String::from("<h1>Comparison</h1>\n<h2>Profile</h2>\n<table class=\"cmp\"><tr><th></th>");
    let header = |h: &mut String| {
        for d in summaries {
            let _ = write!(h, "<th><a href=\"#{}\">{}</a></th>", super::view::anchor(&d.id), esc(&d.id));
        }
        h.push_str("</tr>\n");
    };
    header(&mut h);
    for (label, cells) in profile_rows(summaries) {
        let _ = write!(h, "<tr><th>{}</th>", esc(label.trim()));
        cells.iter().for_each(|c| {
            let _ = write!(h, "<td>{}</td>", esc(c));
        });
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n<h2>Stance toward shared actors</h2>\n");
    let actors = shared_actors(summaries);
    if actors.is_empty() {
        h.push_str("<p>No actor is named in more than one article.</p>\n");
    } else {
        h.push_str("<p>Mean score in [-1, 1], then sentences favor / against / neutral.</p>\n<table class=\"cmp\"><tr><th>actor</th>");
        header(&mut h);
        for a in &actors {
            let _ = write!(h, "<tr data-shared-actor=\"{}\"><th>{}</th>", esc(&a.actor), esc(&a.actor));
            for c in &a.articles {
                let class = c.as_ref().map_or("neutral", |s| s.leaning());
                let _ = write!(h, "<td class=\"{class}\">{}</td>", esc(&cell_text(c.as_ref())));
            }
            h.push_str("</tr>\n");
        }
        h.push_str("</table>\n");
    }
    h.push_str("<h2>Claims by source</h2>\n<table class=\"cmp\"><tr><th>source</th>");
    header(&mut h);
    let mut sources: Vec<(&str, usize)> = Vec::new();
    for d in summaries {
        for (name, s) in &d.modality.sources {
            match sources.iter_mut().find(|(n, _)| n == name) {
                Some(entry) => entry.1 += s.claims,
                None => sources.push((name, s.claims)),
            }
        }
    }
    sources.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (name, _) in sources.iter().take(15) {
        let _ = write!(h, "<tr><th>{}</th>", esc(name));
        for d in summaries {
            let n = d.modality.sources.get(*name).map_or(0, |s| s.claims);
            let _ = write!(h, "<td>{}</td>", if n == 0 { "–".to_string() } else { n.to_string() });
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n<h2>The articles</h2>\n");
    h.push_str(super::html::LEGEND);
    h.push_str("\n<div class=\"side\">");
    for (d, view) in summaries.iter().zip(views) {
        let _ = write!(h, "<section class=\"article\" id=\"{}\"><h3>{}</h3>{view}</section>", super::view::anchor(&d.id), esc(&d.id));
    }
    h.push_str("</div>\n");
    super::html::page("lesart comparison", &h)
}
