//! `report/index.html`: the summary as a self-contained page (inline CSS, no scripts, no web fonts, images by
//! relative path to files the report wrote), so it renders in a browser with no network.

use std::path::Path;

const STYLE: &str = r#"
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #1b1b1b; line-height: 1.5; }
h1 { font-size: 1.7rem; border-bottom: 3px solid #0072B2; padding-bottom: .3rem; }
h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.15rem; margin-top: 1.8rem; color: #0b4f7a; }
img { max-width: 100%; height: auto; border: 1px solid #ddd; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #bbb; padding: .25rem .6rem; text-align: left; }
th { background: #eef3f8; }
.restricted { background: #fff3cd; border: 1px solid #e0c36c; padding: .4rem .8rem; }
"#;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Render Markdown to a complete HTML page titled `title`.
pub fn page(title: &str, markdown: &str, tier: super::Tier) -> String {
    use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};
    // No markup from the Markdown reaches the page as markup: raw HTML is shown as text, and links and
    // images may only point at files of the run (no scripts, no other sites).
    let local = |url: &str| !url.contains(':') && !url.starts_with("//");
    let events = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        Event::Start(Tag::Link { link_type, dest_url, title, id }) if !local(&dest_url) => {
            Event::Start(Tag::Link { link_type, dest_url: CowStr::Borrowed("#"), title, id })
        }
        Event::Start(Tag::Image { link_type, dest_url, title, id }) if !local(&dest_url) => {
            Event::Start(Tag::Image { link_type, dest_url: CowStr::Borrowed("#"), title, id })
        }
        other => other,
    });
    let mut body = String::new();
    html::push_html(&mut body, events);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{}\n{body}</body>\n</html>\n",
        escape(title),
        match tier {
            super::Tier::Restricted => "<p class=\"restricted\">Restricted: for the partnership. Unsuppressed figures; the publishable version is in <code>public/</code>.</p>",
            super::Tier::Public => "<p class=\"restricted\">Published version: small numbers are suppressed (see the disclosure note).</p>",
        }
    )
}

/// Every `src="..."` and `href="..."` target of a page (to check that local references exist).
pub fn references(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            if let Some(j) = rest.find('"') {
                out.push(rest[..j].to_string());
                rest = &rest[j..];
            }
        }
    }
    out
}

/// Write `report/index.html` from the summary Markdown.
pub fn write_index(report_dir: &Path, title: &str, markdown: &str, tier: super::Tier) -> std::io::Result<()> {
    crate::fsutil::write_atomic(&report_dir.join("index.html"), page(title, markdown, tier).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_self_contained_and_list_their_references() {
        let html = page("A & B", "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n![chart](../charts/x.png)\n", crate::report::Tier::Restricted);
        assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<title>A &amp; B</title>"));
        assert!(html.contains("<table>") && html.contains("<td>1</td>"));
        assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));
        assert_eq!(references(&html), vec!["../charts/x.png".to_string()]);
    }

    #[test]
    fn raw_html_and_foreign_links_in_the_markdown_never_become_markup() {
        let html = page("x", "<img src=x onerror=alert(4)>\n\nText <b onclick=x>b</b> [a](javascript:alert(1)) ![i](http://evil/x.png)\n", crate::report::Tier::Public);
        assert!(!html.contains("<img src=x") && !html.contains("<b onclick") && html.contains("&lt;img src=x"), "{html}");
        assert!(!html.contains("javascript:") && !html.contains("http://evil"), "{html}");
    }
}
