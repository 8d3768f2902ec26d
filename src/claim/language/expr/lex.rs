//! The assertion's text as tokens: numbers, names and symbols, each with its character offset;
//! Unicode operators (≤ ≥ ≠ − × ÷) read as their ASCII spellings.

use super::ast::ExprError;
use std::fmt;

/// A token's kind.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum TokenKind {
    Number(f64),
    Name(String),
    Symbol(&'static str),
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            TokenKind::Number(x) => write!(f, "{x}"),
            TokenKind::Name(name) => f.write_str(name),
            TokenKind::Symbol(s) => f.write_str(s),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub(super) kind: TokenKind,
    pub(super) offset: usize,
}

/// Symbols, longest first; Unicode forms map to their ASCII spelling.
const SYMBOLS: &[(&str, &str)] = &[
    ("<=", "<="),
    (">=", ">="),
    ("==", "=="),
    ("!=", "!="),
    ("≤", "<="),
    ("≥", ">="),
    ("≠", "!="),
    ("<", "<"),
    (">", ">"),
    ("+", "+"),
    ("-", "-"),
    ("−", "-"),
    ("*", "*"),
    ("×", "*"),
    ("/", "/"),
    ("÷", "/"),
    ("(", "("),
    (")", ")"),
    (",", ","),
    (".", "."),
];

pub(super) fn lex(text: &str) -> Result<Vec<Token>, ExprError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && (chars[i] == 'e' || chars[i] == 'E') {
                i += 1;
                if i < chars.len() && (chars[i] == '+' || chars[i] == '-') {
                    i += 1;
                }
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
            }
            let literal: String = chars[start..i].iter().collect();
            let value = literal
                .parse()
                .map_err(|_| ExprError::at(start, format!("a number, found `{literal}`")))?;
            tokens.push(Token {
                kind: TokenKind::Number(value),
                offset: start,
            });
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token {
                kind: TokenKind::Name(chars[start..i].iter().collect()),
                offset: start,
            });
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let Some(&(written, symbol)) = SYMBOLS.iter().find(|(s, _)| rest.starts_with(s)) else {
                return Err(ExprError::at(
                    i,
                    format!(
                        "a number, a name, an operator (+ - * / < <= > >= == !=) or a parenthesis, found `{c}`"
                    ),
                ));
            };
            tokens.push(Token {
                kind: TokenKind::Symbol(symbol),
                offset: i,
            });
            i += written.chars().count();
        }
    }
    Ok(tokens)
}
