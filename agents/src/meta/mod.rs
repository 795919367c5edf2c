//! Meta-gradient learning of the return's meta-parameters (DESIGN.md §2).

mod heads;
mod optimiser;
mod pipeline;

pub use heads::{HeadModel, HeadWeights, Heads, OuterValues, ParamsOf, TargetLoss};
pub use optimiser::{InnerStep, MetaOptimiser};
pub use pipeline::{Evaluation, PipelineCotangents, ReturnPipeline, Trajectory};
