//! Tokens to a syntax tree, by recursive descent, loosest first: `or`, `and`, `not`, one
//! comparison, sums, products, unary minus, primaries (numbers, parentheses, functions,
//! pairwise quantities, references). Words are looked up in the registry.

use super::ast::{
    Arith, Compare, Expr, ExprError, MetricCall, Moment, Node, Quantity, Reference, Subject,
};
use super::lex::{Token, TokenKind, lex};
use crate::claim::language::registry::{self, Arity, MomentKind};

/// The longest assertion accepted, in characters: it bounds the depth of the syntax tree (a
/// chain `a + b + …` nests one level per term), so that checking and evaluating it, which
/// recurse, stay far inside a thread's stack.
pub const MAX_LENGTH: usize = 4000;

/// The deepest nesting of parentheses, prefix operators (`-`, `not`), calls and conditions.
pub const MAX_DEPTH: usize = 64;

impl Expr {
    /// Parses an assertion of at most `MAX_LENGTH` characters nested at most `MAX_DEPTH` deep.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        Self::parse_in(text, 0)
    }

    /// Parses a quantity of one run's matrix along its trajectory, where bare metrics
    /// (`sigma(1)`, `abs(entry(0, 0))`) are the run's own at the step sampled, as inside
    /// `when(…)`.
    pub fn parse_along_run(text: &str) -> Result<Expr, ExprError> {
        Self::parse_in(text, 1)
    }

    fn parse_in(text: &str, conditions: usize) -> Result<Expr, ExprError> {
        let length = text.chars().count();
        if length > MAX_LENGTH {
            return Err(ExprError::at(
                0,
                format!("an assertion of at most {MAX_LENGTH} characters; this one has {length}"),
            ));
        }
        let tokens = lex(text)?;
        let chars: Vec<char> = text.chars().collect();
        let mut parser = Parser {
            tokens,
            position: 0,
            end: chars.len(),
            chars,
            conditions,
            depth: 0,
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
    /// The text, to quote a `when` condition as written.
    chars: Vec<char>,
    /// How many `when(…)` conditions enclose the current position: inside one, a bare metric
    /// name is the run's own metric at the step checked.
    conditions: usize,
    /// How deeply the current position is nested (`MAX_DEPTH`).
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn offset(&self) -> usize {
        self.peek().map_or(self.end, |t| t.offset)
    }

    fn eat_symbol(&mut self, symbol: &str) -> bool {
        let found = self.at_symbol(symbol);
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

    /// A whole (sub-)expression: the top, a parenthesis, an argument, a condition.
    fn or(&mut self) -> Result<Expr, ExprError> {
        self.nested(|p| p.chain(&[("or", Node::Or)], Self::and))
    }

    /// Runs `inner` one level deeper, refusing to pass `MAX_DEPTH`.
    fn nested(&mut self, inner: Level) -> Result<Expr, ExprError> {
        if self.depth >= MAX_DEPTH {
            return Err(ExprError::at(
                self.offset(),
                format!("at most {MAX_DEPTH} nested parentheses, prefixes, calls or conditions"),
            ));
        }
        self.depth += 1;
        let expr = inner(self);
        self.depth -= 1;
        expr
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
            let inner = self.nested(itself)?;
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
            TokenKind::Name(name) => {
                if let Some(function) = registry::function(&name) {
                    return self.call(function, offset);
                }
                if let Some(pairwise) = registry::pairwise(&name) {
                    return self.pairwise(pairwise, offset);
                }
                if ["and", "or", "not"].contains(&name.as_str()) {
                    return Err(ExprError::at(
                        offset,
                        format!("a number or a `run.metric` reference before `{name}`"),
                    ));
                }
                if self.conditions > 0 && !self.at_symbol(".") {
                    let (call, text) = self.metric_call(name, offset)?;
                    return Ok(reference(
                        offset,
                        Quantity::Of(Subject::Current, call),
                        text,
                        offset,
                    ));
                }
                self.reference(name, offset)
            }
            TokenKind::Symbol(s) => Err(ExprError::at(
                offset,
                format!("a number, a `run.metric` reference or `(`, found `{s}`"),
            )),
        }
    }

    fn at_symbol(&self, symbol: &str) -> bool {
        matches!(self.peek(), Some(Token { kind: TokenKind::Symbol(s), .. }) if *s == symbol)
    }

    fn call(
        &mut self,
        function: &'static registry::Function,
        offset: usize,
    ) -> Result<Expr, ExprError> {
        let name = function.name;
        self.expect_symbol("(")?;
        let mut arguments = vec![self.nested(Self::sum)?];
        while self.eat_symbol(",") {
            arguments.push(self.nested(Self::sum)?);
        }
        self.expect_symbol(")")?;
        match function.arity {
            Arity::One if arguments.len() != 1 => Err(ExprError::at(
                offset,
                format!("`{name}` with 1 argument, found {}", arguments.len()),
            )),
            Arity::Many if arguments.len() < 2 => Err(ExprError::at(
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
    fn pairwise(
        &mut self,
        pairwise: &'static registry::Pairwise,
        offset: usize,
    ) -> Result<Expr, ExprError> {
        let name = pairwise.name;
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

    /// `subject.metric`, `subject.metric(number, …)` or `subject.moment.metric…`.
    fn reference(&mut self, subject: String, offset: usize) -> Result<Expr, ExprError> {
        if !self.eat_symbol(".") {
            let functions: Vec<&str> = registry::FUNCTIONS.iter().map(|f| f.name).collect();
            let pairwise: Vec<&str> = registry::PAIRWISE.iter().map(|p| p.form).collect();
            return Err(ExprError::at(
                offset,
                format!(
                    "a reference `run.metric` or `truth.metric`, a function {} or a pairwise {}; found `{subject}` alone{}",
                    functions.join("/"),
                    pairwise.join(", "),
                    crate::suggest::did_you_mean(
                        &subject,
                        functions
                            .iter()
                            .copied()
                            .chain(registry::PAIRWISE.iter().map(|p| p.name))
                    )
                ),
            ));
        }
        let mut text = format!("{subject}.");
        let (mut name, mut name_offset) = self.name(&format!("a metric name after `{text}`"))?;
        let moment = match registry::moment(&name).map(|m| m.kind) {
            None => None,
            Some(kind) => {
                let (moment, written) = self.moment(kind, &name, name_offset)?;
                text = format!("{text}{written}.");
                if !self.eat_symbol(".") {
                    return Err(ExprError::at(
                        self.offset(),
                        format!("`.metric` after `{text}`, found {}", self.describe_next()),
                    ));
                }
                (name, name_offset) = self.name(&format!("a metric name after `{text}`"))?;
                Some(moment)
            }
        };
        let (call, written) = self.metric_call(name, name_offset)?;
        text.push_str(&written);
        let subject = Subject::named(subject);
        let quantity = match moment {
            Some(moment) => Quantity::At(subject, moment, call),
            None => Quantity::Of(subject, call),
        };
        Ok(reference(offset, quantity, text, name_offset))
    }

    /// The rest of a moment after its name, and how it is shown.
    fn moment(
        &mut self,
        kind: MomentKind,
        name: &str,
        name_offset: usize,
    ) -> Result<(Moment, String), ExprError> {
        if kind == MomentKind::Initial {
            return Ok((Moment::Initial, name.to_string()));
        }
        self.expect_symbol("(")?;
        match kind {
            MomentKind::AtLoss => match self.numbers(name)?[..] {
                [t] if t > 0.0 && t.is_finite() => Ok((Moment::AtLoss(t), format!("at_loss({t})"))),
                _ => Err(ExprError::at(
                    name_offset,
                    "`at_loss(t)` with one positive loss t",
                )),
            },
            MomentKind::AtStep => match self.numbers(name)?[..] {
                [k] if k.fract() == 0.0 && (0.0..1e15).contains(&k) => {
                    Ok((Moment::AtStep(k as usize), format!("at_step({k})")))
                }
                _ => Err(ExprError::at(
                    name_offset,
                    "`at_step(k)` with one whole step k ≥ 0",
                )),
            },
            MomentKind::When => {
                let start = self.offset();
                self.conditions += 1;
                let condition = self.or()?;
                self.conditions -= 1;
                let end = self.offset();
                self.expect_symbol(")")?;
                let text: String = self.chars[start..end].iter().collect();
                let text = text.trim().to_string();
                let written = format!("when({text})");
                Ok((
                    Moment::When {
                        condition: Box::new(condition),
                        text,
                    },
                    written,
                ))
            }
            MomentKind::Initial => unreachable!("returned above"),
        }
    }

    /// A metric's name and its arguments `(number, …)` if any, checked against the registry;
    /// with how it is shown.
    fn metric_call(&mut self, name: String, at: usize) -> Result<(MetricCall, String), ExprError> {
        let mut text = name.clone();
        let mut arguments = Vec::new();
        if self.eat_symbol("(") {
            arguments = self.numbers(&name)?;
            let shown: Vec<String> = arguments.iter().map(f64::to_string).collect();
            text = format!("{text}({})", shown.join(", "));
        }
        let metric = registry::metric(&name).ok_or_else(|| {
            ExprError::at(
                at,
                format!(
                    "a metric name, one of: {}; found `{name}`{}",
                    registry::metric_forms().join(", "),
                    crate::suggest::did_you_mean(
                        &name,
                        registry::METRICS
                            .iter()
                            .map(|m| m.name)
                            .chain(registry::MOMENTS.iter().map(|m| m.name))
                    )
                ),
            )
        })?;
        metric
            .check_args(&arguments)
            .map_err(|e| ExprError::at(at, e))?;
        Ok((MetricCall { metric, arguments }, text))
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

/// A reference node whose metric name is at `metric_at`.
fn reference(offset: usize, quantity: Quantity, text: String, metric_at: usize) -> Expr {
    Expr {
        offset,
        node: Node::Ref(Reference {
            quantity,
            text,
            parts: [metric_at; 2],
        }),
    }
}
