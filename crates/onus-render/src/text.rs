//! Text helpers shared by the human-readable renderers: display width, padding and word wrapping.

use unicode_width::UnicodeWidthStr;

pub fn width(s: &str) -> usize {
    // Printable ASCII is one column a byte: the common case, without the table lookups.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        s.len()
    } else {
        UnicodeWidthStr::width(s)
    }
}

/// Pad `s` with spaces to `w` columns (no truncation).
pub fn pad(s: &str, w: usize) -> String {
    let n = width(s);
    if n >= w {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(w - n))
    }
}

/// Cut `s` to at most `w` columns, ending with an ellipsis when cut.
pub fn truncate(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        if used + 2 > w {
            break;
        }
        out.push(ch);
        used += unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
    }
    out.push('…');
    out
}

/// Wrap `s` into lines of at most `w` columns (a word longer than `w` gets a line of its own).
pub fn wrap(s: &str, w: usize) -> Vec<String> {
    let w = w.max(10);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in s.split_whitespace() {
        let n = width(word);
        if !line.is_empty() && used + 1 + n > w {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if !line.is_empty() {
            line.push(' ');
            used += 1;
        }
        line.push_str(word);
        used += n;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Wrap with a first-line prefix and an indent for the following lines.
pub fn wrap_indented(prefix: &str, s: &str, total: usize) -> String {
    let indent = " ".repeat(width(prefix));
    let avail = total.saturating_sub(width(prefix)).max(20);
    let mut out = String::new();
    for (i, l) in wrap(s, avail).iter().enumerate() {
        out.push_str(if i == 0 { prefix } else { &indent });
        out.push_str(l);
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str(prefix.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_within_width() {
        let lines = wrap("one two three four five six seven eight nine ten", 12);
        assert!(lines.iter().all(|l| width(l) <= 12), "{lines:?}");
        assert_eq!(
            lines.join(" "),
            "one two three four five six seven eight nine ten"
        );
    }

    #[test]
    fn truncates_with_ellipsis() {
        assert_eq!(truncate("abcdefghij", 5), "abcd…");
        assert_eq!(truncate("abc", 5), "abc");
    }
}
