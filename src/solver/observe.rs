//! What observers of a run see: one `Probe` per step, with the step, its loss and the
//! end-to-end matrix on demand. The driver makes probes; the trace and the watch observe them.

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
}

impl<'m> Probe<'m> {
    /// Step `step` with loss `loss` at `time` (`last` if the run stops there) of the method
    /// `source`.
    pub fn new(
        step: usize,
        loss: f64,
        time: f64,
        last: bool,
        source: &'m mut dyn MatrixSource,
    ) -> Self {
        Self {
            step,
            loss,
            last,
            time,
            method: source,
        }
    }

    /// The end-to-end matrix at this step, formed on first request.
    pub fn matrix(&mut self) -> &DMatrix<f64> {
        self.method.matrix()
    }
}

/// What a probe asks of the method: its matrix, formed on demand.
pub trait MatrixSource {
    /// The current end-to-end matrix.
    fn matrix(&mut self) -> &DMatrix<f64>;
}

/// Something that sees every step of a run.
pub trait Observer {
    /// Takes in one step.
    fn observe(&mut self, probe: &mut Probe);
}
