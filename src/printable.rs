//! User text on a terminal: ids, titles, names and paths reach reports and error messages, and
//! must not forge lines, move the cursor or reorder text. Control characters and bidirectional
//! overrides are written as escapes (`\n`, `\u{1b}`), and very long text is shortened.

use std::borrow::Cow;

/// The longest user text shown, in characters; longer text keeps its start and says how long it
/// was.
pub const MAX_SHOWN: usize = 500;

/// The longest message of implreg's own shown whole (what a field expected, with the
/// vocabulary it lists): far above the longest list, so only user text quoted at length in it
/// is ever cut.
pub const MAX_MESSAGE: usize = 4000;

/// `text` safe to print: escaped and at most `MAX_SHOWN` characters (plus the note).
pub fn printable(text: &str) -> Cow<'_, str> {
    shortened(text, MAX_SHOWN)
}

/// `text` escaped and at most `most` characters (plus a note of its length).
pub fn shortened(text: &str, most: usize) -> Cow<'_, str> {
    let count = text.chars().count();
    if count <= most {
        return escaped(text);
    }
    let cut: String = text.chars().take(most).collect();
    Cow::Owned(format!("{}… ({count} characters)", escaped(&cut)))
}

/// `text` with its control characters and bidirectional overrides written as escapes, whole
/// (reports keep every character; a terminal line is shortened by `printable`).
pub fn escaped(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::new();
    for c in text.chars() {
        if unsafe_char(c) {
            // `escape_debug` leaves some of these as they are; `escape_unicode` never does.
            let escaped: String = c.escape_debug().collect();
            if escaped.starts_with('\\') {
                shown.push_str(&escaped);
            } else {
                shown.extend(c.escape_unicode());
            }
        } else {
            shown.push(c);
        }
    }
    Cow::Owned(shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_long_text_shortened() {
        assert_eq!(printable("σ₁ ≤ 0.9"), "σ₁ ≤ 0.9");
        assert_eq!(printable("a\nok   forged"), "a\\nok   forged");
        assert_eq!(printable("\u{1b}[2J\0"), "\\u{1b}[2J\\0");
        assert_eq!(printable("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(printable("x\u{2028}y"), "x\\u{2028}y");
        let long = "a".repeat(MAX_SHOWN + 50);
        let shown = printable(&long);
        assert!(shown.starts_with(&"a".repeat(MAX_SHOWN)));
        assert!(shown.ends_with(&format!("… ({} characters)", MAX_SHOWN + 50)));
    }
}
