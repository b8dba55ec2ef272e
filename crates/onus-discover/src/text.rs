//! Positions in text: byte offsets to line and column, and finding where a JSON key or value was written.

/// Byte offsets to 1-based line and column (columns count characters).
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    pub fn pos(&self, offset: usize) -> (u32, u32) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1) - 1;
        let start = self.starts[line];
        let col = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        (line as u32 + 1, col as u32 + 1)
    }
}

/// Find `"key": "value"` (any spacing) at or after `from`; returns the offset of the key's opening quote.
pub fn find_json_pair(text: &str, key: &str, value: &str, from: usize) -> Option<usize> {
    let needle = format!("\"{key}\"");
    let mut at = from;
    while let Some(i) = text.get(at..).and_then(|t| t.find(&needle)) {
        let k = at + i;
        let rest = text[k + needle.len()..].trim_start();
        if let Some(rest) = rest.strip_prefix(':') {
            let rest = rest.trim_start();
            let quoted = serde_json::to_string(value).unwrap_or_default();
            if rest.starts_with(&quoted) {
                return Some(k);
            }
        }
        at = k + needle.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_pairs() {
        let t = "ab\n{ \"type\" :  \"x\",\n\"type\": \"y\" }";
        let ix = LineIndex::new(t);
        assert_eq!(ix.pos(0), (1, 1));
        assert_eq!(ix.pos(3), (2, 1));
        let y = find_json_pair(t, "type", "y", 0).unwrap();
        assert_eq!(ix.pos(y), (3, 1));
        let x = find_json_pair(t, "type", "x", 0).unwrap();
        assert_eq!(ix.pos(x), (2, 3));
        assert_eq!(find_json_pair(t, "type", "z", 0), None);
    }
}
