//! `report.html`: the corpus report as one self-contained page (inline CSS and SVG charts,
//! nothing fetched): the corpus summary, the documents table with filters, and every document
//! to read with its marks ([`super::view`]), each in a `<details>` that opens on demand. A
//! small inline script filters the documents and links a claim's parts on hover; the text and
//! the marks need no script.

use super::aggregate::{DocumentSummary, Report};
use super::view::{anchor, esc};
use std::fmt::Write;

/// The chart of hedging and reported speech shows this many documents at most (the first);
/// the table below it lists them all.
pub const CHART_DOCUMENTS: usize = 200;

/// Renders the report as a standalone HTML page.
pub fn render(report: &Report) -> String {
    let first = &report.documents[..report.documents.len().min(CHART_DOCUMENTS)];
    let rows: String = report.documents.iter().enumerate().map(|(i, d)| document_row(d, i < VIEW_DOCUMENTS)).collect();
    [head(report, first), rows, views_head(report.documents.len()), tail(report)].concat()
}

/// Everything before the rows of the documents table, with the chart of `first`.
pub(crate) fn head(report: &Report, first: &[DocumentSummary]) -> String {
    let mut h = String::new();
    let c = &report.corpus;
    let m = &report.modality;
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"de\"><head><meta charset=\"utf-8\"><title>lesart report</title><style>{STYLE}</style></head><body>\n"
    );
    let _ = writeln!(h, "<h1>lesart report</h1>");
    let _ = writeln!(
        h,
        "<p>{} documents, {} sentences ({} boilerplate), {} words. {:.1} hedge cues per 100 sentences; {} claims ({} hedged, {} without a named source).</p>",
        report.documents_analysed,
        c.sentences,
        c.boilerplate_sentences,
        c.words,
        m.hedging_density,
        m.claims,
        m.hedged_claims,
        m.unattributed_claims
    );

    if m.content_sentences > 0 {
        let _ = writeln!(h, "<h2>Sentence modality</h2>");
        let parts: Vec<(&str, f64)> =
            m.sentence_modality.iter().map(|(k, v)| (k.as_str(), *v as f64 / m.content_sentences as f64)).collect();
        stacked_bar(&mut h, &parts);
    }

    let _ = writeln!(h, "<h2>Hedging and reported speech per document</h2>");
    if report.documents_analysed > first.len() {
        let _ = writeln!(h, "<p>The first {} of {} documents; the table below lists them all.</p>", first.len(), report.documents_analysed);
    }
    let rows: Vec<(&str, f64, f64)> =
        first.iter().map(|d| (d.id.as_str(), d.modality.hedging_density, 100.0 * d.reported_speech_share)).collect();
    paired_bars(&mut h, &rows, "hedge cues per 100 sentences", "% sentences with Konjunktiv I");

    if !m.top_sources.is_empty() {
        let _ = writeln!(
            h,
            "<h2>Most-cited sources</h2><table><tr><th>source</th><th>claims</th><th>direct</th><th>indirect</th><th>reported</th></tr>"
        );
        for (source, _) in &m.top_sources {
            if let Some(s) = m.sources.get(source) {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    filter_link(source),
                    s.claims,
                    s.direct,
                    s.indirect,
                    s.reported
                );
            }
        }
        let _ = writeln!(h, "</table>");
    }
    if !report.entities.is_empty() {
        let _ =
            writeln!(h, "<h2>Most mentioned entities</h2><table><tr><th>entity</th><th>type</th><th>mentions</th><th>documents</th><th>stance (mean)</th><th>favor / against / neutral</th></tr>");
        for e in report.entities.iter().take(25) {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{:?}</td><td>{}</td><td>{}</td><td>{}</td><td>{} / {} / {}</td></tr>",
                filter_link(&e.name),
                e.label,
                e.mentions,
                e.documents,
                super::markdown::signed(e.mean_stance, e.stance_sentences),
                e.favor,
                e.against,
                e.neutral
            );
        }
        let _ = writeln!(h, "</table>");
    }
    let _ = writeln!(h, "<h2 id=\"documents\">Documents</h2>{FILTERS}");
    let _ = writeln!(h, "<table><tr><th>document</th><th>encoding</th><th>sentences</th><th>words</th><th>claims</th><th>hedging</th><th>main sources</th><th>main entities</th></tr>");
    h
}

/// The filters over the documents (they need the script).
const FILTERS: &str = "<p class=\"filters\"><input id=\"f-text\" type=\"search\" placeholder=\"source or actor\" aria-label=\"source or actor\"> \
<label>hedging ≥ <input id=\"f-hedge\" type=\"number\" min=\"0\" step=\"1\" value=\"0\"></label> \
<select id=\"f-stance\" aria-label=\"stance\"><option value=\"\">any stance</option><option value=\"favor\">favor</option><option value=\"against\">against</option></select> \
<span id=\"f-count\"></span></p>";

/// A name in a summary table that filters the documents to those naming it.
fn filter_link(name: &str) -> String {
    format!("<a class=\"flt\" href=\"#documents\" data-value=\"{}\">{}</a>", esc(name), esc(name))
}

/// The attributes the filters read: sources, actors, hedging density and the stance toward
/// each actor (`actor=favor|…`, the more frequent polar label, else neutral).
fn filter_attributes(d: &DocumentSummary) -> String {
    let sources: Vec<&str> = d.modality.sources.keys().map(String::as_str).collect();
    let actors: Vec<&str> = d.entities.iter().map(|e| e.name.as_str()).collect();
    let stance: Vec<String> = d.stance.actors.iter().map(|a| format!("{}={}", a.actor, a.leaning())).collect();
    format!(
        "data-sources=\"{}\" data-actors=\"{}\" data-hedging=\"{:.1}\" data-stance=\"{}\"",
        esc(&sources.join("|")),
        esc(&actors.join("|")),
        d.modality.hedging_density,
        esc(&stance.join("|"))
    )
}

/// The reading view holds this many documents at most (the first, in the report's order), so
/// that the page stays quick to open for any corpus; `lesart inspect FILE --html` shows any
/// other, and the table lists them all.
pub const VIEW_DOCUMENTS: usize = 2_000;

/// One row of the documents table; `readable` when the document is among those to read, whose
/// name then links to it.
pub(crate) fn document_row(d: &DocumentSummary, readable: bool) -> String {
    let mut h = String::new();
    let sources: Vec<String> = d.modality.top_sources.iter().take(3).map(|(s, n)| format!("{s} ({n})")).collect();
    let entities: Vec<String> = d.entities.iter().take(3).map(|e| format!("{} ({})", e.name, e.mentions)).collect();
    let _ = writeln!(
        h,
        "<tr {}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td><td>{}</td></tr>",
        filter_attributes(d),
        if readable { format!("<a href=\"#{}\">{}</a>", anchor(&d.id), esc(&d.id)) } else { esc(&d.id) },
        esc(&d.encoding),
        d.counts.sentences,
        d.counts.words,
        d.modality.claims,
        d.modality.hedging_density,
        esc(&sources.join(", ")),
        esc(&entities.join(", "))
    );
    h
}

/// The end of the documents table and the start of the reading views, saying how many of the
/// `documents` are there to read.
pub(crate) fn views_head(documents: usize) -> String {
    let note = if documents > VIEW_DOCUMENTS {
        format!(
            "<p>The first {VIEW_DOCUMENTS} of {documents} documents; <code>lesart inspect FILE --html PAGE</code> shows any other.</p>\n"
        )
    } else {
        String::new()
    };
    format!("</table>\n<h2 id=\"read\">Read the documents</h2>\n{note}{LEGEND}\n")
}

/// The marks' legend.
pub(crate) const LEGEND: &str = "<p class=\"legend\"><span class=\"ent PER\">person</span> <span class=\"ent LOC\">place</span> \
<span class=\"ent ORG\">organisation</span> <span class=\"ent MISC\">other name</span> <span class=\"cue\">cue</span> \
<span class=\"kj1\">Konjunktiv I</span> <span class=\"src\">source</span> <span class=\"ccue\">speech verb</span> \
<span class=\"msg\">message</span> <span class=\"st favor\">favor</span> <span class=\"st against\">against</span> \
<span class=\"bp\">boilerplate</span></p>";

/// One document to read: its line (opens it) and its marked text.
pub(crate) fn document_view(d: &DocumentSummary, view: &str) -> String {
    format!(
        "<details class=\"doc\" id=\"{}\" {}><summary><b>{}</b> — {} words, {} claims, {:.1} hedge cues per 100 sentences</summary>\n{view}\n</details>\n",
        anchor(&d.id),
        filter_attributes(d),
        esc(&d.id),
        d.counts.words,
        d.modality.claims,
        d.modality.hedging_density
    )
}

/// A page of its own around `body`: the style, the script, nothing fetched.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"de\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n{body}\n<script>{SCRIPT}</script>\n</body></html>\n",
        esc(title)
    )
}

/// One document to read, as `inspect --html` writes it into a [`page`]: its figures, the
/// marks' legend and its marked text.
pub fn document_section(d: &DocumentSummary, view: &str) -> String {
    let mut body = format!(
        "<h1>{}</h1>\n<p>{} sentences, {} words, {} claims ({} without a named source), {:.1} hedge cues per 100 sentences.</p>\n",
        esc(&d.id),
        d.counts.sentences,
        d.counts.words,
        d.modality.claims,
        d.modality.unattributed_claims,
        d.modality.hedging_density
    );
    body.push_str(LEGEND);
    let _ = write!(body, "\n<section class=\"article\" id=\"{}\">{view}</section>\n", anchor(&d.id));
    body
}

/// Everything after the reading views.
pub(crate) fn tail(report: &Report) -> String {
    let mut h = String::new();
    let _ = writeln!(h, "<h2>Skipped inputs</h2>");
    if report.skipped.is_empty() {
        let _ = writeln!(h, "<p>None.</p>");
    } else {
        let _ = writeln!(h, "<ul>");
        for s in &report.skipped {
            let _ = writeln!(h, "<li><code>{}</code>: {}</li>", esc(&s.path), esc(&s.reason));
        }
        let _ = writeln!(h, "</ul>");
    }
    let _ = writeln!(h, "<script>{SCRIPT}</script>\n</body></html>");
    h
}

/// Filters, claim links on hover, and opening the document a link points into.
const SCRIPT: &str = r#"(function(){
const q=s=>document.querySelectorAll(s),by=i=>document.getElementById(i);
const text=by('f-text'),hedge=by('f-hedge'),stance=by('f-stance'),filters=text&&hedge&&stance;
function apply(){
 if(!filters)return;
 const t=text.value.trim().toLowerCase(),h=parseFloat(hedge.value)||0,st=stance.value;let n=0;
 q('[data-hedging]').forEach(e=>{
  const names=((e.dataset.sources||'')+'|'+(e.dataset.actors||'')).toLowerCase().split('|');
  let ok=(!t||names.includes(t))&&parseFloat(e.dataset.hedging)>=h;
  if(ok&&st)ok=(e.dataset.stance||'').split('|').some(p=>{const i=p.lastIndexOf('=');return p.slice(i+1)===st&&(!t||p.slice(0,i).toLowerCase()===t);});
  e.hidden=!ok;if(ok&&e.tagName==='TR')n++;});
 by('f-count').textContent=n+' documents';
 q('.hit').forEach(e=>e.classList.remove('hit'));
 if(t)q('.src,.ent').forEach(e=>{if((e.dataset.source||e.dataset.actor||'').toLowerCase()===t)e.classList.add('hit');});
}
if(filters)[text,hedge,stance].forEach(e=>e.addEventListener('input',apply));
q('a.flt').forEach(a=>a.addEventListener('click',()=>{text.value=a.dataset.value;apply();}));
document.addEventListener('mouseover',ev=>{
 const c=ev.target.closest('[data-claim]');q('.link').forEach(e=>e.classList.remove('link'));
 if(c)q('[data-claim="'+CSS.escape(c.dataset.claim)+'"]').forEach(e=>e.classList.add('link'));});
function show(){const id=decodeURIComponent(location.hash.slice(1)),el=id&&by(id);if(!el)return;const d=el.closest('details');if(d)d.open=true;el.scrollIntoView();}
addEventListener('hashchange',show);show();apply();
})();"#;

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}\
.ent{border-bottom:2px solid;padding:0 1px}.ent.PER{background:#e3ecf7;border-color:#4e79a7}.ent.LOC{background:#e4f2e1;border-color:#59a14f}\
.ent.ORG{background:#fdebd9;border-color:#f28e2b}.ent.MISC{background:#efe4f0;border-color:#b07aa1}\
.cue{text-decoration:underline dotted #e15759 2px}.kj1{font-style:italic;color:#6b3fa0}.msg{background:#fff8d6}\
.src{outline:1px solid #c9a400}.ccue{text-decoration:underline #c9a400 2px}.st.favor{box-shadow:inset 0 -4px #59a14f}\
.st.against{box-shadow:inset 0 -4px #e15759}.bp{opacity:.45}.link{background:#ffd86b!important}.hit{outline:2px solid #e15759}\
details.doc{border-top:1px solid #ddd;padding:.4em 0}details.doc summary{cursor:pointer}.view{display:block;white-space:pre-wrap;line-height:1.8;margin:.6em 0}\
.filters input,.filters select{font:inherit;margin-right:.6em}a.flt{color:inherit}\
table.cmp td.favor{background:#e4f2e1}table.cmp td.against{background:#fbe3e3}.side{display:flex;gap:1.5em;align-items:flex-start}\
.side .article{flex:1;min-width:0}\
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border-bottom:1px solid #ddd;padding:.25em .6em;text-align:left}\
th{background:#f4f4f4}svg text{font:12px system-ui,sans-serif}.legend span{display:inline-block;margin-right:1em}\
.sw{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-.1em}";

const COLORS: &[&str] = &["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1"];

/// One horizontal bar split into shares (which add up to 1), with a legend.
fn stacked_bar(h: &mut String, parts: &[(&str, f64)]) {
    let width = 900.0;
    let _ = write!(h, "<svg width=\"{width}\" height=\"28\" role=\"img\">");
    let mut x = 0.0;
    for (i, (name, share)) in parts.iter().enumerate() {
        let w = share * width;
        let _ = write!(
            h,
            "<rect x=\"{x:.1}\" y=\"0\" width=\"{w:.1}\" height=\"28\" fill=\"{}\"><title>{} {:.1} %</title></rect>",
            COLORS[i % COLORS.len()],
            esc(name),
            100.0 * share
        );
        x += w;
    }
    let _ = writeln!(h, "</svg><p class=\"legend\">");
    for (i, (name, share)) in parts.iter().enumerate() {
        let _ = write!(
            h,
            "<span><i class=\"sw\" style=\"background:{}\"></i>{} {:.1} %</span>",
            COLORS[i % COLORS.len()],
            esc(name),
            100.0 * share
        );
    }
    let _ = writeln!(h, "</p>");
}

/// Two bars per row, each scaled to its own maximum, with the values written beside them;
/// each row's name (a document id) links to the document.
fn paired_bars(h: &mut String, rows: &[(&str, f64, f64)], first: &str, second: &str) {
    let (label_w, bar_w, row_h) = (330.0, 260.0, 22.0);
    let max_a = rows.iter().map(|r| r.1).fold(0.0, f64::max).max(1e-9);
    let max_b = rows.iter().map(|r| r.2).fold(0.0, f64::max).max(1e-9);
    let height = row_h * rows.len() as f64 + 4.0;
    let _ = write!(h, "<svg width=\"{}\" height=\"{height}\" role=\"img\">", label_w + 2.0 * bar_w + 120.0);
    for (i, (full_name, a, b)) in rows.iter().enumerate() {
        let y = i as f64 * row_h;
        let name: String = full_name.chars().take(48).collect();
        // The document's name links to its reading view.
        let _ = write!(h, "<a href=\"#{}\"><text x=\"0\" y=\"{:.1}\">{}</text></a>", anchor(full_name), y + 15.0, esc(&name));
        let wa = a / max_a * bar_w;
        let wb = b / max_b * bar_w;
        let xb = label_w + bar_w + 60.0;
        let _ = write!(h, "<rect x=\"{label_w}\" y=\"{:.1}\" width=\"{wa:.1}\" height=\"16\" fill=\"{}\"/>", y + 3.0, COLORS[0]);
        let _ = write!(h, "<text x=\"{:.1}\" y=\"{:.1}\">{a:.1}</text>", label_w + wa + 4.0, y + 15.0);
        let _ = write!(h, "<rect x=\"{xb}\" y=\"{:.1}\" width=\"{wb:.1}\" height=\"16\" fill=\"{}\"/>", y + 3.0, COLORS[1]);
        let _ = write!(h, "<text x=\"{:.1}\" y=\"{:.1}\">{b:.1}</text>", xb + wb + 4.0, y + 15.0);
    }
    let _ = writeln!(h, "</svg>");
    let _ = writeln!(
        h,
        "<p class=\"legend\"><span><i class=\"sw\" style=\"background:{}\"></i>{}</span><span><i class=\"sw\" style=\"background:{}\"></i>{}</span></p>",
        COLORS[0],
        esc(first),
        COLORS[1],
        esc(second)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_from_documents() {
        assert_eq!(esc("<script>\"a\" & 'b'</script>"), "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;");
        let mut report = Report::new();
        report.skipped.push(crate::ingest::Skipped { path: "<b>.txt".into(), reason: "empty file".into() });
        let page = render(&report);
        assert!(page.starts_with("<!DOCTYPE html>") && page.contains("&lt;b&gt;.txt") && !page.contains("<b>.txt"));
    }
}
