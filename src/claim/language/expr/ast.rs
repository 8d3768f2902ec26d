//! The syntax tree of an assertion, and what a reference reads.

use crate::claim::language::measured::Measured;
use crate::claim::language::registry::{Function, Metric, Pairwise};
use std::fmt;

/// A problem with an assertion, at a 1-based character column of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    /// Where, from 1.
    pub column: usize,
    /// What was expected there.
    pub expected: String,
}

impl ExprError {
    pub(super) fn at(offset: usize, expected: impl Into<String>) -> Self {
        Self {
            column: offset + 1,
            expected: expected.into(),
        }
    }
}

/// Whose metric a reference reads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    /// A run of the claim.
    Run(String),
    /// The ground truth.
    Truth,
    /// Inside `when(…)`: the run's own matrix at the step being checked (a bare metric).
    Current,
}

impl Subject {
    pub(super) fn named(name: String) -> Subject {
        if name == "truth" {
            Subject::Truth
        } else {
            Subject::Run(name)
        }
    }
}

/// A metric with its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricCall {
    /// The registry's entry.
    pub metric: &'static Metric,
    /// Its validated arguments.
    pub arguments: Vec<f64>,
}

impl MetricCall {
    /// Its value on a subject.
    pub fn value(&self, subject: &Measured) -> f64 {
        (self.metric.value)(subject, &self.arguments)
    }
}

/// Where in a run a moment is taken, as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Moment {
    /// The start.
    Initial,
    /// The first step with loss ≤ t.
    AtLoss(f64),
    /// The given step.
    AtStep(usize),
    /// The first step where the condition holds; `text` is the condition as written.
    When {
        /// The condition.
        condition: Box<Expr>,
        /// Its text, which names it.
        text: String,
    },
}

/// What a reference reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Quantity {
    /// `subject.metric`.
    Of(Subject, MetricCall),
    /// `name(a, b)`.
    Between(&'static Pairwise, Subject, Subject),
    /// `run.moment.metric`: a metric of the matrix at a moment.
    At(Subject, Moment, MetricCall),
}

/// A quantity, as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// What it reads.
    pub quantity: Quantity,
    /// The reference as the claim wrote it, for reports.
    pub text: String,
    /// Where its parts start in the assertion, for errors: the metric name (twice) for a metric
    /// or a moment, the two arguments for `name(a, b)`.
    pub parts: [usize; 2],
}

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
}

/// A node of the syntax tree.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A number literal.
    Number(f64),
    /// A reference to a quantity.
    Ref(Reference),
    /// `-x`.
    Neg(Box<Expr>),
    /// `not x`.
    Not(Box<Expr>),
    /// `a op b`.
    Arith(Arith, Box<Expr>, Box<Expr>),
    /// `a op b`, true/false.
    Compare(Compare, Box<Expr>, Box<Expr>),
    /// `a and b`.
    And(Box<Expr>, Box<Expr>),
    /// `a or b`.
    Or(Box<Expr>, Box<Expr>),
    /// `f(x, …)`.
    Call(&'static Function, Vec<Expr>),
}

/// An expression with the character offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub node: Node,
    /// Where it starts, from 0.
    pub offset: usize,
}

/// The two kinds of value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// A number.
    Number,
    /// True or false.
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

impl Expr {
    /// Every reference, in reading order (not those inside a `when` condition).
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
}
