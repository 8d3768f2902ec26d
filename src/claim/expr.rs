//! The assertion language: numbers, `run.metric` and `truth.metric` references, moments
//! `run.initial.metric` and `run.at_loss(t).metric`, pairwise quantities (`certified_gap(a, c)`,
//! `rel_distance(a, b)`), arithmetic, abs, min, max, log10, sqrt, comparisons, `and`, `or`, `not`.
//! Parsed once, checked against the claim (run names, metrics, the problem's shape), then
//! evaluated per seed.

use crate::metrics::{Metric, Pairwise};
use crate::watch::When;
use std::fmt;

/// A problem with an assertion, at a 1-based character column of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    pub column: usize,
    pub expected: String,
}

impl ExprError {
    fn at(offset: usize, expected: impl Into<String>) -> Self {
        Self {
            column: offset + 1,
            expected: expected.into(),
        }
    }
}

/// Whose metric a reference reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    Run(String),
    Truth,
}

impl Subject {
    fn named(name: String) -> Subject {
        if name == "truth" {
            Subject::Truth
        } else {
            Subject::Run(name)
        }
    }
}

/// What a reference reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Quantity {
    /// `subject.metric`.
    Of(Subject, Metric),
    /// `name(a, b)`.
    Between(Pairwise, Subject, Subject),
    /// `run.initial.metric`, `run.at_loss(t).metric`: a metric of the matrix at a moment.
    At(Subject, When, Metric),
}

/// A quantity, as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    pub quantity: Quantity,
    /// The reference as the claim wrote it, for reports.
    pub text: String,
    /// Where its parts start in the assertion, for errors: the metric name (twice) for a metric
    /// or a moment, the two arguments for `name(a, b)`.
    pub parts: [usize; 2],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Abs,
    Min,
    Max,
    Log10,
    Sqrt,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Number(f64),
    Ref(Reference),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Arith(Arith, Box<Expr>, Box<Expr>),
    Compare(Compare, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Call(Function, Vec<Expr>),
}

/// An expression with the character offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub node: Node,
    pub offset: usize,
}

/// The two kinds of value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Number,
    Boolean,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Type::Number => "a number",
            Type::Boolean => "true/false",
        })
    }
}

/// What an expression may refer to.
pub struct Scope<'a> {
    pub runs: &'a [&'a str],
    /// The runs that hand back an optimality certificate (convex runs).
    pub certified: &'a [&'a str],
    pub rows: usize,
    pub cols: usize,
    pub has_truth: bool,
}

impl Expr {
    /// Parses an assertion.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        let tokens = lex(text)?;
        let mut parser = Parser {
            tokens,
            position: 0,
            end: text.chars().count(),
        };
        let expr = parser.or()?;
        match parser.peek() {
            None => Ok(expr),
            Some(token) => Err(ExprError::at(
                token.offset,
                format!(
                    "an operator or the end of the assertion, found `{}`",
                    token.kind
                ),
            )),
        }
    }

    /// Resolves names and types against `scope`; an assertion must be true/false.
    pub fn check_assertion(&self, scope: &Scope) -> Result<(), ExprError> {
        let found = self.check(scope)?;
        if found != Type::Boolean {
            return Err(ExprError::at(
                self.offset,
                format!(
                    "an assertion that is true or false (a comparison such as `x < 1`), found {found}"
                ),
            ));
        }
        Ok(())
    }

    fn check(&self, scope: &Scope) -> Result<Type, ExprError> {
        let expect = |e: &Expr, wanted: Type| -> Result<(), ExprError> {
            let found = e.check(scope)?;
            if found == wanted {
                Ok(())
            } else {
                Err(ExprError::at(
                    e.offset,
                    format!("{wanted} here, found {found}"),
                ))
            }
        };
        match &self.node {
            Node::Number(_) => Ok(Type::Number),
            Node::Ref(reference) => self.check_reference(reference, scope),
            Node::Neg(e) => expect(e, Type::Number).map(|_| Type::Number),
            Node::Not(e) => expect(e, Type::Boolean).map(|_| Type::Boolean),
            Node::Arith(_, a, b) => {
                expect(a, Type::Number)?;
                expect(b, Type::Number).map(|_| Type::Number)
            }
            Node::Compare(_, a, b) => {
                expect(a, Type::Number)?;
                expect(b, Type::Number).map(|_| Type::Boolean)
            }
            Node::And(a, b) | Node::Or(a, b) => {
                expect(a, Type::Boolean)?;
                expect(b, Type::Boolean).map(|_| Type::Boolean)
            }
            Node::Call(_, arguments) => {
                for argument in arguments {
                    expect(argument, Type::Number)?;
                }
                Ok(Type::Number)
            }
        }
    }

    fn check_reference(&self, reference: &Reference, scope: &Scope) -> Result<Type, ExprError> {
        match &reference.quantity {
            Quantity::Of(subject, metric) => self.check_metric(subject, *metric, reference, scope),
            Quantity::At(subject, _, metric) => {
                if *subject == Subject::Truth {
                    return Err(ExprError::at(
                        self.offset,
                        "a run for a moment (`truth` has no trajectory)",
                    ));
                }
                if !metric.at_a_moment() {
                    return Err(ExprError::at(
                        reference.parts[0],
                        "a metric of the matrix, a loss, an error or `steps` at a moment",
                    ));
                }
                self.check_metric(subject, *metric, reference, scope)
            }
            Quantity::Between(pairwise, a, b) => {
                let [a_at, b_at] = reference.parts;
                check_subject(a, scope).map_err(|e| ExprError::at(a_at, e))?;
                match (pairwise, b) {
                    (Pairwise::RelDistance, _) if !scope.has_truth => Err(ExprError::at(
                        self.offset,
                        "a problem with a ground truth for `rel_distance`",
                    )),
                    (Pairwise::RelDistance, _) => check_subject(b, scope)
                        .map(|_| Type::Number)
                        .map_err(|e| ExprError::at(b_at, e)),
                    (Pairwise::CertifiedGap, Subject::Run(name))
                        if scope.certified.contains(&name.as_str()) =>
                    {
                        Ok(Type::Number)
                    }
                    (Pairwise::CertifiedGap, _) => Err(ExprError::at(
                        b_at,
                        format!(
                            "a convex run with a certificate as the second argument of `certified_gap` ({})",
                            listed(scope.certified)
                        ),
                    )),
                }
            }
        }
    }

    fn check_metric(
        &self,
        subject: &Subject,
        metric: Metric,
        reference: &Reference,
        scope: &Scope,
    ) -> Result<Type, ExprError> {
        let metric_at = reference.parts[0];
        check_subject(subject, scope).map_err(|e| ExprError::at(self.offset, e))?;
        match subject {
            Subject::Truth if !metric.of_matrix() => {
                return Err(ExprError::at(
                    metric_at,
                    "a metric of a matrix for `truth` (not a run's loss, steps or status)",
                ));
            }
            Subject::Run(name)
                if metric.deep_only() && scope.certified.contains(&name.as_str()) =>
            {
                return Err(ExprError::at(
                    metric_at,
                    format!("a deep run for this metric; `{name}` is a convex run"),
                ));
            }
            Subject::Run(name)
                if metric.needs_certificate() && !scope.certified.contains(&name.as_str()) =>
            {
                return Err(ExprError::at(
                    metric_at,
                    format!(
                        "a convex run with a certificate for this metric ({}); `{name}` has none",
                        listed(scope.certified)
                    ),
                ));
            }
            _ => {}
        }
        if metric.needs_truth() && !scope.has_truth {
            return Err(ExprError::at(
                metric_at,
                "a problem with a ground truth for this metric",
            ));
        }
        metric
            .check_shape(scope.rows, scope.cols)
            .map_err(|e| ExprError::at(metric_at, e))?;
        Ok(if metric.is_boolean() {
            Type::Boolean
        } else {
            Type::Number
        })
    }

    /// Every reference, in reading order.
    pub fn references(&self) -> Vec<&Reference> {
        let mut found = Vec::new();
        self.visit(&mut |e| {
            if let Node::Ref(r) = &e.node {
                found.push(r);
            }
        });
        found
    }

    fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match &self.node {
            Node::Number(_) | Node::Ref(_) => {}
            Node::Neg(e) | Node::Not(e) => e.visit(f),
            Node::Arith(_, a, b) | Node::Compare(_, a, b) | Node::And(a, b) | Node::Or(a, b) => {
                a.visit(f);
                b.visit(f);
            }
            Node::Call(_, arguments) => arguments.iter().for_each(|a| a.visit(f)),
        }
    }

    /// The value of a number expression; booleans read as 1 or 0.
    pub fn number(&self, resolve: &impl Fn(&Reference) -> f64) -> f64 {
        let n = |e: &Expr| e.number(resolve);
        match &self.node {
            Node::Number(x) => *x,
            Node::Ref(r) => resolve(r),
            Node::Neg(e) => -n(e),
            Node::Arith(op, a, b) => {
                let (a, b) = (n(a), n(b));
                match op {
                    Arith::Add => a + b,
                    Arith::Sub => a - b,
                    Arith::Mul => a * b,
                    Arith::Div => a / b,
                }
            }
            Node::Call(function, arguments) => {
                let mut values = arguments.iter().map(n);
                match function {
                    // abs, log10 and sqrt are checked to take exactly one argument.
                    Function::Abs => values.next().map_or(f64::NAN, f64::abs),
                    Function::Log10 => values.next().map_or(f64::NAN, f64::log10),
                    Function::Sqrt => values.next().map_or(f64::NAN, f64::sqrt),
                    Function::Min => values.fold(f64::INFINITY, min_or_nan),
                    Function::Max => values.fold(f64::NEG_INFINITY, |a, b| -min_or_nan(-a, -b)),
                }
            }
            _ => f64::from(u8::from(self.truth(resolve))),
        }
    }

    /// The truth of a true/false expression. Comparisons with NaN are false.
    pub fn truth(&self, resolve: &impl Fn(&Reference) -> f64) -> bool {
        match &self.node {
            Node::Compare(op, a, b) => {
                let (a, b) = (a.number(resolve), b.number(resolve));
                match op {
                    Compare::Lt => a < b,
                    Compare::Le => a <= b,
                    Compare::Gt => a > b,
                    Compare::Ge => a >= b,
                    Compare::Eq => a == b,
                    Compare::Ne => a != b,
                }
            }
            Node::And(a, b) => a.truth(resolve) && b.truth(resolve),
            Node::Or(a, b) => a.truth(resolve) || b.truth(resolve),
            Node::Not(e) => !e.truth(resolve),
            _ => self.number(resolve) != 0.0,
        }
    }

    /// How comfortably a true/false expression holds: positive when true, negative when false,
    /// relative to the size of the compared numbers; `and` takes the smaller margin, `or` the
    /// larger. The worst seed of an assertion is the one with the smallest margin.
    pub fn margin(&self, resolve: &impl Fn(&Reference) -> f64) -> f64 {
        let margin = match &self.node {
            Node::Compare(op, a, b) => {
                let (a, b) = (a.number(resolve), b.number(resolve));
                let scale = a.abs().max(b.abs()).max(f64::MIN_POSITIVE);
                let gap = match op {
                    Compare::Lt | Compare::Le => b - a,
                    Compare::Gt | Compare::Ge => a - b,
                    Compare::Eq => -(a - b).abs(),
                    Compare::Ne => (a - b).abs(),
                };
                gap / scale
            }
            Node::And(a, b) => a.margin(resolve).min(b.margin(resolve)),
            Node::Or(a, b) => a.margin(resolve).max(b.margin(resolve)),
            Node::Not(e) => -e.margin(resolve),
            _ => {
                if self.truth(resolve) {
                    1.0
                } else {
                    -1.0
                }
            }
        };
        if margin.is_nan() {
            f64::NEG_INFINITY
        } else {
            margin
        }
    }
}

/// A run of the claim, or `truth` when the problem has one; the error says what was expected.
fn check_subject(subject: &Subject, scope: &Scope) -> Result<(), String> {
    match subject {
        Subject::Run(name) if !scope.runs.contains(&name.as_str()) => Err(format!(
            "a run of this claim ({}) or `truth`; found `{name}`",
            scope.runs.join(", ")
        )),
        Subject::Truth if !scope.has_truth => {
            Err("a problem with a ground truth for `truth`".into())
        }
        _ => Ok(()),
    }
}

/// Names for a message, or "none in this claim".
fn listed(names: &[&str]) -> String {
    if names.is_empty() {
        "none in this claim".into()
    } else {
        names.join(", ")
    }
}

/// min that propagates NaN, so a diverged run never looks fine.
fn min_or_nan(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum TokenKind {
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
struct Token {
    kind: TokenKind,
    offset: usize,
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

fn lex(text: &str) -> Result<Vec<Token>, ExprError> {
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

/// One precedence level of the grammar.
type Level = fn(&mut Parser) -> Result<Expr, ExprError>;

/// How a binary operator builds its node.
type Binary = fn(Box<Expr>, Box<Expr>) -> Node;

struct Parser {
    tokens: Vec<Token>,
    position: usize,
    /// Offset of the end of the text, for "expected … at the end" errors.
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn offset(&self) -> usize {
        self.peek().map_or(self.end, |t| t.offset)
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        let found =
            matches!(self.peek(), Some(Token { kind: TokenKind::Symbol(s), .. }) if *s == symbol);
        self.position += usize::from(found);
        found
    }

    fn eat_name(&mut self, name: &str) -> bool {
        let found =
            matches!(self.peek(), Some(Token { kind: TokenKind::Name(n), .. }) if n == name);
        self.position += usize::from(found);
        found
    }

    fn expect_symbol(&mut self, symbol: &str) -> Result<(), ExprError> {
        if self.eat_symbol(symbol) {
            Ok(())
        } else {
            Err(ExprError::at(
                self.offset(),
                format!("`{symbol}`, found {}", self.describe_next()),
            ))
        }
    }

    fn describe_next(&self) -> String {
        self.peek().map_or("the end of the assertion".into(), |t| {
            format!("`{}`", t.kind)
        })
    }

    fn or(&mut self) -> Result<Expr, ExprError> {
        self.chain(&[("or", Node::Or)], Self::and)
    }

    fn and(&mut self) -> Result<Expr, ExprError> {
        self.chain(&[("and", Node::And)], Self::not)
    }

    fn not(&mut self) -> Result<Expr, ExprError> {
        self.prefixed("not", Node::Not, Self::not, Self::comparison)
    }

    fn comparison(&mut self) -> Result<Expr, ExprError> {
        let left = self.sum()?;
        let Some(op) = self.comparison_operator() else {
            return Ok(left);
        };
        let right = self.sum()?;
        if self.comparison_operator().is_some() {
            return Err(ExprError::at(
                self.tokens[self.position - 1].offset,
                "one comparison at a time: comparisons do not chain, join them with `and`",
            ));
        }
        Ok(Expr {
            offset: left.offset,
            node: Node::Compare(op, Box::new(left), Box::new(right)),
        })
    }

    fn comparison_operator(&mut self) -> Option<Compare> {
        [
            ("<=", Compare::Le),
            (">=", Compare::Ge),
            ("==", Compare::Eq),
            ("!=", Compare::Ne),
            ("<", Compare::Lt),
            (">", Compare::Gt),
        ]
        .into_iter()
        .find(|(symbol, _)| self.eat_symbol(symbol))
        .map(|(_, op)| op)
    }

    fn sum(&mut self) -> Result<Expr, ExprError> {
        self.chain(
            &[
                ("+", |a, b| Node::Arith(Arith::Add, a, b)),
                ("-", |a, b| Node::Arith(Arith::Sub, a, b)),
            ],
            Self::product,
        )
    }

    fn product(&mut self) -> Result<Expr, ExprError> {
        self.chain(
            &[
                ("*", |a, b| Node::Arith(Arith::Mul, a, b)),
                ("/", |a, b| Node::Arith(Arith::Div, a, b)),
            ],
            Self::unary,
        )
    }

    fn unary(&mut self) -> Result<Expr, ExprError> {
        self.prefixed("-", Node::Neg, Self::unary, Self::primary)
    }

    /// A left-associative chain `operand (op operand)*` over the binary operators `ops`.
    fn chain(&mut self, ops: &[(&str, Binary)], operand: Level) -> Result<Expr, ExprError> {
        let mut left = operand(self)?;
        while let Some(&(_, make)) = ops.iter().find(|(op, _)| self.eat(op)) {
            let right = operand(self)?;
            left = Expr {
                offset: left.offset,
                node: make(Box::new(left), Box::new(right)),
            };
        }
        Ok(left)
    }

    /// `op itself` or, without the prefix operator `op`, `operand`.
    fn prefixed(
        &mut self,
        op: &str,
        make: fn(Box<Expr>) -> Node,
        itself: Level,
        operand: Level,
    ) -> Result<Expr, ExprError> {
        let offset = self.offset();
        if self.eat(op) {
            let inner = itself(self)?;
            return Ok(Expr {
                offset,
                node: make(Box::new(inner)),
            });
        }
        operand(self)
    }

    /// Consumes the next token if it is the operator or keyword `op`.
    fn eat(&mut self, op: &str) -> bool {
        self.eat_symbol(op) || self.eat_name(op)
    }
    fn primary(&mut self) -> Result<Expr, ExprError> {
        let offset = self.offset();
        let Some(token) = self.peek().cloned() else {
            return Err(ExprError::at(
                offset,
                "a number, a `run.metric` reference or `(`, found the end of the assertion",
            ));
        };
        self.position += 1;
        match token.kind {
            TokenKind::Number(x) => Ok(Expr {
                offset,
                node: Node::Number(x),
            }),
            TokenKind::Symbol("(") => {
                let inner = self.or()?;
                self.expect_symbol(")")?;
                Ok(Expr { offset, ..inner })
            }
            TokenKind::Name(name) => match name.as_str() {
                "abs" | "min" | "max" | "log10" | "sqrt" => self.call(&name, offset),
                _ if Pairwise::parse(&name).is_some() => self.pairwise(&name, offset),
                "and" | "or" | "not" => Err(ExprError::at(
                    offset,
                    format!("a number or a `run.metric` reference before `{name}`"),
                )),
                _ => self.reference(name, offset),
            },
            TokenKind::Symbol(s) => Err(ExprError::at(
                offset,
                format!("a number, a `run.metric` reference or `(`, found `{s}`"),
            )),
        }
    }

    fn call(&mut self, name: &str, offset: usize) -> Result<Expr, ExprError> {
        let (function, arity) = match name {
            "abs" => (Function::Abs, Some(1)),
            "log10" => (Function::Log10, Some(1)),
            "sqrt" => (Function::Sqrt, Some(1)),
            "min" => (Function::Min, None),
            _ => (Function::Max, None),
        };
        self.expect_symbol("(")?;
        let mut arguments = vec![self.sum()?];
        while self.eat_symbol(",") {
            arguments.push(self.sum()?);
        }
        self.expect_symbol(")")?;
        match arity {
            Some(n) if arguments.len() != n => Err(ExprError::at(
                offset,
                format!("`{name}` with {n} argument, found {}", arguments.len()),
            )),
            None if arguments.len() < 2 => Err(ExprError::at(
                offset,
                format!("`{name}` with at least 2 arguments"),
            )),
            _ => Ok(Expr {
                offset,
                node: Node::Call(function, arguments),
            }),
        }
    }

    /// `name(a, b)` with two subjects.
    fn pairwise(&mut self, name: &str, offset: usize) -> Result<Expr, ExprError> {
        let pairwise = Pairwise::parse(name).expect("called for pairwise names");
        let argument = format!("a run name or `truth` as argument of `{name}`");
        self.expect_symbol("(")?;
        let (a, a_at) = self.name(&argument)?;
        self.expect_symbol(",")?;
        let (b, b_at) = self.name(&argument)?;
        self.expect_symbol(")")?;
        Ok(Expr {
            offset,
            node: Node::Ref(Reference {
                text: format!("{name}({a}, {b})"),
                quantity: Quantity::Between(pairwise, Subject::named(a), Subject::named(b)),
                parts: [a_at, b_at],
            }),
        })
    }

    /// `subject.metric` or `subject.metric(number, …)`.
    fn reference(&mut self, subject: String, offset: usize) -> Result<Expr, ExprError> {
        if !self.eat_symbol(".") {
            return Err(ExprError::at(
                offset,
                format!(
                    "a reference `run.metric` or `truth.metric`, a function abs/min/max/log10/sqrt or a pairwise {}; found `{subject}` alone",
                    Pairwise::NAMES.join(", ")
                ),
            ));
        }
        let mut text = format!("{subject}.");
        let (mut name, mut name_offset) = self.name(&format!("a metric name after `{text}`"))?;
        let when = match name.as_str() {
            "initial" => Some(When::Initial),
            "at_loss" => {
                self.expect_symbol("(")?;
                let threshold = match self.numbers("at_loss")?[..] {
                    [t] if t > 0.0 && t.is_finite() => t,
                    _ => {
                        return Err(ExprError::at(
                            name_offset,
                            "`at_loss(t)` with one positive loss t",
                        ));
                    }
                };
                name = format!("at_loss({threshold})");
                Some(When::AtLoss(threshold))
            }
            _ => None,
        };
        if when.is_some() {
            text = format!("{text}{name}.");
            if !self.eat_symbol(".") {
                return Err(ExprError::at(
                    self.offset(),
                    format!("`.metric` after `{text}`, found {}", self.describe_next()),
                ));
            }
            (name, name_offset) = self.name(&format!("a metric name after `{text}`"))?;
        }
        text.push_str(&name);
        let mut arguments = Vec::new();
        if self.eat_symbol("(") {
            arguments = self.numbers(&name)?;
            let shown: Vec<String> = arguments.iter().map(f64::to_string).collect();
            text = format!("{text}({})", shown.join(", "));
        }
        let metric = Metric::parse(&name, &arguments).map_err(|e| ExprError::at(name_offset, e))?;
        let subject = Subject::named(subject);
        let quantity = match when {
            Some(when) => Quantity::At(subject, when, metric),
            None => Quantity::Of(subject, metric),
        };
        Ok(Expr {
            offset,
            node: Node::Ref(Reference {
                quantity,
                text,
                parts: [name_offset; 2],
            }),
        })
    }

    /// The next name token with its offset; otherwise an error saying `expected` was expected.
    fn name(&mut self, expected: &str) -> Result<(String, usize), ExprError> {
        let at = self.offset();
        match self.peek().cloned() {
            Some(Token {
                kind: TokenKind::Name(name),
                ..
            }) => {
                self.position += 1;
                Ok((name, at))
            }
            _ => Err(ExprError::at(
                at,
                format!("{expected}, found {}", self.describe_next()),
            )),
        }
    }

    /// `number, …)` after an opening parenthesis: the arguments of `what`.
    fn numbers(&mut self, what: &str) -> Result<Vec<f64>, ExprError> {
        let mut arguments = Vec::new();
        loop {
            let negative = self.eat_symbol("-");
            match self.peek().cloned() {
                Some(Token {
                    kind: TokenKind::Number(x),
                    ..
                }) => {
                    self.position += 1;
                    arguments.push(if negative { -x } else { x });
                }
                _ => {
                    return Err(ExprError::at(
                        self.offset(),
                        format!(
                            "a number as argument of `{what}`, found {}",
                            self.describe_next()
                        ),
                    ));
                }
            }
            if !self.eat_symbol(",") {
                break;
            }
        }
        self.expect_symbol(")")?;
        Ok(arguments)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope<'static> {
        Scope {
            runs: &["depth2", "depth3", "nuclear"],
            certified: &["nuclear"],
            rows: 3,
            cols: 3,
            has_truth: true,
        }
    }

    fn holds(text: &str, values: &[(&str, f64)]) -> bool {
        let expr = Expr::parse(text).unwrap();
        expr.check_assertion(&scope()).unwrap();
        expr.truth(&|r: &Reference| values.iter().find(|(t, _)| *t == r.text).unwrap().1)
    }

    #[test]
    fn evaluates_with_precedence() {
        assert!(holds(
            "depth3.test_mse * 10 <= depth2.test_mse",
            &[("depth3.test_mse", 1e-4), ("depth2.test_mse", 1e-2)]
        ));
        assert!(holds("1 + 2 * 3 == 7 and not 2 > 3 or 1 < 0", &[]));
        assert!(holds(
            "abs(truth.effective_rank - depth3.effective_rank) ≤ 0.1",
            &[
                ("truth.effective_rank", 2.0),
                ("depth3.effective_rank", 2.05)
            ]
        ));
        assert!(holds("max(log10(100), 1) == 2 and min(3, -1) == -1", &[]));
        assert!(holds(
            "depth3.entry(0, 1) > -1 and not depth3.diverged",
            &[("depth3.entry(0, 1)", 0.5), ("depth3.diverged", 0.0)]
        ));
    }

    #[test]
    fn errors_point_at_the_culprit() {
        let check = |text: &str| {
            Expr::parse(text)
                .and_then(|e| e.check_assertion(&scope()))
                .unwrap_err()
        };
        assert_eq!(check("depth4.test_mse < 1").column, 1);
        assert_eq!(check("depth3.test_mes < 1").column, 8);
        assert_eq!(check("depth3.test_mse < ").column, 19);
        assert_eq!(check("depth3.test_mse + 1").column, 1);
        assert_eq!(check("1 < 2 < 3").column, 7);
        assert_eq!(check("depth3.sigma(4) < 1").column, 8);
        assert_eq!(check("truth.steps < 1").column, 7);
        assert_eq!(check("depth3.test_mse < 1 $").column, 21);
    }

    #[test]
    fn nan_fails_and_is_the_worst_margin() {
        let expr = Expr::parse("depth3.test_mse < 1").unwrap();
        let nan = |_: &Reference| f64::NAN;
        assert!(!expr.truth(&nan));
        assert_eq!(expr.margin(&nan), f64::NEG_INFINITY);
    }
}
