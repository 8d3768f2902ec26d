//! The value of a checked expression on one seed, given the value of each reference; and how
//! comfortably a true/false expression holds (the report's worst seed).

use super::ast::{Arith, Compare, Expr, Node, Reference};

impl Expr {
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
                // The checker saw to the number of arguments.
                let values: Vec<f64> = arguments.iter().map(n).collect();
                (function.apply)(&values)
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
                    // NaN compares false, `!=` included: a diverged run never passes.
                    Compare::Ne => !a.is_nan() && !b.is_nan() && a != b,
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

#[cfg(test)]
mod tests {
    use super::super::ast::{Expr, Reference};
    use super::super::check::Scope;
    use crate::solver::RunKind;

    fn scope() -> Scope<'static> {
        Scope {
            runs: &[
                ("depth2", RunKind::Deep),
                ("depth3", RunKind::Deep),
                ("nuclear", RunKind::Convex),
            ],
            rows: 3,
            cols: 3,
            has_truth: true,
            labels: false,
            held_out: None,
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
        assert!(holds(
            "depth3.when(sigma(1) >= 0.9 * truth.sigma(1)).sigma(2) < 0.1",
            &[(
                "depth3.when(sigma(1) >= 0.9 * truth.sigma(1)).sigma(2)",
                0.01
            )]
        ));
        assert!(holds(
            "depth3.at_step(10).steps == 10",
            &[("depth3.at_step(10).steps", 10.0)]
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
        // A condition reads the run's own matrix and the truth, nothing else.
        assert_eq!(
            check("depth3.when(depth2.sigma(1) > 1).sigma(2) < 1").column,
            13
        );
        assert_eq!(check("depth3.when(sigma(1) + 1).sigma(2) < 1").column, 13);
        assert_eq!(check("depth3.when(converged).sigma(2) < 1").column, 13);
        assert_eq!(check("depth3.at_step(1.5).sigma(1) < 1").column, 8);
        assert_eq!(check("sigma(1) < 1").column, 1);
    }

    #[test]
    fn comparisons_are_exact_at_their_boundaries() {
        let x = "depth3.test_mse";
        let at =
            |value: f64, op: &str, bound: &str| holds(&format!("{x} {op} {bound}"), &[(x, value)]);
        for (op, equal, below, above) in [
            ("<", false, true, false),
            ("<=", true, true, false),
            (">", false, false, true),
            (">=", true, false, true),
            ("==", true, false, false),
            ("!=", false, true, true),
        ] {
            assert_eq!(at(1e-3, op, "1e-3"), equal, "1e-3 {op} 1e-3");
            assert_eq!(at(0.999e-3, op, "1e-3"), below, "below {op}");
            assert_eq!(at(1.001e-3, op, "1e-3"), above, "above {op}");
            // NaN compares false whatever the operator; infinities compare as numbers.
            assert!(!at(f64::NAN, op, "1e-3"), "NaN {op}");
            assert_eq!(at(f64::INFINITY, op, "1e308"), above, "∞ {op}");
            assert_eq!(at(f64::NEG_INFINITY, op, "-1e308"), below, "−∞ {op}");
        }
        assert!(holds(&format!("not {x} < 1"), &[(x, f64::NAN)]));
        assert!(!holds(&format!("{x} < 1 or {x} >= 1"), &[(x, f64::NAN)]));
    }

    /// Nesting and length are bounded before anything recurses over them: these would overflow
    /// a thread's stack in the checker or evaluator if accepted.
    #[test]
    fn deep_or_long_assertions_are_refused_with_a_location() {
        use super::super::parse::{MAX_DEPTH, MAX_LENGTH};
        let refused = |text: String| Expr::parse(&text).unwrap_err();
        let parens = refused(format!("{}1{} < 2", "(".repeat(100), ")".repeat(100)));
        assert_eq!(parens.column, MAX_DEPTH + 1);
        assert!(parens.expected.contains("nested"), "{}", parens.expected);
        refused(format!("{}1 < 2", "not ".repeat(20_000)));
        refused(format!("{}1{} < 2", "abs(".repeat(200), ")".repeat(200)));
        refused(format!("{}1{} < 2", "- ".repeat(1000), ""));
        let long = refused(format!("1{} < 2", " + 1".repeat(50_000)));
        assert_eq!(long.column, 1);
        assert!(long.expected.contains(&MAX_LENGTH.to_string()));
        // Just inside both limits: parsed, checked and evaluated.
        let deep = format!(
            "{}1{} < 2",
            "(".repeat(MAX_DEPTH - 2),
            ")".repeat(MAX_DEPTH - 2)
        );
        assert!(holds(&deep, &[]));
        let chain = format!("1{} > 2", " + 1".repeat((MAX_LENGTH - 10) / 4));
        assert!(holds(&chain, &[]));
    }

    #[test]
    fn nan_fails_and_is_the_worst_margin() {
        let expr = Expr::parse("depth3.test_mse < 1").unwrap();
        let nan = |_: &Reference| f64::NAN;
        assert!(!expr.truth(&nan));
        assert_eq!(expr.margin(&nan), f64::NEG_INFINITY);
    }
}
