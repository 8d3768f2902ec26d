//! The answer of a configuration check: which field is impossible and what was expected.
//! Problems and solvers check their own settings; `claim::read::spec` turns the field path into a file,
//! line and column, so neither of them knows about YAML.

/// An impossible setting: `field` is a dotted path relative to the checked value
/// (`completion.rank`, `entries[2].row`), `expected` says what would have been valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The dotted path of the field.
    pub field: String,
    /// What would have been valid.
    pub expected: String,
}

impl Invalid {
    /// The complaint that `field` should have been `expected`.
    pub fn new(field: impl Into<String>, expected: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            expected: expected.into(),
        }
    }

    /// The same complaint seen from a containing value: `prefix.field`.
    pub fn within(self, prefix: &str) -> Self {
        let field = if self.field.is_empty() {
            prefix.to_string()
        } else if self.field.starts_with('[') {
            format!("{prefix}{}", self.field)
        } else {
            format!("{prefix}.{}", self.field)
        };
        Self { field, ..self }
    }
}

/// `Err(Invalid)` unless `ok`.
pub fn require(ok: bool, field: &str, expected: impl FnOnce() -> String) -> Result<(), Invalid> {
    if ok {
        Ok(())
    } else {
        Err(Invalid::new(field, expected()))
    }
}
