//! A parameter's value written into a claim's text or a report: alone as a node with its type
//! (YAML's flow form, NaN and ±∞ included), inside other text only as a number, true/false or a
//! word (so that it cannot change what the text says), and as people read it, a text that
//! would read as another value quoted so that the two print apart.

/// A value as people read it: numbers as YAML writes them (`.nan`, `-.inf`), texts as they
/// are unless they would read as another value (`"1"`, `"true"` quoted, so that a text and a
/// number that print alike stay apart), anything else in YAML's flow form.
pub fn label(value: &serde_yaml::Value) -> String {
    match value {
        serde_yaml::Value::String(s) if reads_as_itself(s) => s.clone(),
        other => flow(other),
    }
}

/// Whether YAML reads `text`, written plainly, back as the same text.
fn reads_as_itself(text: &str) -> bool {
    !text.is_empty()
        && text.trim() == text
        && serde_yaml::from_str::<serde_yaml::Value>(text).is_ok_and(|v| v.as_str() == Some(text))
}

/// `value` as YAML flow text that reads back as the same value with its type: numbers as
/// YAML writes them (NaN and ±∞ included; JSON would make them `null`), texts double-quoted,
/// lists and mappings in brackets and braces.
pub fn flow(value: &serde_yaml::Value) -> String {
    use serde_yaml::Value;
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Sequence(items) => {
            let items: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Mapping(map) => {
            let pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", flow(k), flow(v)))
                .collect();
            format!("{{{}}}", pairs.join(", "))
        }
        Value::Tagged(tagged) => flow(&tagged.value),
    }
}

/// `value` written inside other text (an assertion, a title, an id): a number, true/false, or
/// a word of letters, digits, `_` and `-` starting with a letter or `_` (a run's name), which
/// cannot change the structure of the text around it; otherwise what was expected.
pub fn inline(value: &serde_yaml::Value) -> Result<String, String> {
    use serde_yaml::Value;
    let word = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && s.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    };
    match value {
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::String(s) if word(s) && reads_as_itself(s) => Ok(s.clone()),
        _ => Err(
            "a number, true/false or a word of letters, digits, `_` and `-` (a value inside other text is pasted there, and must not change what the text says); other values only alone as a field's value".into(),
        ),
    }
}

/// The most bytes `value` takes written into a point's text, alone or inside other text.
pub fn written_len(value: &serde_yaml::Value) -> usize {
    flow(value).len().max(label(value).len())
}
