//! Text from inputs (the assessment's name and area, definition labels, ward and category names) put into
//! Markdown. Such text is data, never markup: a ward named `<img onerror=...>` or `[x](javascript:...)` must
//! read as those characters in `summary.md`, in any Markdown viewer and in `index.html`.

/// `s` with the characters that could make markup backslash-escaped (HTML tags and entities, links and
/// images, code, emphasis, table cells), and line breaks as spaces (a label must not start a new block).
/// `_` is left alone: inside a word (`ward_name`) it is no markup, and keys are full of it.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '|' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_labels_is_escaped_and_plain_labels_are_untouched() {
        assert_eq!(md("Barnsbury & Holloway"), "Barnsbury \\& Holloway");
        assert_eq!(md("St. Mary's-le-Bow"), "St. Mary's-le-Bow");
        assert_eq!(md("<img src=x onerror=alert(4)>"), "\\<img src=x onerror=alert(4)\\>");
        assert_eq!(md("a\nb|c"), "a b\\|c");
        let html = crate::report::html::page("t", &format!("# {}\n\n[{}](x)", md("<script>x</script>"), md("[y](javascript:alert(1))")), crate::report::Tier::Public);
        assert!(!html.contains("<script") && !html.contains("javascript:alert(1)\""), "{html}");
    }
}
