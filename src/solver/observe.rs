//! What observers of a run see: one `Probe` per step, with the step, its loss and, on demand,
//! the end-to-end matrix and (for a CP factorisation) its components' norms. The driver makes
//! probes; the trace and the watch observe them.

use nalgebra::DMatrix;

/// One step as observers see it.
pub struct Probe<'m> {
    /// The step's number (0 before the first step).
    pub step: usize,
    /// The loss there.
    pub loss: f64,
    /// Whether this is the last step of the run.
    pub last: bool,
    /// Σ of the step sizes (GD) or t (flow) so far; NaN for a convex run.
    pub time: f64,
    method: &'m mut dyn MatrixSource,
    /// The driver's buffer for the components' norms (kept across steps: nothing allocated).
    components: &'m mut Vec<f64>,
    /// Whether the method has components, once asked.
    has_components: Option<bool>,
}

impl<'m> Probe<'m> {
    /// Step `step` with loss `loss` at `time` (`last` if the run stops there) of the method
    /// `source`, whose components' norms go into `components`.
    pub fn new(
        step: usize,
        loss: f64,
        time: f64,
        last: bool,
        source: &'m mut dyn MatrixSource,
        components: &'m mut Vec<f64>,
    ) -> Self {
        Self {
            step,
            loss,
            last,
            time,
            method: source,
            components,
            has_components: None,
        }
    }

    /// The end-to-end matrix at this step, formed on first request.
    pub fn matrix(&mut self) -> &DMatrix<f64> {
        self.method.matrix()
    }

    /// What a claim reads at this step: the matrix and the components' norms, each formed on
    /// first request.
    pub fn snapshot(&mut self) -> Snapshot<'_> {
        let has = *self
            .has_components
            .get_or_insert_with(|| self.method.components(self.components));
        Snapshot {
            step: self.step,
            matrix: self.method.matrix(),
            components: has.then_some(self.components.as_slice()),
        }
    }
}

/// A run's state at one step as a claim reads it.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot<'s> {
    /// The step.
    pub step: usize,
    /// The end-to-end matrix.
    pub matrix: &'s DMatrix<f64>,
    /// A CP factorisation's component norms ‖a_r⁽¹⁾‖⋯‖a_r⁽ᴺ⁾‖, largest first
    /// (`measure::component_norms`); `None` for a method without components.
    pub components: Option<&'s [f64]>,
}

/// What a probe asks of the method, each on demand.
pub trait MatrixSource {
    /// The current end-to-end matrix.
    fn matrix(&mut self) -> &DMatrix<f64>;
    /// Into `norms`: the current components' norms, largest first, for a method made of
    /// components; `false` for any other.
    fn components(&self, norms: &mut Vec<f64>) -> bool;
}

/// Something that sees every step of a run.
pub trait Observer {
    /// Takes in one step.
    fn observe(&mut self, probe: &mut Probe);
}
