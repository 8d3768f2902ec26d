//! Names, types and applicability: every reference must name a run of the claim (or `truth`), a
//! metric that applies to that subject (the registry's `Applies`), and fit the problem's shape;
//! operators need numbers or true/false as they should; an assertion is true or false.

use super::ast::{Expr, ExprError, MetricCall, Moment, Node, Quantity, Reference, Subject, Type};
use crate::claim::language::registry::Applies;
use crate::problem::Testing;
use crate::solver::RunKind;

/// What an expression may refer to.
pub struct Scope<'a> {
    /// The claim's runs with their kinds.
    pub runs: &'a [(&'a str, RunKind)],
    /// The problem's shape.
    pub rows: usize,
    /// The problem's shape.
    pub cols: usize,
    /// Whether instances carry a ground truth.
    pub has_truth: bool,
    /// Whether the problem is a classification (labels fitted with a margin loss).
    pub labels: bool,
    /// What instances hold out of training (`classification`'s test points, `ratings`' test
    /// entries).
    pub held_out: Option<Testing>,
}

impl Scope<'_> {
    fn kind(&self, name: &str) -> Option<RunKind> {
        self.runs.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }

    fn names(&self) -> Vec<&str> {
        self.runs.iter().map(|(n, _)| *n).collect()
    }

    /// The convex runs, or "none in this claim", for messages.
    fn convex(&self) -> String {
        let convex: Vec<&str> = self
            .runs
            .iter()
            .filter(|(_, k)| *k == RunKind::Convex)
            .map(|(n, _)| *n)
            .collect();
        if convex.is_empty() {
            "none in this claim".into()
        } else {
            convex.join(", ")
        }
    }
}

/// Where a reference stands: in an assertion, or along a run of the given kind (inside its
/// `when(…)` condition, or a trajectory figure's quantity).
#[derive(Clone, Copy, PartialEq)]
enum Within<'r> {
    Assertion,
    /// Along the run of this name and kind.
    Along(&'r str, RunKind),
}

impl Expr {
    /// Resolves names and types against `scope`; an assertion must be true/false.
    pub fn check_assertion(&self, scope: &Scope) -> Result<(), ExprError> {
        self.check_boolean(scope, Within::Assertion)
    }

    /// Resolves names and types against `scope`; the expression must be a number (a figure's
    /// quantity, or what an assertion across sweep points compares).
    pub fn check_number(&self, scope: &Scope) -> Result<(), ExprError> {
        self.check_typed(scope, Within::Assertion, Type::Number)
    }

    /// As `check_number`, for a quantity parsed by `Expr::parse_along_run` along the claim's
    /// run `run`: bare metrics of the run's own state and metrics of `truth` only.
    pub fn check_along_run(&self, scope: &Scope, run: &str) -> Result<(), ExprError> {
        let kind = scope.kind(run).ok_or_else(|| {
            let unknown = check_subject(&Subject::Run(run.to_string()), scope).unwrap_err();
            ExprError::at(self.offset, unknown)
        })?;
        self.check_typed(scope, Within::Along(run, kind), Type::Number)
    }

    fn check_typed(&self, scope: &Scope, place: Within, wanted: Type) -> Result<(), ExprError> {
        let found = self.check(scope, place)?;
        if found != wanted {
            return Err(ExprError::at(
                self.offset,
                format!("{wanted} here, found {found}"),
            ));
        }
        Ok(())
    }

    fn check_boolean(&self, scope: &Scope, place: Within) -> Result<(), ExprError> {
        let found = self.check(scope, place)?;
        if found != Type::Boolean {
            let what = match place {
                Within::Assertion => "an assertion",
                Within::Along(..) => "a condition",
            };
            return Err(ExprError::at(
                self.offset,
                format!(
                    "{what} that is true or false (a comparison such as `x < 1`), found {found}"
                ),
            ));
        }
        Ok(())
    }

    fn check(&self, scope: &Scope, place: Within) -> Result<Type, ExprError> {
        let expect = |e: &Expr, wanted: Type| -> Result<(), ExprError> {
            let found = e.check(scope, place)?;
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
            Node::Ref(reference) => self.check_reference(reference, scope, place),
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

    fn check_reference(
        &self,
        reference: &Reference,
        scope: &Scope,
        place: Within,
    ) -> Result<Type, ExprError> {
        let in_condition = || {
            ExprError::at(
                self.offset,
                "inside `when(…)` (and in a trajectory figure's `y`), a bare metric of the run's own matrix (`sigma(1)`) or a metric of `truth`",
            )
        };
        match &reference.quantity {
            Quantity::Of(Subject::Current, call) => {
                let applies = call.metric.applies;
                if !applies.moment {
                    return Err(ExprError::at(
                        reference.parts[0],
                        "a metric of the matrix, a loss, an error or `steps` inside `when(…)`",
                    ));
                }
                if let Within::Along(run, kind) = place
                    && !applies.to_run(kind)
                {
                    let expected = wrong_kind(applies, kind, &format!("`{run}`"), scope);
                    return Err(ExprError::at(reference.parts[0], expected));
                }
                self.check_metric(&Subject::Current, call, reference, scope)
            }
            Quantity::Of(Subject::Run(_), _) | Quantity::At(..) | Quantity::Between(..)
                if matches!(place, Within::Along(..)) =>
            {
                Err(in_condition())
            }
            Quantity::Of(subject, call) => self.check_metric(subject, call, reference, scope),
            Quantity::At(subject, moment, call) => {
                if *subject == Subject::Truth {
                    return Err(ExprError::at(
                        self.offset,
                        "a run for a moment (`truth` has no trajectory)",
                    ));
                }
                if !call.metric.applies.moment {
                    return Err(ExprError::at(
                        reference.parts[0],
                        "a metric of the matrix, a loss, an error or `steps` at a moment",
                    ));
                }
                if let (Moment::When { condition, .. }, Subject::Run(name)) = (moment, subject) {
                    let kind = scope.kind(name).ok_or_else(|| {
                        ExprError::at(self.offset, check_subject(subject, scope).unwrap_err())
                    })?;
                    condition.check_boolean(scope, Within::Along(name, kind))?;
                }
                self.check_metric(subject, call, reference, scope)
            }
            Quantity::Between(pairwise, a, b) => {
                let [a_at, b_at] = reference.parts;
                check_subject(a, scope).map_err(|e| ExprError::at(a_at, e))?;
                if pairwise.needs_truth && !scope.has_truth {
                    return Err(ExprError::at(
                        self.offset,
                        format!("a problem with a ground truth for `{}`", pairwise.name),
                    ));
                }
                if !pairwise.second_is_convex {
                    return check_subject(b, scope)
                        .map(|_| Type::Number)
                        .map_err(|e| ExprError::at(b_at, e));
                }
                match b {
                    Subject::Run(name) if scope.kind(name) == Some(RunKind::Convex) => {
                        Ok(Type::Number)
                    }
                    _ => Err(ExprError::at(
                        b_at,
                        format!(
                            "a convex run with a certificate as the second argument of `{}` ({})",
                            pairwise.name,
                            scope.convex()
                        ),
                    )),
                }
            }
        }
    }

    fn check_metric(
        &self,
        subject: &Subject,
        call: &MetricCall,
        reference: &Reference,
        scope: &Scope,
    ) -> Result<Type, ExprError> {
        let metric = call.metric;
        let applies = metric.applies;
        let metric_at = reference.parts[0];
        check_subject(subject, scope).map_err(|e| ExprError::at(self.offset, e))?;
        match subject {
            Subject::Truth if !applies.truth => {
                return Err(ExprError::at(
                    metric_at,
                    "a metric of a matrix for `truth` (not a run's loss, steps or status)",
                ));
            }
            Subject::Run(name) => {
                let kind = scope.kind(name).expect("checked above");
                if !applies.to_run(kind) {
                    let expected = wrong_kind(applies, kind, &format!("`{name}`"), scope);
                    return Err(ExprError::at(metric_at, expected));
                }
            }
            _ => {}
        }
        if metric.needs_truth && !scope.has_truth {
            return Err(ExprError::at(
                metric_at,
                "a problem with a ground truth for this metric",
            ));
        }
        if metric.needs_labels && !scope.labels {
            return Err(ExprError::at(
                metric_at,
                "a classification problem (labels fitted with a margin loss) for this metric",
            ));
        }
        if let Some(needed) = metric.needs_held_out
            && scope.held_out != Some(needed)
        {
            return Err(ExprError::at(
                metric_at,
                match needed {
                    Testing::Points => {
                        "a problem drawn with held-out points (`classification`) for this metric"
                    }
                    Testing::Entries => {
                        "a problem with held-out entries (`ratings`' `test`) for this metric"
                    }
                },
            ));
        }
        metric
            .check_shape(&call.arguments, scope.rows, scope.cols)
            .map_err(|e| ExprError::at(metric_at, e))?;
        Ok(if metric.boolean {
            Type::Boolean
        } else {
            Type::Number
        })
    }
}

/// What a metric that `applies` to other runs expected of `run`, a run of `kind`.
fn wrong_kind(applies: Applies, kind: RunKind, run: &str, scope: &Scope) -> String {
    match kind {
        RunKind::External => format!(
            "a run made here for this metric; {run} is another program's run, seen at its result and samples only"
        ),
        RunKind::Network | RunKind::Tensor if applies.deep => format!(
            "a run whose factors form a chain for this metric; {run} is a network or CP factorisation whose parameters form no chain"
        ),
        _ if applies.tensor => format!(
            "a CP factorisation (`cp`) for this metric, whose parameters are components; {run} is none"
        ),
        RunKind::Deep | RunKind::Network | RunKind::Tensor => format!(
            "a convex run with a certificate for this metric ({}); {run} has none",
            scope.convex()
        ),
        RunKind::Convex => format!("a deep run for this metric; {run} is a convex run"),
    }
}

/// A run of the claim, or `truth` when the problem has one; the error says what was expected.
fn check_subject(subject: &Subject, scope: &Scope) -> Result<(), String> {
    match subject {
        Subject::Run(name) if scope.kind(name).is_none() => Err(format!(
            "a run of this claim ({}) or `truth`; found `{name}`{}",
            scope.names().join(", "),
            crate::suggest::did_you_mean(name, scope.names().into_iter().chain(["truth"]))
        )),
        Subject::Truth if !scope.has_truth => {
            Err("a problem with a ground truth for `truth`".into())
        }
        _ => Ok(()),
    }
}
